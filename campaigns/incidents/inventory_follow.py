"""Exposure follows the inventory: when placements change (an account added, moved, cancelled, a
server moved to another storage volume), every open incident whose windows hit one of the servers
concerned is recomputed, in the transaction that changed the inventory.

``accounts`` sends ``accounts.signals.inventory_changed``; ``campaigns.apps`` connects
``exposure_follow_inventory`` to it. An incident whose compensation is approved keeps its frozen
exposure: it is reported, and ``compensate`` issues the top-ups.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Placement, Server
from campaigns.incidents.exposure import exposure_is_frozen, exposure_recompute
from campaigns.incidents.models import Exposure, Incident

# Above this many ids (a whole inventory imported) every open incident with windows is touched:
# one parameter per id would exceed what a statement can carry.
MANY = 5_000


def incidents_touched(*, account_ids: set[int], server_ids: set[int]) -> list[Incident]:
    """Open incidents with a window on a server (or its volume) that one of the accounts was ever
    placed on, or on one of the servers, or with an exposure of one of the accounts. One query,
    two when some open incident has windows."""
    candidates = Incident.objects.exclude(status=Incident.Status.CLOSED).filter(windows__isnull=False)
    if not candidates.exists():
        # The usual case of a bulk import: no need to send thousands of ids to find nothing.
        return []
    if len(account_ids) + len(server_ids) > MANY:
        hit = Q(windows__isnull=False)
    else:
        servers = Server.objects.filter(
            Q(pk__in=Placement.objects.filter(account_id__in=account_ids).values("server_id")) | Q(pk__in=server_ids)
        )
        hit = (
            Q(windows__server__in=servers)
            | Q(windows__volume__in=servers.values("storage_volume_id"))
            | Q(pk__in=Exposure.objects.filter(account_id__in=account_ids).values("incident_id"))
        )
    return list(Incident.objects.exclude(status=Incident.Status.CLOSED).filter(hit).distinct().order_by("slug"))


def exposure_follow_inventory(*, account_ids: set[int], server_ids: set[int]) -> list[str]:
    """Recompute the exposure of every open incident the change touches; report each one."""
    notes = []
    for incident in incidents_touched(account_ids=account_ids, server_ids=server_ids):
        if exposure_is_frozen(incident):
            notes.append(f"{incident.slug}: inventory changed after approval — run compensate for top-ups")
            continue
        result = exposure_recompute(incident=incident)
        notes.append(f"{incident.slug}{RECOMPUTED} — {result.accounts} accounts of {result.customers} customers")
    return notes


RECOMPUTED = ": exposure recomputed"


def recomputed_slugs(notes: list[str]) -> list[str]:
    """The incidents whose exposure ``exposure_follow_inventory`` recomputed, from its notes."""
    return [note.split(RECOMPUTED, 1)[0] for note in notes if RECOMPUTED in note]


def on_inventory_changed(sender, *, account_ids: set[int], server_ids: set[int], **kwargs) -> list[str]:
    """Receiver of ``accounts.signals.inventory_changed`` (connected in ``campaigns.apps``)."""
    return exposure_follow_inventory(account_ids=account_ids, server_ids=server_ids)
