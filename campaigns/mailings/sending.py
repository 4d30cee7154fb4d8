"""Sending one batch of a mailing: claim, render, hand over on one connection, record each
hand-over as it happens (``claims``, ``handover``).

With ESP batch calls (``MAIL_MERGE_BATCH_SIZE``) a batch task runs a fixed number of SQL
statements whatever its size: the claim, one UPDATE … RETURNING that on PostgreSQL also reads
everything the letters need (``letters.BatchRead``), and one record per ESP call; elsewhere the
letters read their data with a statement of their own. One message at a time (SMTP) records each
message before the next: one statement per message, so a crash leaves one message in doubt, not
the batch. The mailing is loaded once per worker process and cached (its content is frozen once
approved), so a worker's first batch has one statement more. Only failures write DeliveryEvents
and check the error rate.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.utils import timezone

from campaigns.mailings import handover, rules
from campaigns.mailings.claims import (
    OWN_ESP,
    ClaimTakenOver,
    Outcome,
    claim_batch,
    delivery_message_id,
    product_setting,
    record_outcomes,
)
from campaigns.mailings.models import Delivery, Mailing

__all__ = ["OWN_ESP", "BatchResult", "batch_send", "cached_mailing", "delivery_message_id", "product_setting"]

log = logging.getLogger(__name__)

_MAILING_CACHE: dict[int, tuple[float, Mailing]] = {}
_MAILING_CACHE_SECONDS = 300


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    in_doubt: int = 0  # handed over, but the answer was lost
    retry_in: float | None = None  # seconds until the deferred ones may go again
    paused: bool = False
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome, now: dt.datetime) -> None:
        if outcome.status == Delivery.Status.SENT:
            self.sent += 1
        elif outcome.status == Delivery.Status.FAILED:
            self.failed += 1
            self.errors.append(outcome.error)
        elif outcome.status == Delivery.Status.UNKNOWN:
            self.in_doubt += 1
        else:
            self.deferred += 1
            wait = ((outcome.next_attempt_at or now) - now).total_seconds()
            self.retry_in = wait if self.retry_in is None else min(self.retry_in, wait)


def cached_mailing(mailing_id: int) -> Mailing:
    """The mailing with its incident, loaded once per worker process and then reused."""
    hit = _MAILING_CACHE.get(mailing_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    mailing = Mailing.objects.select_related("incident").get(pk=mailing_id)
    _MAILING_CACHE[mailing_id] = (time.monotonic() + _MAILING_CACHE_SECONDS, mailing)
    return mailing


def batch_send(*, mailing_id: int, batch: int, now: dt.datetime | None = None) -> BatchResult:
    """Send every due pending delivery of one batch of a mailing that is sending. Safe to run twice
    and concurrently: a delivery is claimed by exactly one run, and a sent one is never claimed."""
    now = now or timezone.now()
    try:
        mailing = cached_mailing(mailing_id)
    except Mailing.DoesNotExist:  # deleted since the task was queued: nothing to send
        return BatchResult()
    deliveries, recipients = claim_batch(mailing, batch, now)
    result = BatchResult(claimed=len(deliveries))
    if not deliveries:
        return result

    def record(outcomes: list[Outcome]) -> None:
        if outcomes:
            record_outcomes(outcomes, timezone.now(), mailing_id=mailing_id, batch=batch)
            for outcome in outcomes:
                result.add(outcome, now)

    try:
        try:
            messages = handover.build_messages(mailing, deliveries, recipients)
        except Exception as exc:  # a rendering bug must not strand the batch in "sending"
            log.exception("rendering batch %s of mailing %s failed", batch, mailing_id)
            error = rules.HandOverError(rules.TEMPORARY, f"rendering: {type(exc).__name__}: {exc}"[:500])
            record([handover.deferred(d, error, now) for d in deliveries])
        else:
            handover.hand_over(mailing, deliveries, messages, now, record)
    except ClaimTakenOver:  # taken for dead (its session was lost): what is left is the sweep's now
        log.warning("batch %s of mailing %s: the claim was taken over, stopping", batch, mailing_id)
    if result.failed:
        result.paused = mailing_auto_pause_if_needed(mailing_id=mailing_id)
    return result


def mailing_auto_pause_if_needed(*, mailing_id: int) -> bool:
    """Pause a sending mailing whose share of permanent failures passed its threshold."""
    from django.db.models import Count, Q

    mailing = cached_mailing(mailing_id)
    counts = Delivery.objects.filter(mailing_id=mailing_id).aggregate(
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
    )
    if not rules.error_rate_exceeded(
        sent=counts["sent"], failed=counts["failed"], threshold=mailing.auto_pause_error_rate
    ):
        return False
    reason = (
        f"error rate {counts['failed']}/{counts['sent'] + counts['failed']} passed {mailing.auto_pause_error_rate:.0%}"
    )
    return bool(
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING).update(
            status=Mailing.Status.PAUSED, paused_reason=reason[:255]
        )
    )
