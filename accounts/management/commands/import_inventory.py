from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.services.inventory import ImportRejected, inventory_import


def count_rows(path: str) -> int:
    with open(path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def print_errors(command: BaseCommand, errors, limit: int = 200) -> None:
    for error in errors[:limit]:
        command.stderr.write(f"  {error}")
    if len(errors) > limit:
        command.stderr.write(f"  … and {len(errors) - limit} more")


class Command(BaseCommand):
    help = "Import servers, customers and hosting accounts (with placements) from CSV files."

    def add_arguments(self, parser):
        parser.add_argument("--servers", help="servers.csv: name,hostname,storage_volume,datacenter")
        parser.add_argument("--customers", help="customers.csv: number,name,email,language,currency")
        parser.add_argument(
            "--accounts",
            help="accounts.csv: account,customer_number,product,monthly_fee,server,active_from,active_until",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--encoding", default="utf-8-sig", help="of the CSV files (default UTF-8, a BOM is fine)")

    def handle(self, *args, servers, customers, accounts, dry_run, **options):
        files = {"servers": servers, "customers": customers, "accounts": accounts}
        if not any(files.values()):
            raise CommandError("give at least one of --servers, --customers, --accounts")
        for label, path in files.items():
            if path and not Path(path).is_file():
                raise CommandError(f"--{label}: no such file: {path}")
        rows = {label: count_rows(path) for label, path in files.items() if path}
        total = rows.get("servers", 0) + 2 * (rows.get("customers", 0) + rows.get("accounts", 0))
        with tqdm(total=total, unit="row", desc="import", disable=options["verbosity"] == 0, file=self.stderr) as bar:
            try:
                summary = inventory_import(
                    **files, dry_run=dry_run, progress=bar.update, encoding=options.get("encoding") or "utf-8-sig"
                )
            except ImportRejected as exc:
                bar.close()
                print_errors(self, exc.errors)
                raise CommandError(f"{len(exc.errors)} bad row(s): nothing was imported") from exc
            bar.n = total
        prefix = "dry run — would have " if dry_run else ""
        for kind in summary.created:
            self.stdout.write(
                f"{prefix}{kind}: {summary.created[kind]} created, {summary.updated.get(kind, 0)} updated, "
                f"{summary.unchanged.get(kind, 0)} unchanged"
            )
        for note in summary.notes:
            self.stdout.write(f"{prefix}{note}")
        if not summary.changed:
            self.stdout.write(self.style.SUCCESS("nothing changed"))
