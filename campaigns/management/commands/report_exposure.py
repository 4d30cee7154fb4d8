import csv
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.spreadsheets import neutralise
from campaigns.incidents.models import Incident
from campaigns.incidents.selectors import incident_exposures

COLUMNS = [
    "incident",
    "customer_number",
    "customer_name",
    "account",
    "product",
    "servers",
    "affected_seconds",
    "affected_hours",
    "intervals",
]


class Command(BaseCommand):
    help = "Write one CSV row per affected account of an incident."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="incident slug")
        parser.add_argument("-o", "--output", help="CSV file (default: standard output)")

    def handle(self, *args, incident, output, **options):
        try:
            incident_obj = Incident.objects.get(slug=incident)
        except Incident.DoesNotExist as exc:
            known = ", ".join(Incident.objects.values_list("slug", flat=True)[:20]) or "none"
            raise CommandError(f"unknown incident {incident!r} (known: {known})") from exc
        rows = incident_exposures(incident_obj, sort="customer").order_by("customer__number", "account__name")
        total = rows.count()
        handle = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        try:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            quiet = options["verbosity"] == 0 or not output
            for exposure in tqdm(
                rows.iterator(chunk_size=10_000), total=total, unit="row", disable=quiet, file=self.stderr
            ):
                seconds = exposure.affected_seconds
                writer.writerow(
                    neutralise(cell)
                    for cell in [
                        incident,
                        exposure.customer.number,
                        exposure.customer.name,
                        exposure.account.name,
                        exposure.account.product,
                        ", ".join(exposure.servers),
                        seconds,
                        f"{seconds / 3600:.2f}",
                        ";".join(f"{s}/{e}@{server}" for s, e, server in exposure.intervals),
                    ]
                )
        finally:
            if output:
                handle.close()
        if output:
            self.stderr.write(f"{total} account(s) written to {output}")
