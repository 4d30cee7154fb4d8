"""Export an incident's compensation for finance as CSV, XLSX or a PDF summary."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.compensation.export import FORMATS, compensation_export
from campaigns.incidents.models import Incident


class Command(BaseCommand):
    help = "Export compensation per customer (columns as DESIGN.md lists) as csv, xlsx or pdf."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="incident slug")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, incident, fmt, output, **options):
        try:
            incident = Incident.objects.get(slug=incident)
        except Incident.DoesNotExist:
            raise CommandError(f"no incident with slug {incident!r}") from None
        if not incident.compensations.exists():
            raise CommandError(f"{incident.slug} has no compensation yet: run `compensate {incident.slug}` first")
        data = compensation_export(incident=incident, fmt=fmt, actor_label="command line: export_compensation")
        if output:
            try:
                Path(output).write_bytes(data)
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc}") from None
            self.stderr.write(f"wrote {output} ({len(data)} bytes, {incident.compensations.count()} customers)")
        elif fmt == "csv":
            self.stdout.write(data.decode("utf-8"), ending="")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
