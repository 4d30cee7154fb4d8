"""Rendering the voucher PDFs of an incident in bulk: fixed-size id batches, rendered in this
process or queued as tasks on the ``pdf`` queue for the workers to share."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction

from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Incident

PDF_BATCH = 200  # ids per task: ~0.3 s of a worker stamped, small enough to spread over workers


def voucher_pdf_pending_ids(*, incident: Incident) -> list[int]:
    """The ids of the incident's vouchers without a stored PDF, in id order."""
    return list(
        Voucher.objects.filter(compensation__incident=incident, pdf="").order_by("id").values_list("id", flat=True)
    )


def voucher_pdf_pending_count(*, ids: list[int]) -> int:
    """How many of these vouchers still have no stored PDF."""
    return Voucher.objects.filter(pk__in=ids, pdf="").count()


def voucher_pdfs_forget(*, incident: Incident) -> list[str]:
    """Mark every PDF of the incident as not rendered (to render them all again); returns the
    stored file names, to delete once the new ones are written (``stored_files_delete``).
    Until then a PDF someone asks for is rendered on first use."""
    with transaction.atomic():
        vouchers = Voucher.objects.select_for_update().filter(compensation__incident=incident).exclude(pdf="")
        names = list(vouchers.values_list("pdf", flat=True))
        vouchers.update(pdf="")
    return names


def stored_files_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def batches(ids: list[int], size: int = PDF_BATCH) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def voucher_pdfs_queue(ids: list[int]) -> int:
    """One ``render_voucher_pdfs`` task per batch of ids on the ``pdf`` queue; the number queued."""
    from campaigns.compensation.tasks import render_voucher_pdfs

    chunks = batches(ids)
    for chunk in chunks:
        render_voucher_pdfs.delay(chunk)
    return len(chunks)


def pdf_workers_running(timeout: float = 1.0) -> bool:
    """Whether a Celery worker consumes the ``pdf`` queue right now (never with eager tasks)."""
    from hostnotify.celery import app, queue_consumed

    return not app.conf.task_always_eager and queue_consumed("pdf", timeout)
