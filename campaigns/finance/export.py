"""Producing a finance export and recording who took it: exports are money-relevant actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accounts.spreadsheets import CSV_STYLES, write_csv
from campaigns.audit.services import audit_record
from campaigns.finance.tables import (
    SECTION_KEYS,
    journal_csv,
    report_data,
    report_pdf,
    report_sections,
    sections_csv,
    sections_xlsx,
)
from campaigns.incidents.models import Incident
from campaigns.offers.billing import BILLING_HEADERS, DONATION_HEADERS, billing_rows, donation_totals

FORMATS = ("csv", "xlsx", "pdf", "journal", "billing", "donations")
# Over all incidents only: what billing imports and what finance passes on to organisations.
PERIOD_FORMATS = ("billing", "donations")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "journal": "text/csv; charset=utf-8",
    "billing": "text/csv; charset=utf-8",
    "donations": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class ExportRefused(Exception):
    """Unknown format or section: the message says which ones exist."""


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


def finance_export(
    *,
    fmt: str,
    incident: Incident | None = None,
    section: str = "totals",
    since: dt.date | None = None,
    until: dt.date | None = None,
    by=None,
    actor_label: str = "command",
    csv_style: str = "comma",
) -> ExportFile:
    """The report of one incident (or all) as ``csv`` (one section), ``xlsx``, ``pdf``, or the
    accounting ``journal`` (CSV); or over all incidents, for a period, what ``billing`` imports
    (CSV: balance credits, extensions, partner codes) and the ``donations`` per organisation.
    CSV comes with ``,`` or, as ``csv_style="semicolon"``, with ``;`` and a byte order mark for
    spreadsheets set up for Switzerland. Records an audit entry."""
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if csv_style not in CSV_STYLES:
        raise ExportRefused(f"unknown CSV style {csv_style!r}; choose one of {', '.join(CSV_STYLES)}")
    if fmt in PERIOD_FORMATS and incident is not None:
        raise ExportRefused(f"the {fmt} export covers every incident: give a period, not an incident")
    if fmt == "csv" and section not in SECTION_KEYS:
        raise ExportRefused(f"unknown section {section!r}; choose one of {', '.join(SECTION_KEYS)}")
    if fmt == "csv" and section == "incidents" and incident is not None:
        raise ExportRefused("the section 'incidents' exists only in the report over all incidents")
    now = timezone.now()
    scope = incident.slug if incident else "all"
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    if fmt == "journal":
        content = journal_csv(incident=incident, since=since, until=until, style=csv_style)
        filename = f"journal-{scope}-{stamp}.csv"
    elif fmt == "billing":
        content = write_csv(BILLING_HEADERS, billing_rows(since=since, until=until), style=csv_style)
        filename = f"billing-{stamp}.csv"
    elif fmt == "donations":
        content = write_csv(DONATION_HEADERS, donation_totals(since=since, until=until), style=csv_style)
        filename = f"donations-{stamp}.csv"
    else:
        data = report_data(incident=incident)
        if fmt == "pdf":
            content = report_pdf(data, generated_at=now)
        elif fmt == "xlsx":
            content = sections_xlsx(report_sections(data))
        else:
            content = sections_csv(report_sections(data), section, style=csv_style)
        filename = f"finance-{scope}-{section + '-' if fmt == 'csv' else ''}{stamp}.{fmt}"
    audit_record(
        actor=by,
        action="finance.export",
        incident=incident,
        **({} if getattr(by, "pk", None) else {"actor_label": actor_label}),
        format=fmt,
        section=section if fmt == "csv" else "",
        since=since.isoformat() if since else "",
        until=until.isoformat() if until else "",
        **({"csv_style": csv_style} if fmt not in ("pdf", "xlsx") else {}),
        size=len(content),
    )
    return ExportFile(filename, CONTENT_TYPES[fmt], content)
