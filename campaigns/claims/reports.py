"""Claims for finance: per incident, kind and outcome, how many and what accepting them added to
compensation — approved already, or still waiting for finance. One GROUP BY query."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Sum

from campaigns.claims.models import Claim
from campaigns.compensation.models import Compensation, CompensationTopUp
from campaigns.incidents.models import Incident

ZERO = Decimal("0.00")


@dataclass
class ClaimsLine:
    incident: str
    kind: str
    status: str
    currency: str
    claims: int = 0
    added_approved: Decimal = ZERO
    added_waiting: Decimal = ZERO


def claims_summary(*, incident: Incident | None = None) -> list[ClaimsLine]:
    claims = Claim.objects.all() if incident is None else Claim.objects.filter(incident=incident)
    waiting = Exists(
        CompensationTopUp.objects.filter(
            compensation__incident=OuterRef("incident"),
            compensation__customer=OuterRef("customer"),
            status=CompensationTopUp.Status.PENDING,
        )
    ) | Exists(
        Compensation.objects.filter(
            incident=OuterRef("incident"), customer=OuterRef("customer"), status=Compensation.Status.DRAFT
        )
    )
    rows = (
        claims.annotate(waiting=waiting)
        .values("incident__slug", "kind", "status", "currency", "waiting")
        .annotate(count=Count("id"), added=Sum("amount_added"))
        .order_by("incident__slug", "kind", "status", "currency")
    )
    lines: dict[tuple, ClaimsLine] = {}
    for row in rows:
        key = (row["incident__slug"], row["kind"], row["status"], row["currency"])
        line = lines.setdefault(key, ClaimsLine(*key))
        line.claims += row["count"]
        added = Decimal(row["added"] or 0).quantize(Decimal("0.01"))
        if row["waiting"]:
            line.added_waiting += added
        else:
            line.added_approved += added
    return list(lines.values())
