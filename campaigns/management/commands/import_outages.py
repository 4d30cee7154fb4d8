from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.csv_rows import ImportRejected
from accounts.management.commands.import_inventory import print_errors
from campaigns.incidents.outages import outages_import


class Command(BaseCommand):
    help = "Import incidents and outage windows from windows.csv and recompute their exposure."

    def add_arguments(self, parser):
        parser.add_argument("file", help="windows.csv: incident,title,target_type,target,start,end")
        parser.add_argument("--dry-run", action="store_true", help="validate and compute, write nothing")
        parser.add_argument("--encoding", default="utf-8-sig", help="of the CSV file (default UTF-8, a BOM is fine)")

    def handle(self, *args, file, dry_run, **options):
        if not Path(file).is_file():
            raise CommandError(f"no such file: {file}")
        with tqdm(
            total=1, desc="import outages + exposure", disable=options["verbosity"] == 0, file=self.stderr
        ) as bar:
            try:
                summary = outages_import(source=file, dry_run=dry_run, encoding=options.get("encoding") or "utf-8-sig")
            except ImportRejected as exc:
                bar.close()
                print_errors(self, exc.errors)
                raise CommandError(f"{len(exc.errors)} bad row(s): nothing was imported") from exc
            bar.update(1)
        prefix = "dry run — would have " if dry_run else ""
        self.stdout.write(
            f"{prefix}{summary.windows} window(s): incidents created {summary.incidents_created or '-'}, "
            f"changed {summary.incidents_changed or '-'}, unchanged {summary.incidents_unchanged or '-'}"
        )
        for slug, result in summary.exposure.items():
            hours = result.affected_seconds / 3600
            self.stdout.write(
                f"  {slug}: {result.accounts} account(s) of {result.customers} customer(s) affected, "
                f"{hours:,.1f} account-hours"
            )
