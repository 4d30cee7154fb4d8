"""Top-ups: a raise of an approved compensation waits for a second finance user, like a first amount.

``compensation_prepare`` records what an approved compensation would become (``topups_stage``);
``compensation_approve`` applies the pending raises and issues their top-up vouchers
(``topups_apply``), refusing anyone who prepared one of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from campaigns.compensation.models import Compensation, CompensationTopUp
from campaigns.compensation.policy import CustomerAmount
from campaigns.compensation.vouchers import VoucherRequest, vouchers_issue
from campaigns.incidents.models import Incident

RAISED_FIELDS = ("amount", "affected_seconds", "tier", "explanation", "inputs_digest")
# An approved compensation whose inputs changed without raising its amount: only these change.
REEXPLAINED_FIELDS = ("affected_seconds", "explanation", "inputs_digest", "computed_at")


@dataclass(frozen=True)
class Raise:
    compensation_id: int
    previous_amount: Decimal
    currency: str
    fields: dict  # the compensation's new values (RAISED_FIELDS, amount as Decimal)


def kept_amount_fields(pk: int, result: CustomerAmount, digest: str, approved: Decimal, now: dt.datetime) -> dict:
    """The approved amount stays (it is never lowered) and the explanation describes the changed
    exposure, saying that the amount was kept: the stored explanation always fits the exposure."""
    kept = {**result.explanation, "amount": str(approved), "approved_amount_kept": True}
    kept["computed_amount"] = result.explanation.get("amount")
    return {"id": pk, **dict(zip(REEXPLAINED_FIELDS, (result.affected_seconds, kept, digest, now), strict=True))}


def _pending(incident: Incident):
    return CompensationTopUp.objects.filter(compensation__incident=incident, status=CompensationTopUp.Status.PENDING)


def topups_pending_digests(incident: Incident) -> dict[int, str]:
    """compensation id → inputs digest of its pending top-up."""
    return {
        cid: raised.get("inputs_digest", "")
        for cid, raised in _pending(incident).values_list("compensation_id", "raised")
    }


def topups_stage(*, incident: Incident, raises: list[Raise], keep: set[int], user, now: dt.datetime) -> int:
    """Replace the incident's pending top-ups by ``raises``; pending ones of compensations in
    ``keep`` (unchanged since) stay. Returns how many were staged."""
    _pending(incident).exclude(compensation_id__in=keep).delete()
    CompensationTopUp.objects.bulk_create(
        CompensationTopUp(
            compensation_id=item.compensation_id,
            amount=item.fields["amount"] - item.previous_amount,
            currency=item.currency,
            raised={**item.fields, "amount": str(item.fields["amount"])},
            prepared_by=user,
            prepared_at=now,
        )
        for item in raises
    )
    return len(raises)


def topups_preparers(incident: Incident) -> set:
    return set(_pending(incident).values_list("prepared_by_id", flat=True).distinct())


def topups_apply(*, incident: Incident, by, now: dt.datetime) -> list[VoucherRequest]:
    """Raise every compensation with a pending top-up and issue its top-up voucher (the caller
    holds the incident's lock and has checked four eyes). Returns the vouchers' requests."""
    pending = list(_pending(incident).select_related("compensation"))
    requests = []
    for topup in pending:
        compensation = topup.compensation
        raised = topup.raised
        Compensation.objects.filter(pk=compensation.pk, status=Compensation.Status.APPROVED).update(
            amount=Decimal(raised["amount"]),
            affected_seconds=raised["affected_seconds"],
            tier=raised["tier"],
            explanation=raised["explanation"],
            inputs_digest=raised["inputs_digest"],
            computed_at=now,
        )
        requests.append(VoucherRequest(compensation.pk, compensation.customer_id, topup.amount, topup.currency))
    CompensationTopUp.objects.filter(pk__in=[topup.pk for topup in pending]).update(
        status=CompensationTopUp.Status.APPROVED, approved_by=by, approved_at=now
    )
    vouchers_issue(requests=requests, is_topup=True, now=now)
    return requests
