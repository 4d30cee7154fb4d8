"""Exporting an incident's compensation for finance: CSV, typed XLSX, or a readable PDF summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from accounts.mail.brand import pdf_brand
from accounts.spreadsheets import write_csv, write_xlsx
from campaigns.compensation.code_access import code_shown_record
from campaigns.compensation.codes import format_code
from campaigns.compensation.models import Compensation
from campaigns.incidents.models import Incident
from campaigns.incidents.selectors import customer_downtimes

FORMATS = ("csv", "xlsx", "pdf")
PDF_MAX_ROWS = 1_000  # the summary lists the largest amounts; the full list is the CSV/XLSX

HEADERS = (
    "incident",
    "customer_number",
    "customer_name",
    "language",
    "currency",
    "affected_seconds",
    "amount",
    "tier",
    "status",
    "policy",
    "voucher_code",
    "voucher_status",
    "voucher_expires_on",
    "approved_at",
)


def compensation_rows(incident: Incident) -> Iterator[tuple]:
    """One row per affected customer, values typed (Decimal, int, date, datetime), in customer order.
    Top-up vouchers appear after the original voucher, codes separated by a space."""
    compensations = (
        Compensation.objects.filter(incident=incident)
        .select_related("customer", "policy")
        .prefetch_related("vouchers")
        .order_by("customer__number")
        .iterator(chunk_size=2_000)
    )
    # affected_seconds is the customer's downtime (the union of its accounts' intervals), as everywhere.
    downtimes = customer_downtimes(incident_ids=[incident.pk])
    for comp in compensations:
        vouchers = sorted(comp.vouchers.all(), key=lambda v: (v.is_topup, v.issued_at, v.pk))
        yield (
            incident.slug,
            comp.customer.number,
            comp.customer.name,
            comp.customer.language,
            comp.currency,
            downtimes.get((incident.pk, comp.customer_id), 0),
            comp.amount,
            comp.tier,
            comp.status,
            f"{comp.policy.name} v{comp.policy.version}",
            " ".join(format_code(v.code) for v in vouchers),
            " ".join(v.status for v in vouchers),
            min((v.expires_on for v in vouchers), default=None),
            comp.approved_at,
        )


def compensation_export(*, incident: Incident, fmt: str, by=None, actor_label: str = "") -> bytes:
    """The export in ``fmt``; CSV and XLSX carry the full voucher codes, so the audit log records
    who exported them (``by``, a finance user, or the command line named by ``actor_label``)."""
    if fmt in ("csv", "xlsx"):
        code_shown_record(user=by, where=f"export {fmt}", incident=incident, actor_label=actor_label)
    if fmt == "csv":
        return write_csv(HEADERS, compensation_rows(incident))
    if fmt == "xlsx":
        return write_xlsx(HEADERS, compensation_rows(incident), title=incident.slug)
    if fmt == "pdf":
        return _summary_pdf(incident)
    raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")


def _summary_pdf(incident: Incident) -> bytes:
    from weasyprint import HTML

    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    customers: Counter = Counter()
    tiers: Counter = Counter()
    rows = []
    for row in compensation_rows(incident):
        currency, amount, tier, status = row[4], row[6], row[7], row[8]
        totals[(currency, status)] += amount
        customers[(currency, status)] += 1
        tiers[tier] += 1
        rows.append(row)
    rows.sort(key=lambda r: (-r[6], r[1]))
    html = render_to_string(
        "pdf/compensation_summary.html",
        {
            "brand": pdf_brand(),
            "incident": incident,
            "generated": timezone.localtime(),
            "totals": [
                {"currency": c, "status": s, "customers": customers[(c, s)], "amount": total}
                for (c, s), total in sorted(totals.items())
            ],
            "tiers": sorted(tiers.items()),
            "rows": rows[:PDF_MAX_ROWS],
            "truncated": len(rows) > PDF_MAX_ROWS,
            "row_count": len(rows),
        },
    )
    return HTML(string=html).write_pdf()
