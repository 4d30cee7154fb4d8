"""What billing needs from the redemptions of a period, as a billing system (WHMCS and the like)
imports it: balance credits, service extensions (account, months, new paid-until date), partner
codes handed out and donations — one row per amount booked, so the file's totals per type are
the ledger's per book. And the donations per organisation, which finance passes on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from campaigns.offers.models import Redemption

BILLING_HEADERS = (
    "date", "customer_number", "customer_name", "type", "account", "months", "paid_until", "partner",
    "face_value", "partner_code", "organisation", "amount", "currency", "incident", "reference",
)  # fmt: skip
# The type of a billing row and the ledger book its amount is booked to.
TYPES = {"balance": "balance_credit", "extension": "service_extension", "partner": "partner_code",
         "donation": "donation"}  # fmt: skip
DONATION_HEADERS = ("organisation", "currency", "donations", "total")


def _period(since: dt.date | None, until: dt.date | None) -> QuerySet[Redemption]:
    rows = Redemption.objects.all()
    if since:
        rows = rows.filter(created_at__date__gte=since)
    if until:
        rows = rows.filter(created_at__date__lte=until)
    return rows


def billing_rows(*, since: dt.date | None = None, until: dt.date | None = None) -> Iterator[tuple]:
    """Rows in booking order; ``since``/``until`` are inclusive local dates."""
    redemptions = (
        _period(since, until)
        .select_related("customer", "account", "partner_code__pool", "voucher__compensation__incident")
        .order_by("created_at", "id")
    )
    for r in redemptions.iterator(chunk_size=2000):
        day = timezone.localtime(r.created_at).date()
        common = (day, r.customer.number, r.customer.name)
        incident, reference = r.voucher.compensation.incident.slug, f"voucher:{r.voucher_id}"
        code = r.partner_code
        if r.amount > 0:
            yield (
                *common,
                TYPES[r.form],
                r.account.name if r.account else "",
                r.months or "",
                r.paid_until or "",
                code.pool.partner if code else "",
                code.pool.face_value if code else "",
                code.code if code else "",
                r.organisation,
                r.amount,
                r.currency,
                incident,
                reference,
            )
        if r.rest > 0:
            yield (*common, TYPES["balance"], "", "", "", "", "", "", "", r.rest, r.currency, incident, reference)


def donation_totals(
    *, since: dt.date | None = None, until: dt.date | None = None
) -> list[tuple[str, str, int, Decimal]]:
    """``(organisation, currency, donations, total)`` per organisation and currency: one query."""
    rows = (
        _period(since, until)
        .filter(form="donation")
        .values("organisation", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("organisation", "currency")
        .values_list("organisation", "currency", "n", "total")
    )
    return [(org, currency, n, Decimal(str(total)).quantize(Decimal("0.01"))) for org, currency, n, total in rows]
