"""Rendering the voucher PDFs of an incident in bulk: fixed-size id batches, rendered in this
process or queued as tasks on the ``pdf`` queue for the workers to share."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.files.storage import default_storage
from django.db import transaction

from accounts.bulk import rows_where_in
from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Incident

PDF_BATCH = 200  # ids per task: ~0.3 s of a worker stamped, small enough to spread over workers


def voucher_pdf_pending_ids(*, incident: Incident) -> list[int]:
    """The ids of the incident's vouchers without a stored PDF, in id order."""
    return list(
        Voucher.objects.filter(compensation__incident=incident, pdf="").order_by("id").values_list("id", flat=True)
    )


PROGRESS_BATCHES = 16  # the queued batches a progress check looks at: the front of the queue
PROGRESS_INTERVAL = 0.25  # seconds between two checks


def voucher_pdf_pending(*, ids: list[int]) -> list[int]:
    """Those of these vouchers that still have no stored PDF (one statement on PostgreSQL, the
    ids as one binary array: ``pk__in`` with 100,000 ids costs 1.5 s of CPU to bind each time)."""
    return [pk for pk, pdf in rows_where_in(Voucher, "id", ids, ["id", "pdf"]) if not pdf]


def voucher_pdf_pending_count(*, ids: list[int]) -> int:
    """How many of these vouchers still have no stored PDF."""
    return len(voucher_pdf_pending(ids=ids))


def voucher_pdfs_wait(chunks: list[list[int]], *, deadline: float, progress: Callable[[int], None]) -> int:
    """Wait until the workers have rendered these queued batches or ``time.monotonic()`` passes
    ``deadline``; ``progress(done)`` after each check. Returns how many are still not rendered.

    The workers take batches in queue order, so each check asks about the first
    ``PROGRESS_BATCHES`` batches not known to be done (a few thousand ids) and counts the ones
    behind them as not done yet: the progress bar lags by a batch or two at most, and a check
    costs the database a few milliseconds instead of a look-up of every id, four times a second
    for the whole run, on the cores the workers need."""
    outstanding = [list(chunk) for chunk in chunks if chunk]
    total = sum(map(len, outstanding))
    while outstanding:
        front, behind = outstanding[:PROGRESS_BATCHES], outstanding[PROGRESS_BATCHES:]
        pending = set(voucher_pdf_pending(ids=[pk for chunk in front for pk in chunk]))
        front = [[pk for pk in chunk if pk in pending] for chunk in front]
        outstanding = [chunk for chunk in front if chunk] + behind
        progress(total - sum(map(len, outstanding)))
        if not outstanding or time.monotonic() >= deadline:
            break
        time.sleep(PROGRESS_INTERVAL)
    return sum(map(len, outstanding))


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


def voucher_pdfs_queue(ids: list[int]) -> list[list[int]]:
    """One ``render_voucher_pdfs`` task per batch of ids on the ``pdf`` queue; the batches queued."""
    from campaigns.compensation.tasks import render_voucher_pdfs

    chunks = batches(ids)
    for chunk in chunks:
        render_voucher_pdfs.delay(chunk)
    return chunks


def pdf_workers_running(timeout: float = 1.0) -> bool:
    """Whether a Celery worker consumes the ``pdf`` queue right now (never with eager tasks)."""
    from hostnotify.celery import app, queue_consumed

    return not app.conf.task_always_eager and queue_consumed("pdf", timeout)
