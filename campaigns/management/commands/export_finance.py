"""export_finance [INCIDENT] --format csv|xlsx|pdf|journal|billing|donations [--section S] [--since D] [--until D]
[--csv-style comma|semicolon] [-o FILE]"""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.spreadsheets import CSV_STYLES
from campaigns.finance.export import FORMATS, ExportRefused, finance_export
from campaigns.finance.tables import SECTION_KEYS
from campaigns.incidents.models import Incident


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Export the finance report of one incident (or of all) or the accounting journal."

    def add_arguments(self, parser):
        parser.add_argument("incident", nargs="?", help="incident slug; all incidents when left out")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--section", default="totals", help=f"CSV only: one of {', '.join(SECTION_KEYS)}")
        parser.add_argument("--since", type=_date, help="journal: first local date (inclusive)")
        parser.add_argument("--until", type=_date, help="journal: last local date (inclusive)")
        parser.add_argument(
            "--csv-style",
            default="comma",
            choices=CSV_STYLES,
            help="CSV: 'semicolon' writes ; between fields and a byte order mark (Excel in Switzerland)",
        )
        parser.add_argument("-o", "--output", help="file to write; default: standard output (CSV) or a file name")

    def handle(self, *args, incident=None, format=None, section=None, since=None, until=None, output=None, **kw):
        csv_style = kw.get("csv_style", "comma")
        scope = None
        if incident:
            scope = Incident.objects.filter(slug=incident).first()
            if scope is None:
                raise CommandError(f"no incident with the slug {incident!r}")
        try:
            export = finance_export(
                fmt=format, incident=scope, section=section, since=since, until=until, csv_style=csv_style
            )
        except ExportRefused as exc:
            raise CommandError(str(exc)) from exc
        if output == "-" or (output is None and format in ("csv", "journal", "billing", "donations")):
            sys.stdout.buffer.write(export.content)
            sys.stdout.flush()
            return
        path = output or export.filename
        with open(path, "wb") as handle:
            handle.write(export.content)
        self.stderr.write(f"wrote {path}: {len(export.content):,} bytes ({format}, {incident or 'all incidents'})")
