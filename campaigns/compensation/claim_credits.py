"""What accepted claims add to a customer's compensation: downtime (an exposure adjustment,
already part of the exposure the policy reads) and goodwill amounts (added after the policy's
rounding). Both are written into the explanation, so the customer reads "added after your claim
of …", and into the inputs digest, so a change reaches the draft, or a top-up once approved."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from campaigns.compensation import policy as rules_mod
from campaigns.compensation.models import GoodwillCredit
from campaigns.incidents.models import ExposureAdjustment, Incident


def claim_credits(incident: Incident) -> dict[int, list[dict]]:
    """customer id → what was added for them, oldest first: two queries per incident."""
    notes: dict[int, list[dict]] = {}
    adjustments = ExposureAdjustment.objects.filter(incident=incident).order_by("noted_at", "id")
    for customer_id, account, start, end, noted_at, reference in adjustments.values_list(
        "account__customer_id", "account__name", "start", "end", "noted_at", "reference"
    ):
        notes.setdefault(customer_id, []).append(
            {
                "kind": "downtime",
                "account": account,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "noted_at": noted_at.isoformat(),
                "reference": reference,
            }
        )
    goodwill = GoodwillCredit.objects.filter(incident=incident).order_by("noted_at", "id")
    for customer_id, amount, currency, noted_at, reference in goodwill.values_list(
        "customer_id", "amount", "currency", "noted_at", "reference"
    ):
        notes.setdefault(customer_id, []).append(
            {
                "kind": "goodwill",
                "amount": str(amount),
                "currency": currency,
                "noted_at": noted_at.isoformat(),
                "reference": reference,
            }
        )
    return notes


def with_claim_credits(
    result: rules_mod.CustomerAmount, digest: str, notes: list[dict] | None
) -> tuple[rules_mod.CustomerAmount, str]:
    """The policy's ``result`` with goodwill added and every note explained; the digest covers them."""
    if not notes:
        return result, digest
    goodwill = sum((Decimal(note["amount"]) for note in notes if note["kind"] == "goodwill"), Decimal("0.00"))
    explanation = {**result.explanation, "claims": notes}
    if goodwill:
        explanation["goodwill"] = str(goodwill)
        explanation["total"] = str(result.amount + goodwill)
    raised = rules_mod.CustomerAmount(result.amount + goodwill, result.tier, result.affected_seconds, explanation)
    return raised, hashlib.sha256(f"{digest}|{notes!r}".encode()).hexdigest()
