"""What the inventory tells later steps when it changes.

``accounts`` never imports ``campaigns``: whoever computes something from the inventory (the
exposure of open incidents) connects a receiver in its ``AppConfig.ready``. The signal is sent
inside the transaction that changed the inventory, so that what the receivers recompute commits
or rolls back with it; ``inventory_changed_send`` returns the lines the receivers want reported.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from accounts.portal_version import portal_changed

# Sent with ``account_ids`` (accounts whose placements or customer changed) and ``server_ids``
# (servers whose storage volume changed). Receivers return a list of report lines.
inventory_changed = Signal()


def inventory_changed_send(*, sender, account_ids: Iterable[int] = (), server_ids: Iterable[int] = ()) -> list[str]:
    account_ids, server_ids = set(account_ids), set(server_ids)
    if not account_ids and not server_ids:
        return []
    portal_changed()  # names, products and the exposure that follows the inventory
    notes: list[str] = []
    for _receiver, lines in inventory_changed.send(sender=sender, account_ids=account_ids, server_ids=server_ids):
        notes.extend(lines or [])
    return notes
