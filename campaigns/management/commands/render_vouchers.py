"""render_vouchers INCIDENT [--force]: every voucher PDF of an incident, with a progress bar and the rate."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from campaigns.compensation.voucher_pdf import voucher_pdfs_render
from campaigns.compensation.voucher_render import (
    batches,
    pdf_workers_running,
    stored_files_delete,
    voucher_pdf_pending_count,
    voucher_pdf_pending_ids,
    voucher_pdfs_forget,
    voucher_pdfs_queue,
    voucher_pdfs_wait,
)
from campaigns.incidents.models import Incident


class Command(BaseCommand):
    help = "Render every voucher PDF of an incident not rendered yet (--force: all), on the pdf workers if any run."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="incident slug")
        parser.add_argument("--force", action="store_true", help="render all of them again")
        parser.add_argument("--here", action="store_true", help="render in this process even if pdf workers run")
        parser.add_argument("--timeout", type=float, default=3600, help="give up waiting for workers after N s")

    def handle(self, *args, incident, force, here, timeout, **options):
        found = Incident.objects.filter(slug=incident).first()
        if found is None:
            raise CommandError(f"no incident with slug {incident!r}")
        old_files = voucher_pdfs_forget(incident=found) if force else []
        ids = voucher_pdf_pending_ids(incident=found)
        if not ids:
            self.stdout.write(f"{found.slug}: every voucher PDF is rendered already (--force renders them again)")
            return
        workers = not here and pdf_workers_running()
        self.stdout.write(
            f"{found.slug}: {len(ids):,} voucher PDFs to render "
            + ("on the pdf workers" if workers else "in this process")
        )
        started = time.monotonic()
        with tqdm(total=len(ids), unit="PDF", desc="voucher PDFs", file=self.stderr, disable=False) as bar:
            if workers:
                voucher_pdfs_wait(
                    voucher_pdfs_queue(ids), deadline=started + timeout, progress=lambda done: bar.update(done - bar.n)
                )
            else:
                for chunk in batches(ids):
                    bar.update(voucher_pdfs_render(chunk))
        seconds = time.monotonic() - started
        left = voucher_pdf_pending_count(ids=ids)
        stored_files_delete(old_files)
        done = len(ids) - left
        self.stdout.write(
            self.style.SUCCESS(f"{done:,} voucher PDFs in {seconds:.1f} s ({done / max(seconds, 1e-9):,.0f} /s)")
        )
        if left:
            raise CommandError(f"{left:,} voucher PDFs still not rendered after {timeout:.0f} s")
