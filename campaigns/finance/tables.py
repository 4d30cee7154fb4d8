"""The finance report as tables ("sections"), and those tables as CSV, XLSX and PDF.

A section is a title, headers and typed rows (Decimal, int, date, text): the XLSX gets one sheet
per section with number formats and a frozen header, the CSV one section per file, the PDF all of
them with the charts. Text that a spreadsheet would run as a formula is neutralised
(``accounts.spreadsheets.neutralise``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.mail.brand import pdf_brand
from accounts.spreadsheets import neutralise, write_csv, write_xlsx_sheets
from campaigns.claims.models import Claim
from campaigns.claims.reports import claims_summary
from campaigns.compensation import charts as finance_charts
from campaigns.compensation.models import Compensation
from campaigns.finance.breakdowns import DIMENSIONS, all_breakdowns
from campaigns.finance.journal import JOURNAL_HEADERS, journal_lines
from campaigns.finance.reports import (
    REDEMPTION_FORMS,
    FinanceReport,
    finance_report,
    form_label,
    ledger_day_rows,
    ledger_totals_by_incident,
    outstanding_by_day,
    redemptions_by_day,
    report_session,
    voucher_amount_counts,
)
from campaigns.incidents.models import Incident


@dataclass
class Section:
    key: str
    title: str
    headers: list[str]
    rows: list[list]

    @property
    def numeric(self) -> list[bool]:
        """Per column: does it hold numbers (right-aligned on pages and in the PDF)?"""
        return [
            any(isinstance(row[i], Decimal | int) and not isinstance(row[i], bool) for row in self.rows)
            for i in range(len(self.headers))
        ]

    @property
    def cells(self) -> list[list[tuple[object, bool]]]:
        """The rows as ``(value, numeric column?)`` pairs for the templates."""
        numeric = self.numeric
        return [list(zip(row, numeric, strict=False)) for row in self.rows]


@dataclass
class ReportData:
    """Everything a report page, export or PDF shows, read with a fixed number of queries."""

    report: FinanceReport
    breakdowns: dict
    redemptions: dict
    amounts: dict
    by_incident: list[tuple[Incident, dict]] | None
    claims: list = field(default_factory=list)  # campaigns.claims.reports.ClaimsLine
    outstanding: dict = field(default_factory=dict)  # {currency: [(day, voucher book balance)]}

    @property
    def histograms(self) -> dict[str, list[finance_charts.Bin]]:
        return {currency: finance_charts.histogram(pairs) for currency, pairs in self.amounts.items()}

    def charts(self) -> dict:
        """Per currency, so that each axis carries one currency: amounts redeemed per day by form,
        what is still owed over time, amounts by tier and by form of compensation, and the
        vouchers per amount (the bins of ``finance_charts.histogram``, as on the compensation page)."""
        per_currency: dict[str, list[tuple[dt.date, str, Decimal]]] = {}
        for series, points in self.redemptions.items():
            currency, book = series.split(" ", 1)
            per_currency.setdefault(currency, []).extend((day, form_label(book), amount) for day, amount in points)
        by_tier: dict[str, list[tuple[str, str, Decimal]]] = {}
        parts = ((_("redeemed"), "redeemed"), (_("expired"), "expired"), (_("void"), "void"),
                 (_("outstanding"), "outstanding"))  # fmt: skip
        for row in self.breakdowns.get("tier", []):
            by_tier.setdefault(row.currency, []).extend(
                (row.label or "–", label, getattr(row, name)) for label, name in parts
            )
        by_form = {
            currency: [(form_label(form), _("redeemed"), amount) for form, amount in totals.redeemed_by_form.items()]
            for currency, totals in self.report.ledger.items()
        }
        return {
            "redemptions": {
                currency: finance_charts.daily_bars_svg(
                    sorted(points),
                    title=_("Redeemed per day in %(currency)s") % {"currency": currency},
                    currency=currency,
                    legend=_("Form of compensation"),
                )
                for currency, points in sorted(per_currency.items())
            },
            "outstanding": {
                currency: finance_charts.balance_line_svg(
                    points,
                    title=_("Still owed on vouchers in %(currency)s, end of day") % {"currency": currency},
                    currency=currency,
                )
                for currency, points in sorted(self.outstanding.items())
            },
            "tiers": {
                currency: finance_charts.category_bars_svg(
                    rows,
                    title=_("Voucher amounts by tier in %(currency)s") % {"currency": currency},
                    currency=currency,
                    category=_("Tier"),
                    legend=_("Status"),
                )
                for currency, rows in sorted(by_tier.items())
            },
            "forms": {
                currency: finance_charts.category_bars_svg(
                    rows,
                    title=_("Redeemed by form of compensation in %(currency)s") % {"currency": currency},
                    currency=currency,
                    category=_("Form of compensation"),
                    legend=_("Status"),
                )
                for currency, rows in sorted(by_form.items())
            },
            "histograms": {
                currency: finance_charts.histogram_svg(
                    bins,
                    title=_("Vouchers per amount in %(currency)s") % {"currency": currency},
                    currency=currency,
                    counted=_("Vouchers"),
                )
                for currency, bins in self.histograms.items()
            },
        }


def report_data(*, incident: Incident | None = None) -> ReportData:
    """A fixed number of queries in one transaction: every figure from the same snapshot."""
    with report_session():
        by_incident = None
        if incident is None:
            totals = ledger_totals_by_incident()
            incidents = Incident.objects.in_bulk([pk for pk in totals if pk is not None])
            by_incident = [(incidents[pk], totals[pk]) for pk in sorted(incidents, key=lambda pk: incidents[pk].slug)]
        day_rows = ledger_day_rows(incident=incident)  # the ledger read once for totals and both charts
        return ReportData(
            report=finance_report(incident=incident, day_rows=day_rows),
            breakdowns=all_breakdowns(incident=incident),
            redemptions=redemptions_by_day(day_rows=day_rows),
            amounts=voucher_amount_counts(incident=incident),
            by_incident=by_incident,
            claims=claims_summary(incident=incident),
            outstanding=outstanding_by_day(day_rows=day_rows),
        )


def _totals_row(totals) -> list:
    return [
        totals.currency,
        totals.issued,
        totals.redeemed,
        *(totals.redeemed_by_form.get(form, Decimal("0.00")) for form in REDEMPTION_FORMS),
        totals.expired,
        totals.void,
        totals.adjusted,
        totals.outstanding,
    ]


def _totals_headers() -> list[str]:
    return [
        _("currency"),
        _("issued"),
        _("redeemed"),
        *(_("redeemed as %(form)s") % {"form": form_label(form)} for form in REDEMPTION_FORMS),
        _("expired"),
        _("void"),
        _("adjusted"),
        _("outstanding"),
    ]


def report_sections(data: ReportData) -> list[Section]:
    report = data.report
    sections = [
        Section("totals", _("Totals"), _totals_headers(), [_totals_row(t) for t in report.ledger.values()]),
        Section(
            "reconciliation",
            _("Reconciliation"),
            [_("check"), _("currency"), _("ledger"), _("vouchers / report"), _("difference"), _("ok")],
            [
                [c.label, c.currency, c.ledger, c.other, c.difference, _("yes") if c.ok else _("NO")]
                for c in report.checks
            ],
        ),
        Section(
            "compensations",
            _("Compensations"),
            [_("currency"), _("status"), _("customers"), _("of them zero"), _("amount")],
            [
                [r["currency"], _status_label(r["status"]), r["customers"], r["zero"], r["total"]]
                for r in report.compensations
            ],
        ),
    ]
    if data.by_incident is not None:
        sections.append(
            Section(
                "incidents",
                _("By incident"),
                [_("incident"), _("title"), *_totals_headers()],
                [
                    [i.slug, i.title, *_totals_row(t)]
                    for i, per_currency in data.by_incident
                    for t in per_currency.values()
                ],
            )
        )
    for dimension, label in DIMENSIONS.items():
        sections.append(
            Section(
                f"by_{dimension}",
                _("By %(dimension)s") % {"dimension": label},
                [
                    str(label),
                    _("currency"),
                    _("customers"),
                    _("vouchers"),
                    _("issued"),
                    _("redeemed"),
                    _("expired"),
                    _("void"),
                    _("outstanding"),
                ],  # fmt: skip
                [
                    [
                        r.label,
                        r.currency,
                        r.customers,
                        r.vouchers,
                        r.issued,
                        r.redeemed,
                        r.expired,
                        r.void,
                        r.outstanding,
                    ]
                    for r in data.breakdowns[dimension]
                ],
            )
        )
    sections.append(
        Section(
            "redemptions",
            _("Redemptions by day"),
            [_("date"), _("currency and form"), _("amount")],
            [
                [day, f"{currency} {form_label(book)}", amount]
                for currency, book, points in sorted(
                    (*series.split(" ", 1), points) for series, points in data.redemptions.items()
                )
                for day, amount in points
            ],
        )
    )
    sections.append(
        Section(
            "amounts",
            _("Voucher amounts"),
            [_("currency"), _("from"), _("below"), _("vouchers")],
            [[currency, b.low, b.high, b.count] for currency, bins in data.histograms.items() for b in bins],
        )
    )
    sections.append(
        Section(
            "claims",
            _("Claims"),
            [
                _("incident"),
                _("kind"),
                _("status"),
                _("currency"),
                _("claims"),
                _("added, approved"),
                _("added, awaiting approval"),
            ],  # fmt: skip
            [
                [
                    line.incident,
                    Claim.Kind(line.kind).label,
                    Claim.Status(line.status).label,
                    line.currency,
                    line.claims,
                    line.added_approved,
                    line.added_waiting,
                ]  # fmt: skip
                for line in data.claims
            ],
        )
    )
    return sections


SECTION_KEYS = ["totals", "reconciliation", "compensations", "incidents", *(f"by_{d}" for d in DIMENSIONS),
                "redemptions", "amounts", "claims"]  # fmt: skip


# --- writers -----------------------------------------------------------------------------------


def sections_csv(sections: list[Section], key: str, *, style: str = "comma") -> bytes:
    """One section as UTF-8 CSV (a spreadsheet opens one table per file)."""
    for section in sections:
        if section.key == key:
            return write_csv([neutralise(h) for h in section.headers], section.rows, style=style)
    raise KeyError(key)


def sections_xlsx(sections: list[Section]) -> bytes:
    """One sheet per section (``accounts.spreadsheets.write_xlsx_sheets``)."""
    return write_xlsx_sheets((section.title, section.headers, section.rows) for section in sections)


def journal_csv(*, incident: Incident | None = None, since=None, until=None, style: str = "comma") -> bytes:
    return write_csv(
        JOURNAL_HEADERS,
        (line.as_row() for line in journal_lines(incident=incident, since=since, until=until)),
        style=style,
    )


def report_pdf(data: ReportData, *, generated_at: dt.datetime) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "pdf/finance_report.html",
        {
            "brand": pdf_brand(),
            "data": data,
            "report": data.report,
            "sections": report_sections(data),
            "charts": data.charts(),
            "generated_at": generated_at,
        },  # fmt: skip
    )
    return HTML(string=html).write_pdf()


def _status_label(status: str) -> str:
    """A compensation's status as the reader says it ("genehmigt"), the code when unknown."""
    return str(Compensation.Status(status).label) if status in Compensation.Status.values else status
