"""The suppression list: addresses later mailings skip because they bounced hard or complained.

Support sees and searches it and lifts an address (the customer fixed their mailbox) with a
reason; lifting is audited with the reason it was suppressed for, and the next mailing reaches the
address again.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from campaigns.audit.services import audit_record
from campaigns.mailings.models import SuppressedAddress


class LiftRefused(Exception):
    """The address cannot be lifted as asked: the message says why."""


def suppressions_search(*, query: str = "") -> QuerySet[SuppressedAddress]:
    """Suppressed addresses, newest first, with the letter that suppressed them; ``query``
    matches part of the address or a customer number."""
    rows = SuppressedAddress.objects.select_related("delivery__customer", "delivery__mailing__incident")
    query = query.strip()
    if query:
        rows = rows.filter(email__icontains=query) | rows.filter(delivery__customer__number__iexact=query)
    return rows.order_by("-created_at", "-id")


def suppression_lift(*, suppression_id: int, reason: str, by) -> SuppressedAddress:
    """Take an address off the list; the reason is required and kept in the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise LiftRefused(gettext("Say why the address may receive mail again."))
    with transaction.atomic():
        row = SuppressedAddress.objects.select_for_update().filter(pk=suppression_id).first()
        if row is None:
            raise LiftRefused(gettext("This address is not suppressed (any more)."))
        audit_record(
            actor=by,
            action="suppression.lift",
            obj=row,
            email=row.email,
            suppressed_for=row.reason,
            since=row.created_at.isoformat(),
            reason=reason,
        )
        row.delete()
    return row
