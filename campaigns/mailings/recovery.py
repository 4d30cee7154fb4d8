"""Keeping a mailing moving: queueing batches on commit, retries that are due, reconciling the
claims of dead workers, re-queueing batches that lost their task, and marking mailings done.

The periodic sweep (beat, or ``run_periodic`` without it) is the heartbeat: at each run it finds a
claim whose worker is gone (its database session ended) and a pending batch that has no task
queued (``liveness``) — after a worker was killed, a task lost, or Redis restarted empty.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.module_loading import import_string

from campaigns.mailings import liveness
from campaigns.mailings.claims import OWN_ESP, delivery_message_id, product_setting
from campaigns.mailings.handover import in_doubt_per_claim
from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing
from campaigns.mailings.sending import BatchResult, batch_send

log = logging.getLogger(__name__)

OPEN_STATUSES = (Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.UNKNOWN)
SWEEP_KEY = "hostnotify:mailings:last-sweep"
RECONCILE_CHUNK = 20  # in-doubt deliveries per call to the reconciler
RECONCILE_BUDGET_SECONDS = 10  # per mailing and sweep, past which no further chunk is asked about


def mailing_batch_process(*, mailing_id: int, batch: int) -> BatchResult:
    """Send one batch and keep the mailing moving: queue the retry a temporary failure asks for
    (unless the mailing paused), count the deliveries it closed, or, when the batch had nothing
    left (a duplicate or late run), see whether the whole mailing is done. The task's claim is
    claims its deliveries in its worker's name (``liveness``)."""
    liveness.mark_started(mailing_id, batch)
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
        count = Delivery.objects.filter(mailing_id=mailing_id, status__in=OPEN_STATUSES).count()
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
    except Exception:  # the cache is down: the sweep finishes the mailing
        log.warning("could not count closed deliveries of mailing %s", mailing_id, exc_info=True)
        return
    if left <= 0:  # its own task, so that a batch stays at three statements
        from campaigns.mailings.tasks import finish_mailing

        transaction.on_commit(lambda: finish_mailing.delay(mailing_id))


def queue_batches(mailing_id: int, batches: Iterable[int], *, countdown: float | None = None) -> None:
    """Queue one send task per batch once the current transaction commits (ids only), each
    marked as queued so that the sweep does not queue it again while it waits."""
    batches = list(batches)
    if not batches:
        return

    def publish():
        from campaigns.mailings.tasks import send_batch

        if liveness.cache_is_shared():
            ttl = countdown + liveness.QUEUED_MARGIN if countdown else _visibility_timeout()
            liveness.mark_queued(mailing_id, batches, ttl=ttl)
        elif _tasks_run_here():
            liveness.mark_attending(mailing_id, batches)
        for batch in batches:
            # celery-types wants a float; None is Celery's own default (no delay).
            send_batch.apply_async((mailing_id, batch), countdown=countdown)  # type: ignore[arg-type]

    transaction.on_commit(publish)


def queue_pending_batches(
    mailing_id: int, *, now: dt.datetime | None = None, only_unattended: bool = False
) -> list[int]:
    """Queue every batch of a sending mailing that has pending deliveries due now; with
    ``only_unattended`` just those that have no task waiting in the broker (with a shared cache),
    or, without one, no live process to send them (``liveness.unattended_batches``)."""
    now = now or timezone.now()
    due = Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.PENDING).exclude(
        next_attempt_at__gt=now
    )
    if only_unattended and not liveness.cache_is_shared():
        lease = dt.timedelta(seconds=product_setting("MAIL_SENDING_LEASE_SECONDS", 600))
        batches = sorted(liveness.unattended_batches(due, now=now, lease_cutoff=now - lease))
    else:
        batches = sorted(set(due.values_list("batch", flat=True)))
    if only_unattended and liveness.cache_is_shared():
        waiting = liveness.queued_batches(mailing_id, batches)
        batches = [b for b in batches if b not in waiting]
    if not only_unattended:
        open_deliveries_set(mailing_id)
    queue_batches(mailing_id, batches)
    return batches


def requeue_retry(mailing_id: int, batch: int, delay: float) -> None:
    """A batch backed off: queue it again after ``delay`` if the broker can hold the task that
    long; a longer delay stays a ``next_attempt_at`` row that the periodic sweep picks up."""
    limit = product_setting("MAIL_MAX_COUNTDOWN_SECONDS", _visibility_timeout() / 2)
    if delay <= limit:
        queue_batches(mailing_id, [batch], countdown=max(0.0, delay))


def _tasks_run_here() -> bool:
    from hostnotify.celery import app

    return bool(app.conf.task_always_eager)


def _visibility_timeout() -> float:
    from hostnotify.celery import app

    return (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)


def mailing_finish_if_complete(*, mailing_id: int) -> bool:
    """Mark a sending mailing done once nothing is pending, being sent or in doubt (one UPDATE)."""
    open_rows = Delivery.objects.filter(mailing_id=OuterRef("pk"), status__in=OPEN_STATUSES)
    return bool(
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING)
        .exclude(Exists(open_rows))
        .update(status=Mailing.Status.DONE, finished_at=timezone.now())
    )


def _dead_claims(mailing: Mailing, stale_after: dt.timedelta | None, now: dt.datetime) -> list[tuple]:
    """(pk, batch, claim stamp) of the "sending" rows whose task no longer runs: with
    ``stale_after``, those claimed longer ago; otherwise those whose claiming worker is gone
    (``liveness.dead_claims``: its database session ended) or older than the lease."""
    if stale_after is not None:
        rows = Delivery.objects.filter(mailing=mailing, status=Delivery.Status.SENDING)
        return list(rows.filter(updated_at__lte=now - stale_after).values_list("pk", "batch", "updated_at"))
    lease = dt.timedelta(seconds=product_setting("MAIL_SENDING_LEASE_SECONDS", 600))
    return liveness.dead_claims(mailing_id=mailing.pk, lease_cutoff=now - lease)


def deliveries_reconcile(
    *, mailing: Mailing, stale_after: dt.timedelta | None = None, ask: bool = True
) -> dict[str, int]:
    """Claims whose worker died: of each, the first hand-over unit (one message, or one ESP batch
    call: ``handover.in_doubt_per_claim``) may have gone out and becomes "unknown" (in doubt);
    the rest were never tried and are pending again, their attempt given back. In-doubt ones
    are then put to the reconciler, if one is configured (unless ``ask`` is false: the sweep
    asks after it has queued what is due)."""
    now = timezone.now()
    dead = _dead_claims(mailing, stale_after, now)
    outcome = {"unknown": 0, "pending": 0, "sent": 0}
    if dead:
        unit = in_doubt_per_claim()
        claims: dict[tuple, list[int]] = defaultdict(list)
        for pk, batch, stamp in sorted(dead):
            claims[(batch, stamp)].append(pk)
        in_doubt = [pk for pks in claims.values() for pk in pks[:unit]]
        untried = [pk for pks in claims.values() for pk in pks[unit:]]
        with transaction.atomic():
            locked = Delivery.objects.select_for_update().filter(status=Delivery.Status.SENDING)
            in_doubt = list(locked.filter(pk__in=in_doubt).values_list("pk", flat=True))
            untried = list(locked.filter(pk__in=untried).values_list("pk", flat=True))
            # Due now: the sweep queues them at once, with or without a broker to ask.
            Delivery.objects.filter(pk__in=untried).update(
                status=Delivery.Status.PENDING, attempts=F("attempts") - 1, next_attempt_at=now, updated_at=now
            )
            Delivery.objects.filter(pk__in=in_doubt).update(status=Delivery.Status.UNKNOWN, updated_at=now)
            DeliveryEvent.objects.bulk_create(
                [
                    DeliveryEvent(
                        delivery_id=delivery.pk,
                        esp=OWN_ESP,
                        event_type="in_doubt",
                        event_id=f"in-doubt:{delivery.pk}:{delivery.attempts}",
                        occurred_at=now,
                        description="worker lost while handing over: unknown whether the message went out",
                    )
                    for delivery in Delivery.objects.filter(pk__in=in_doubt).only("pk", "attempts")
                ],
                ignore_conflicts=True,
            )
        outcome.update(unknown=len(in_doubt), pending=len(untried))
        log.warning("mailing %s: dead claims: %s in doubt, %s not tried", mailing.pk, len(in_doubt), len(untried))
    if not ask:
        return outcome
    asked = deliveries_ask_reconciler(mailing=mailing)
    outcome["unknown"] = max(0, outcome["unknown"] - asked["sent"] - asked["pending"])  # asked: earlier ones too
    outcome["sent"] += asked["sent"]
    outcome["pending"] += asked["pending"]
    return outcome


def reconciler():
    """The configured reconciler: ``MAIL_RECONCILER``, else Postmark's when Postmark is the ESP."""
    path = product_setting("MAIL_RECONCILER", "")
    if not path:
        from django.conf import settings

        if settings.EMAIL_BACKEND == "anymail.backends.postmark.EmailBackend":
            path = "campaigns.mailings.postmark.postmark_reconciler"
    return import_string(path) if path else None


def deliveries_ask_reconciler(*, mailing: Mailing, limit: int = 1000) -> dict[str, int]:
    """Ask the receiving end about the mailing's in-doubt deliveries: those it holds are sent,
    those it does not are pending again. Without a reconciler they stay in doubt for staff.

    Only deliveries in doubt for ``MAIL_RECONCILE_AFTER_SECONDS`` are asked about: an ESP's
    message search lists a message some time after it took it, and a message it took a moment
    ago but does not list yet would otherwise be sent a second time. They are asked about
    ``RECONCILE_CHUNK`` at a time for at most ``RECONCILE_BUDGET_SECONDS``: a slow or failing
    ESP leaves the rest for the next sweep instead of holding the heartbeat up."""
    ask = reconciler()
    if ask is None:
        return {"sent": 0, "pending": 0}
    settled = timezone.now() - dt.timedelta(seconds=product_setting("MAIL_RECONCILE_AFTER_SECONDS", 30))
    unknown = list(
        Delivery.objects.filter(mailing=mailing, status=Delivery.Status.UNKNOWN, updated_at__lte=settled)
        .only("pk", "mailing_id", "email", "attempts", "message_id")
        .order_by("pk")[:limit]
    )
    asked: list[Delivery] = []
    held: set[int] = set()
    deadline = time.monotonic() + RECONCILE_BUDGET_SECONDS
    for start in range(0, len(unknown), RECONCILE_CHUNK):
        if asked and time.monotonic() > deadline:
            break
        chunk = unknown[start : start + RECONCILE_CHUNK]
        try:
            held.update(ask(chunk))
        except Exception:  # the ESP cannot be asked now: ask again at the next sweep
            log.warning("mailing %s: the reconciler failed", mailing.pk, exc_info=True)
            break
        asked.extend(chunk)
    if not asked:
        return {"sent": 0, "pending": 0}
    unknown = asked
    now = timezone.now()
    found = [d for d in unknown if d.pk in held]
    missing = [d for d in unknown if d.pk not in held]
    with transaction.atomic():
        still = Delivery.objects.filter(status=Delivery.Status.UNKNOWN)
        for delivery in found:
            still.filter(pk=delivery.pk).update(
                status=Delivery.Status.SENT, message_id=delivery_message_id(delivery), sent_at=now, updated_at=now
            )
        still.filter(pk__in=[d.pk for d in missing]).update(
            status=Delivery.Status.PENDING, next_attempt_at=now, updated_at=now
        )
        DeliveryEvent.objects.bulk_create(
            [
                DeliveryEvent(
                    delivery_id=d.pk,
                    esp=OWN_ESP,
                    event_type="reconciled",
                    event_id=f"reconcile:{d.pk}:{d.attempts}",
                    occurred_at=now,
                    description="the receiving end has the message"
                    if d in found
                    else "the receiving end does not have the message: queued again",
                )
                for d in unknown
            ],
            ignore_conflicts=True,
        )
    log.warning("mailing %s: reconciled %s found, %s queued again", mailing.pk, len(found), len(missing))
    return {"sent": len(found), "pending": len(missing)}


def last_sweep() -> dt.datetime | None:
    """When the periodic sweep last ran (as far as the shared cache remembers)."""
    try:
        value = cache.get(SWEEP_KEY)
    except Exception:
        return None
    return dt.datetime.fromisoformat(value) if value else None


def mailings_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic heartbeat: launch due scheduled mailings, reconcile the claims of dead
    workers, queue batches that are due and have no task, and mark finished mailings done."""
    from campaigns.mailings.services import mailing_launch_due

    now = now or timezone.now()
    summary = {"launched": mailing_launch_due(now=now), "requeued": 0, "reconciled": 0, "finished": 0}
    for mailing in Mailing.objects.filter(status=Mailing.Status.SENDING):
        reconciled = deliveries_reconcile(mailing=mailing, ask=False)
        summary["requeued"] += len(queue_pending_batches(mailing.pk, only_unattended=True))
        asked = deliveries_ask_reconciler(mailing=mailing)  # after queueing: the ESP may be slow
        if asked["pending"]:  # the ESP never took them: they go now, not at the next sweep
            summary["requeued"] += len(queue_pending_batches(mailing.pk, only_unattended=True))
        summary["reconciled"] += reconciled["unknown"] + reconciled["pending"] + asked["sent"] + asked["pending"]
        summary["finished"] += int(mailing_finish_if_complete(mailing_id=mailing.pk))
    try:
        cache.set(SWEEP_KEY, timezone.now().isoformat(), timeout=None)
    except Exception:
        log.warning("could not note the sweep's time", exc_info=True)
    return summary
