"""Keeping a mailing moving: queueing batches on commit, retries that are due, reconciling
deliveries a dead worker left in "sending", and marking mailings done."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing
from campaigns.mailings.sending import OWN_ESP, BatchResult, batch_send, delivery_message_id, product_setting

log = logging.getLogger(__name__)


def mailing_batch_process(*, mailing_id: int, batch: int) -> BatchResult:
    """Send one batch and keep the mailing moving: queue the retry a temporary failure asks for
    (unless the mailing paused), count the deliveries it closed, or, when the batch had nothing
    left (a duplicate or late run), see whether the whole mailing is done."""
    result = batch_send(mailing_id=mailing_id, batch=batch)
    if result.retry_in is not None and not result.paused:
        requeue_retry(mailing_id, batch, result.retry_in)
    if result.claimed:
        deliveries_closed(mailing_id, result.sent + result.failed)
    else:
        mailing_finish_if_complete(mailing_id=mailing_id)
    return result


def _open_key(mailing_id: int) -> str:
    return f"hostnotify:mailing:{mailing_id}:open-deliveries"


def open_deliveries_set(mailing_id: int, count: int | None = None) -> None:
    """Set the shared count of deliveries still to be decided (counted from the rows when not given)."""
    if count is None:
        count = Delivery.objects.filter(
            mailing_id=mailing_id, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        ).count()
    cache.set(_open_key(mailing_id), count, timeout=7 * 24 * 3600)


def deliveries_closed(mailing_id: int, count: int) -> None:
    """Count deliveries that reached sent or failed; when none is left open, mark the mailing done.
    The counter only saves a query per batch: the decision itself reads the deliveries, and the
    periodic sweep catches anything the counter missed (e.g. an evicted cache key)."""
    if count <= 0:
        return
    try:
        left = cache.decr(_open_key(mailing_id), count)
    except ValueError:
        left = 0
    if left <= 0:  # its own task, so that a batch stays at three statements
        from campaigns.mailings.tasks import finish_mailing

        transaction.on_commit(lambda: finish_mailing.delay(mailing_id))


def queue_batches(mailing_id: int, batches: Iterable[int], *, countdown: float | None = None) -> None:
    """Queue one send task per batch once the current transaction commits (ids only)."""
    batches = list(batches)
    if not batches:
        return

    def publish():
        from campaigns.mailings.tasks import send_batch

        for batch in batches:
            # celery-types wants a float; None is Celery's own default (no delay).
            send_batch.apply_async((mailing_id, batch), countdown=countdown)  # type: ignore[arg-type]

    transaction.on_commit(publish)


def queue_pending_batches(mailing_id: int, *, now: dt.datetime | None = None, only_overdue: bool = False) -> list[int]:
    """Queue every batch of a sending mailing that has pending deliveries due now; with
    ``only_overdue`` just those whose retry time has come or whose task seems lost (untouched
    for longer than the lease), so a periodic sweep does not duplicate every queued batch."""
    now = now or timezone.now()
    due = Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.PENDING).exclude(
        next_attempt_at__gt=now
    )
    if only_overdue:
        lease = dt.timedelta(seconds=product_setting("MAIL_SENDING_LEASE_SECONDS", 600))
        due = due.filter(Q(next_attempt_at__lte=now) | Q(updated_at__lte=now - lease))
    batches = sorted(set(due.values_list("batch", flat=True)))
    if not only_overdue:
        open_deliveries_set(mailing_id)
    queue_batches(mailing_id, batches)
    return batches


def requeue_retry(mailing_id: int, batch: int, delay: float) -> None:
    """A batch backed off: queue it again after ``delay`` if the broker can hold the task that
    long; a longer delay stays a ``next_attempt_at`` row that the periodic sweep picks up."""
    limit = product_setting("MAIL_MAX_COUNTDOWN_SECONDS", _max_countdown())
    if delay <= limit:
        queue_batches(mailing_id, [batch], countdown=max(0.0, delay))


def _max_countdown() -> float:
    from hostnotify.celery import app

    visibility = (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    return visibility / 2


def mailing_finish_if_complete(*, mailing_id: int) -> bool:
    """Mark a sending mailing done once nothing is pending or being sent (one UPDATE)."""
    open_rows = Delivery.objects.filter(
        mailing_id=OuterRef("pk"), status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    )
    return bool(
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING)
        .exclude(Exists(open_rows))
        .update(status=Mailing.Status.DONE, finished_at=timezone.now())
    )


def _reconciler():
    path = product_setting("MAIL_RECONCILER", "")
    return import_string(path) if path else None


def deliveries_reconcile(*, mailing: Mailing, stale_after: dt.timedelta | None = None) -> dict[str, int]:
    """Deliveries left in "sending" longer than the lease (a batch is hard-killed after the task
    time limit, so such a row has no live worker) become "unknown". With a reconciler configured
    (``HOSTNOTIFY["MAIL_RECONCILER"]``: a callable taking Message-IDs and returning those the
    receiving end holds), each is then decided: found → sent, not found → pending again."""
    if stale_after is None:
        stale_after = dt.timedelta(seconds=product_setting("MAIL_SENDING_LEASE_SECONDS", 600))
    now = timezone.now()
    with transaction.atomic():
        stale = list(
            Delivery.objects.select_for_update()
            .filter(mailing=mailing, status=Delivery.Status.SENDING, updated_at__lte=now - stale_after)
            .only("pk", "mailing_id", "attempts")
        )
        if not stale:
            return {"unknown": 0, "sent": 0, "pending": 0}
        Delivery.objects.filter(pk__in=[d.pk for d in stale]).update(status=Delivery.Status.UNKNOWN, updated_at=now)
        reconciler = _reconciler()
        found: set[str] = set()
        if reconciler is not None:
            found = set(reconciler([delivery_message_id(d) for d in stale]))
        sent = [d for d in stale if delivery_message_id(d) in found]
        if reconciler is not None:
            missing = [d.pk for d in stale if delivery_message_id(d) not in found]
            Delivery.objects.filter(pk__in=missing).update(status=Delivery.Status.PENDING, next_attempt_at=None)
            for delivery in sent:
                delivery.status = Delivery.Status.SENT
                delivery.message_id = delivery_message_id(delivery)
                delivery.sent_at = now
            Delivery.objects.bulk_update(sent, ["status", "message_id", "sent_at"])
        DeliveryEvent.objects.bulk_create(
            [
                DeliveryEvent(
                    delivery_id=d.pk,
                    esp=OWN_ESP,
                    event_type="reconciled",
                    event_id=f"reconcile:{d.pk}:{d.attempts}",
                    occurred_at=now,
                    description=_reconcile_note(reconciler, d in sent),
                )
                for d in stale
            ],
            ignore_conflicts=True,
        )
    outcome = {"unknown": len(stale), "sent": 0, "pending": 0}
    if reconciler is not None:
        outcome = {"unknown": 0, "sent": len(sent), "pending": len(stale) - len(sent)}
    log.warning("mailing %s: reconciled %s", mailing.pk, outcome)
    return outcome


def _reconcile_note(reconciler, found: bool) -> str:
    if reconciler is None:
        return "worker lost while sending: unknown whether the message went out"
    if found:
        return "worker lost after handing over: the receiving end has the message"
    return "worker lost before handing over: queued again"


def mailings_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic task: launch due scheduled mailings, queue retries whose time has come,
    reconcile stale "sending" rows and mark finished mailings done."""
    from campaigns.mailings.services import mailing_launch_due

    now = now or timezone.now()
    summary = {"launched": mailing_launch_due(now=now), "requeued": 0, "reconciled": 0, "finished": 0}
    for mailing in Mailing.objects.filter(status=Mailing.Status.SENDING):
        summary["reconciled"] += sum(deliveries_reconcile(mailing=mailing).values())
        summary["requeued"] += len(queue_pending_batches(mailing.pk, now=now, only_overdue=True))
        summary["finished"] += int(mailing_finish_if_complete(mailing_id=mailing.pk))
    return summary
