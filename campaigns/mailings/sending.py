"""Sending one batch of a mailing: claim, render, hand over on one connection, record.

A fixed number of SQL statements per batch whatever its size. On PostgreSQL two: the claim, one
UPDATE … RETURNING that also reads everything the letters need (``letters.BatchRead``), and the
results (one bulk UPDATE); elsewhere the letters read their data with a third. The mailing is
loaded once per worker process and cached (its content is frozen once approved), so a worker's
first batch has one statement more. Only a batch with failures writes its DeliveryEvents and
checks the error rate.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from anymail.backends.base import AnymailBaseBackend
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import connection
from django.utils import timezone

from accounts.private_apis import db_datetime
from campaigns.compensation.models import Voucher
from campaigns.mailings import letters, rules
from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing

log = logging.getLogger(__name__)

OWN_ESP = "hostnotify"  # DeliveryEvent.esp of our own attempts
_MAILING_CACHE: dict[int, tuple[float, Mailing]] = {}
_MAILING_CACHE_SECONDS = 300


def product_setting(name: str, default):
    return settings.HOSTNOTIFY.get(name, default)


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retry_in: float | None = None  # seconds until the deferred ones may go again
    paused: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    delivery: Claimed
    status: str
    message_id: str = ""
    error: str = ""
    next_attempt_at: dt.datetime | None = None


def message_domain() -> str:
    return product_setting("MAIL_MESSAGE_ID_DOMAIN", "hostnotify.invalid")


def delivery_message_id(delivery: Delivery | Claimed) -> str:
    return rules.message_id_for(
        mailing_id=delivery.mailing_id, delivery_id=delivery.pk, attempt=delivery.attempts, domain=message_domain()
    )


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
    deliveries, recipients = _claim(mailing, batch, now)
    result = BatchResult(claimed=len(deliveries))
    if not deliveries:
        return result
    try:
        messages = _build_messages(mailing, deliveries, recipients)
    except Exception as exc:  # a rendering bug must not strand the batch in "sending"
        log.exception("rendering batch %s of mailing %s failed", batch, mailing_id)
        error = rules.HandOverError(rules.TEMPORARY, f"rendering: {type(exc).__name__}: {exc}"[:500])
        outcomes = [_deferred(d, error, now) for d in deliveries]
    else:
        outcomes = _hand_over(mailing, deliveries, messages, now)
    _record(outcomes, now, mailing_id=mailing_id, batch=batch)
    for outcome in outcomes:
        if outcome.status == Delivery.Status.SENT:
            result.sent += 1
        elif outcome.status == Delivery.Status.FAILED:
            result.failed += 1
            result.errors.append(outcome.error)
        else:
            result.deferred += 1
            wait = ((outcome.next_attempt_at or now) - now).total_seconds()
            result.retry_in = wait if result.retry_in is None else min(result.retry_in, wait)
    if result.failed:
        result.paused = mailing_auto_pause_if_needed(mailing_id=mailing_id)
    return result


@dataclass(slots=True)
class Claimed:
    """A delivery this run claimed (pending → sending), as the sender reads and records it."""

    pk: int
    mailing_id: int
    contact_id: int
    customer_id: int
    email: str
    language: str
    attempts: int
    status: str = Delivery.Status.SENDING
    message_id: str = ""
    last_error: str = ""
    next_attempt_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


_CLAIMED_COLUMNS = ("id", "contact_id", "customer_id", "email", "language", "attempts")


def _claim(mailing: Mailing, batch: int, now: dt.datetime) -> tuple[list[Claimed], dict | None]:
    """pending → sending, only while the mailing is sending, committed at once (autocommit), so a
    concurrent run of the same batch finds nothing left to claim. On PostgreSQL the same
    statement also reads everything the batch's letters need (``letters.BatchRead``): one
    UPDATE … RETURNING in a WITH, joined to the letters' query. Elsewhere the letters read it
    with a query of their own (the recipients are then None)."""
    table, mailing_table = Delivery._meta.db_table, Mailing._meta.db_table
    stamp = db_datetime(now)
    claim_sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, updated_at = %s "
        f"WHERE mailing_id = %s AND batch = %s AND status = %s "
        f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
        f"AND EXISTS (SELECT 1 FROM {mailing_table} m WHERE m.id = %s AND m.status = %s) "
        f"RETURNING {', '.join(_CLAIMED_COLUMNS)}"
    )
    claim_params = [
        Delivery.Status.SENDING, stamp, mailing.pk, batch, Delivery.Status.PENDING, stamp, mailing.pk,
        Mailing.Status.SENDING,
    ]  # fmt: skip
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(claim_sql, claim_params)
            rows = cursor.fetchall()
        rows.sort()
        return [Claimed(pk, mailing.pk, *rest) for pk, *rest in rows], None
    # One join to claimed, its only reference: the planner starts from the claimed rows and looks
    # each contact up, whatever it estimates their number to be. LEFT: a claimed delivery always
    # comes back, so that it is recorded even if its letter cannot be written.
    read = letters.BatchRead(mailing.incident_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH claimed AS ({claim_sql}) "
            f"SELECT b.*, {', '.join(f'claimed.{column}' for column in _CLAIMED_COLUMNS)} "
            f"FROM claimed LEFT JOIN ({read.sql}) b ON b.{read.contact_alias} = claimed.contact_id "
            f"ORDER BY {read.order_by('b')}",
            [*claim_params, *read.params],
        )
        rows = read.convert(cursor.fetchall())
    deliveries = {}
    for row in rows:
        pk = row[read.width]
        if pk not in deliveries:
            deliveries[pk] = Claimed(pk, mailing.pk, *row[read.width + 1 :])
    return [deliveries[pk] for pk in sorted(deliveries)], letters.recipients_from_rows(rows)


def _build_messages(mailing: Mailing, deliveries: list[Claimed], recipients) -> list[AnymailMessage]:
    """One message per delivery, in order; the voucher PDF attached when the letters chose one (they
    load it with the batch, and only when the mailing attaches vouchers)."""
    rendered = letters.render_messages(mailing, deliveries, recipients=recipients)
    from_email = mailing.from_email or settings.DEFAULT_FROM_EMAIL
    reply_to = [mailing.reply_to] if mailing.reply_to else None
    messages = []
    for delivery, item in zip(deliveries, rendered, strict=True):
        message = AnymailMessage(
            subject=item.subject,
            body=item.text,
            from_email=from_email,
            to=[delivery.email],
            reply_to=reply_to,
            headers={"Message-ID": delivery_message_id(delivery)},
        )
        if item.html:
            message.attach_alternative(item.html, "text/html")
        if item.voucher is not None:
            message.attach(*_voucher_attachment(item.voucher))
        # Echoed back in tracking webhooks, so events find their delivery.
        message.metadata = {"delivery_id": str(delivery.pk), "mailing_id": str(mailing.pk)}
        message.tags = [f"mailing-{mailing.pk}"]
        messages.append(message)
    return messages


def _voucher_attachment(voucher: Voucher) -> tuple[str, bytes, str]:
    from campaigns.compensation import voucher_pdf as pdf  # rendered once

    return "voucher.pdf", pdf.voucher_pdf_bytes(voucher), "application/pdf"


def _hand_over(mailing: Mailing, deliveries, messages, now: dt.datetime) -> list[_Outcome]:
    merge_size = product_setting("MAIL_MERGE_BATCH_SIZE", 0)
    if merge_size and not any(message.attachments for message in messages):
        backend = get_connection()
        if isinstance(backend, AnymailBaseBackend):
            return _hand_over_merged(mailing, deliveries, messages, now, backend, merge_size)
    return _hand_over_one_by_one(mailing, deliveries, messages, now)


def _hand_over_one_by_one(mailing: Mailing, deliveries, messages, now: dt.datetime) -> list[_Outcome]:
    """Hand the messages to the mail backend over one connection, one by one so each gets its own
    outcome. A temporary error (429, 5xx, network) stops the batch: the rest waits for the back-off."""
    outcomes: list[_Outcome] = []
    throttle = Throttle(mailing.pk, mailing.rate_per_second)
    try:
        backend = get_connection()
        backend.open()
    except Exception as exc:
        error = rules.classify_error(exc, now=now)
        return [_deferred(d, error, now) for d in deliveries]
    deadline = time.monotonic() + product_setting("MAIL_BATCH_TIME_BUDGET_SECONDS", 120)
    try:
        for index, (delivery, message) in enumerate(zip(deliveries, messages, strict=True)):
            if index and time.monotonic() > deadline:  # a throttled batch must end well within the task time limit
                outcomes.extend(_Outcome(d, Delivery.Status.PENDING, next_attempt_at=now) for d in deliveries[index:])
                break
            throttle.wait()
            message.connection = backend
            try:
                backend.send_messages([message])
            except Exception as exc:
                error = rules.classify_error(exc, now=now)
                if error.kind == rules.PERMANENT:
                    outcomes.append(_Outcome(delivery, Delivery.Status.FAILED, error=error.reason))
                    continue
                outcomes.extend(_deferred(d, error, now) for d in deliveries[index:])
                break
            esp_id = message.anymail_status.message_id  # None unless an ESP backend set it
            message_id = str(esp_id) if esp_id not in (None, "") else delivery_message_id(delivery)
            outcomes.append(_Outcome(delivery, Delivery.Status.SENT, message_id=message_id))
    finally:
        try:
            backend.close()
        except Exception:  # closing a broken connection must not lose the outcomes
            log.warning("closing the mail connection failed", exc_info=True)
    return outcomes


def _hand_over_merged(mailing, deliveries, messages, now, backend, merge_size: int) -> list[_Outcome]:
    """ESP batch sending: one API call per chunk of up to ``merge_size`` recipients (the ESP's
    per-call cap), each recipient's rendered subject, text and HTML as merge data that the ESP
    substitutes into the merge fields (``MAIL_MERGE_FIELD_FORMAT``, e.g. ``{{%s}}`` or
    ``%%recipient.%s%%``). Only for messages without attachments."""
    field = product_setting("MAIL_MERGE_FIELD_FORMAT", "{{%s}}")
    throttle = Throttle(mailing.pk, mailing.rate_per_second)
    outcomes: list[_Outcome] = []
    pairs = list(zip(deliveries, messages, strict=True))
    backend.open()
    try:
        for start, chunk in _merge_chunks(pairs, merge_size):
            for _ in chunk:
                throttle.wait()
            batch = AnymailMessage(
                subject=field % "subject",
                body=field % "text",
                from_email=chunk[0][1].from_email,
                to=[delivery.email for delivery, _ in chunk],
                reply_to=chunk[0][1].reply_to,
                connection=backend,
            )
            if any(message.alternatives for _, message in chunk):
                batch.attach_alternative(field % "html", "text/html")
            batch.merge_data = {
                d.email: {"subject": m.subject, "text": m.body, "html": m.alternatives[0][0] if m.alternatives else ""}
                for d, m in chunk
            }
            batch.merge_metadata = {d.email: m.metadata for d, m in chunk}
            batch.merge_headers = {d.email: {"Message-ID": m.extra_headers["Message-ID"]} for d, m in chunk}
            batch.tags = chunk[0][1].tags
            try:
                backend.send_messages([batch])
            except Exception as exc:
                error = rules.classify_error(exc, now=now)
                if error.kind == rules.PERMANENT:
                    outcomes.extend(_Outcome(d, Delivery.Status.FAILED, error=error.reason) for d, _ in chunk)
                    continue
                outcomes.extend(_deferred(d, error, now) for d, _ in pairs[start:])
                break
            recipients = batch.anymail_status.recipients
            for delivery, message in chunk:
                status = recipients.get(delivery.email)
                if status is not None and status.status in ("rejected", "invalid", "failed"):
                    reason = f"refused by the provider: {status.status}"
                    outcomes.append(_Outcome(delivery, Delivery.Status.FAILED, error=reason))
                    continue
                esp_id = getattr(status, "message_id", None)
                message_id = str(esp_id) if esp_id not in (None, "") else message.extra_headers["Message-ID"]
                outcomes.append(_Outcome(delivery, Delivery.Status.SENT, message_id=message_id))
    finally:
        backend.close()
    return outcomes


def _merge_chunks(pairs, size: int):
    """Chunks of at most ``size`` with each address once (merge data is keyed by address)."""
    start = 0
    while start < len(pairs):
        seen: set[str] = set()
        end = start
        while end < len(pairs) and end - start < size and pairs[end][0].email.lower() not in seen:
            seen.add(pairs[end][0].email.lower())
            end += 1
        yield start, pairs[start:end]
        start = end


def _deferred(delivery: Claimed, error: rules.HandOverError, now: dt.datetime) -> _Outcome:
    max_attempts = product_setting("MAIL_MAX_ATTEMPTS", 8)
    if delivery.attempts >= max_attempts:
        reason = f"gave up after {delivery.attempts} attempts: {error.reason}"
        return _Outcome(delivery, Delivery.Status.FAILED, error=reason[:500])
    delay = rules.backoff_seconds(attempts=delivery.attempts, retry_after=error.retry_after)
    return _Outcome(
        delivery, Delivery.Status.PENDING, error=error.reason, next_attempt_at=now + dt.timedelta(seconds=delay)
    )


def _record(outcomes: list[_Outcome], now: dt.datetime, *, mailing_id: int, batch: int) -> None:
    """One bulk UPDATE for the whole batch (plus the failure events, only when there are any).
    Only rows still "sending" are written: a reconcile that took them over wins."""
    rows = []
    for outcome in outcomes:
        delivery = outcome.delivery
        delivery.status = outcome.status
        delivery.message_id = outcome.message_id
        delivery.last_error = outcome.error
        delivery.next_attempt_at = outcome.next_attempt_at
        delivery.sent_at = now if outcome.status == Delivery.Status.SENT else None
        delivery.updated_at = now
        rows.append(delivery)
    if connection.vendor == "postgresql":
        _record_postgresql(rows, mailing_id=mailing_id, batch=batch)
    else:  # embedded SQLite: Django's CASE-based bulk update (batched by the parameter limit)
        fields = ["status", "message_id", "last_error", "next_attempt_at", "sent_at", "updated_at"]
        models = [Delivery(id=d.pk, **{name: getattr(d, name) for name in fields}) for d in rows]
        Delivery.objects.filter(status=Delivery.Status.SENDING).bulk_update(models, fields)
    events = [
        DeliveryEvent(
            delivery_id=o.delivery.pk,
            esp=OWN_ESP,
            event_type="failed" if o.status == Delivery.Status.FAILED else "deferred",
            event_id=f"attempt:{o.delivery.pk}:{o.delivery.attempts}",
            occurred_at=now,
            description=o.error,
        )
        for o in outcomes
        if o.status != Delivery.Status.SENT and o.error
    ]
    if events:
        DeliveryEvent.objects.bulk_create(events, ignore_conflicts=True)


def _record_postgresql(rows: list[Claimed], *, mailing_id: int, batch: int) -> None:
    """One UPDATE … FROM unnest(arrays): a fixed number of parameters whatever the batch size.

    The mailing and batch in the condition keep the plan right when the statistics are stale:
    analysed at launch, they know of no "sending" row, and the planner, trusting that, would
    otherwise look for "sending" rows across the whole (mailing, status, batch) index."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET status = v.status, message_id = v.message_id, last_error = v.last_error, "
            f"next_attempt_at = v.next_attempt_at, sent_at = v.sent_at, updated_at = v.updated_at "
            f"FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::text[], %s::timestamptz[], "
            f"%s::timestamptz[], %s::timestamptz[]) AS v(id, status, message_id, last_error, next_attempt_at, "
            f"sent_at, updated_at) WHERE d.id = v.id AND d.mailing_id = %s AND d.status = %s AND d.batch = %s",
            [
                [d.pk for d in rows],
                [d.status for d in rows],
                [d.message_id for d in rows],
                [d.last_error for d in rows],
                [d.next_attempt_at for d in rows],
                [d.sent_at for d in rows],
                [d.updated_at for d in rows],
                mailing_id,
                Delivery.Status.SENDING,
                batch,
            ],
        )


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


class Throttle:
    """At most ``rate`` messages per second for one mailing across every worker, counted in
    fixed windows in the shared cache (Redis when configured). 0 means no throttle."""

    def __init__(self, mailing_id: int, rate: float):
        self.mailing_id = mailing_id
        self.rate = rate
        self.window = max(1.0, 1.0 / rate) if rate > 0 else 0.0
        self.allowed = max(1, int(rate * self.window)) if rate > 0 else 0

    def wait(self) -> None:
        if self.rate <= 0:
            return
        while True:
            slot = int(time.time() // self.window)
            key = f"hostnotify:throttle:{self.mailing_id}:{slot}"
            cache.add(key, 0, timeout=int(self.window) + 5)
            try:
                used = cache.incr(key)
            except ValueError:  # expired between add and incr
                continue
            if used <= self.allowed:
                return
            time.sleep(max(0.0, (slot + 1) * self.window - time.time()))
