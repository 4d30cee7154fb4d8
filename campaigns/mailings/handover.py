"""Handing a claimed batch's messages to the mail backend, and the outcome of each hand-over.

Every outcome is passed to ``record`` as soon as it is known — after each SMTP message, after
each ESP batch call — so that a worker that dies leaves at most that one unit in doubt. A failure
that concerns one recipient (451 greylisting, a full mailbox, a refused address) is that
recipient's; one that concerns the connection (421, a refused sender, a timeout, 429/5xx from the
ESP) defers the rest of the batch, and those not tried keep their attempt. A hand-over whose answer
was lost after the message went (the connection dropped once DATA had started, an ESP's API that
timed out reading its answer) is in doubt, like one a dead worker left: never sent again blindly.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable

from anymail.backends.base import AnymailBaseBackend
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.utils import translation
from django.utils.translation import pgettext

from accounts.mail.message import mail_date, mail_headers, support_reply_to
from accounts.private_apis import smtp_data_watch
from campaigns.compensation.models import Voucher
from campaigns.mailings import esp_batch, letters, rules
from campaigns.mailings.claims import Claimed, Outcome, delivery_message_id, product_setting
from campaigns.mailings.models import Delivery, Mailing

log = logging.getLogger(__name__)

Record = Callable[[list[Outcome]], None]


def merge_size() -> int:
    """Recipients per ESP batch call when the configured backend is an anymail one; 0: one
    message per call (SMTP, files, or merge sending switched off)."""
    size = product_setting("MAIL_MERGE_BATCH_SIZE", 0)
    if not size:
        return 0
    return size if isinstance(get_connection(), AnymailBaseBackend) else 0


def in_doubt_per_claim() -> int:
    """The most deliveries of one claim that a worker's death can leave in doubt: one hand-over
    unit, i.e. one message, or one ESP batch call."""
    return max(1, merge_size())


def build_messages(mailing: Mailing, deliveries: list[Claimed], recipients) -> list[AnymailMessage]:
    """One message per delivery, in order; the voucher PDF attached when the letters chose one (they
    load it with the batch, and only when the mailing attaches vouchers)."""
    rendered = letters.render_messages(mailing, deliveries, recipients=recipients)
    from_email = mailing.from_email or settings.DEFAULT_FROM_EMAIL
    reply_to = [mailing.reply_to] if mailing.reply_to else support_reply_to()
    date = mail_date()  # the batch is built within a second or two: one Date for its letters
    messages = []
    for delivery, item in zip(deliveries, rendered, strict=True):
        message = letter_email(
            item,
            to=delivery.email,
            from_email=from_email,
            reply_to=reply_to,
            message_id=delivery_message_id(delivery),
            date=date,
        )
        # Echoed back in tracking webhooks and by the ESP's message search, so events and the
        # reconciler find their delivery.
        message.metadata = {"delivery_id": str(delivery.pk), "mailing_id": str(mailing.pk)}
        message.tags = [f"mailing-{mailing.pk}"]
        messages.append(message)
    return messages


def letter_email(
    item: letters.RenderedMessage,
    *,
    to: str,
    from_email: str,
    reply_to: list[str] | None,
    message_id: str,
    voucher_masked: bool = False,
    date: str | None = None,
) -> AnymailMessage:
    """One letter as the mail that leaves: text and HTML parts, the headers every mail of the
    product carries (``accounts.mail.message``: Date with its zone, Content-Language,
    Auto-Submitted, Reply-To support unless the mailing names one), and the voucher PDF named in
    the customer's language when the letter carries one. The sending engine and the test send
    both build it here, so that a test send is the real message (``voucher_masked``: the PDF with
    its code masked, for a test send to staff who may not see codes whole)."""
    message = AnymailMessage(
        subject=item.subject,
        body=item.text,
        from_email=from_email,
        to=[to],
        reply_to=reply_to or support_reply_to(),
        headers=mail_headers(language=item.language, message_id=message_id, date=date),
    )
    if item.html:
        message.attach_alternative(item.html, "text/html")
    if item.voucher is not None:
        message.attach(*_voucher_attachment(item.voucher, language=item.language, masked=voucher_masked))
    return message


def voucher_file_name(code: str, language: str) -> str:
    """``Gutschein-6789.pdf``, ``bon-6789.pdf``, ``buono-6789.pdf``, ``voucher-6789.pdf``: the
    word in the customer's language and the code's last group (also shown on a masked code)."""
    return f"{_voucher_word(language)}-{code[-4:]}.pdf"


@functools.lru_cache(maxsize=16)
def _voucher_word(language: str) -> str:
    """Looked up once per language and process (switching the active language per letter cost
    ~0.1 ms of each); the catalogues do not change while a process runs."""
    with translation.override(language):
        return str(pgettext("file name of a voucher PDF", "voucher"))


def _voucher_attachment(voucher: Voucher, *, language: str, masked: bool = False) -> tuple[str, bytes, str]:
    from campaigns.compensation import voucher_pdf as pdf  # rendered once

    data = pdf.voucher_specimen_pdf_bytes(voucher) if masked else pdf.voucher_pdf_bytes(voucher)
    return voucher_file_name(voucher.code, language), data, "application/pdf"


def hand_over(mailing: Mailing, deliveries: list[Claimed], messages, now: dt.datetime, record: Record) -> None:
    """ESP batch calls when ``MAIL_MERGE_BATCH_SIZE`` is set and the backend is an anymail one:
    complete, distinct messages per call where the ESP has such a call (``esp_batch``; always
    with attachments, and for an ESP without inline merge fields such as Postmark), else one
    message with merge data per call (no attachments). Otherwise one message at a time."""
    size = product_setting("MAIL_MERGE_BATCH_SIZE", 0)
    try:
        backend = get_connection()
    except Exception as exc:  # a backend that cannot even be built: nothing went, all deferred
        error = rules.classify_error(exc, now=now)
        record([deferred(d, error, now) for d in deliveries])
        return
    if size and isinstance(backend, AnymailBaseBackend):
        attached = any(message.attachments for message in messages)
        adapter = esp_batch.adapter_for(backend)
        if adapter is not None and (attached or not adapter.merge_fields):
            _hand_over_distinct(mailing, deliveries, messages, now, record, backend, adapter, size)
            return
        if not attached:
            _hand_over_merged(mailing, deliveries, messages, now, record, size, backend)
            return
    _hand_over_one_by_one(mailing, deliveries, messages, now, record, backend)


def _sent(delivery: Claimed, message) -> Outcome:
    esp_id = message.anymail_status.message_id  # None unless an ESP backend set it
    message_id = str(esp_id) if esp_id not in (None, "") else delivery_message_id(delivery)
    return Outcome(delivery, Delivery.Status.SENT, message_id=message_id)


def _opened(backend, deliveries, now: dt.datetime, record: Record) -> bool:
    """Open the connection; when that fails nobody reached the server or ESP: every one of the
    deliveries counts as tried and is deferred (recorded here), and the hand-over ends."""
    try:
        backend.open()
    except Exception as exc:
        error = rules.classify_error(exc, now=now)
        record([deferred(d, error, now) for d in deliveries])
        return False
    return True


def _hand_over_one_by_one(mailing: Mailing, deliveries, messages, now: dt.datetime, record: Record, backend) -> None:
    """One connection, one message at a time, each recorded before the next goes."""
    throttle = Throttle(mailing.pk, mailing.rate_per_second)
    if not _opened(backend, deliveries, now, record):
        return
    deadline = time.monotonic() + product_setting("MAIL_BATCH_TIME_BUDGET_SECONDS", 120)
    data = smtp_data_watch(backend)
    try:
        for index, (delivery, message) in enumerate(zip(deliveries, messages, strict=True)):
            if index and time.monotonic() > deadline:  # a throttled batch must end well within the task time limit
                record(
                    [Outcome(d, Delivery.Status.PENDING, next_attempt_at=now, tried=False) for d in deliveries[index:]]
                )
                return
            throttle.wait()
            message.connection = backend
            data.started = False
            try:
                backend.send_messages([message])
            except Exception as exc:
                error = rules.classify_error(exc, now=now, data_started=data.started)
                outcome = deferred(delivery, error, now)
                if not error.stops_connection:
                    record([outcome])
                    continue
                record([outcome, *_waiting(deliveries[index + 1 :], error, _retry_at(outcome, now))])
                return
            record([_sent(delivery, message)])
    finally:
        try:
            backend.close()
        except Exception:  # closing a broken connection must not lose the outcomes
            log.warning("closing the mail connection failed", exc_info=True)


def _retry_at(outcome: Outcome, now: dt.datetime) -> dt.datetime | None:
    """When the messages that wait behind a failed hand-over may go: with its retry, or, after one
    in doubt (which has no retry of its own), after the first back-off."""
    if outcome.status != Delivery.Status.UNKNOWN:
        return outcome.next_attempt_at
    return now + dt.timedelta(seconds=rules.backoff_seconds(attempts=1, retry_after=None))


def _waiting(deliveries, error: rules.HandOverError, until: dt.datetime | None) -> list[Outcome]:
    """Not tried because the connection failed at an earlier message: they go with its retry."""
    reason = f"not tried, the connection failed: {error.reason}"[:500]
    return [Outcome(d, Delivery.Status.PENDING, error=reason, next_attempt_at=until, tried=False) for d in deliveries]


def _hand_over_merged(mailing, deliveries, messages, now, record: Record, size: int, backend) -> None:
    """ESP batch sending: one API call per chunk of up to ``size`` recipients (the ESP's
    per-call cap), each recipient's rendered subject, text and HTML as merge data that the ESP
    substitutes into the merge fields (``MAIL_MERGE_FIELD_FORMAT``, e.g. ``{{%s}}`` or
    ``%%recipient.%s%%``). Only for messages without attachments. Each call's answer is recorded
    before the next call."""
    field = product_setting("MAIL_MERGE_FIELD_FORMAT", "{{%s}}")
    throttle = Throttle(mailing.pk, mailing.rate_per_second)
    pairs = list(zip(deliveries, messages, strict=True))
    backend.open()
    try:
        for start, chunk in merge_chunks(pairs, size):
            throttle.wait(len(chunk))
            batch = AnymailMessage(
                subject=field % "subject",
                body=field % "text",
                from_email=chunk[0][1].from_email,
                to=[delivery.email for delivery, _ in chunk],
                reply_to=chunk[0][1].reply_to,
                headers={"Auto-Submitted": chunk[0][1].extra_headers["Auto-Submitted"]},
                connection=backend,
            )
            if any(message.alternatives for _, message in chunk):
                batch.attach_alternative(field % "html", "text/html")
            batch.merge_data = {
                d.email: {"subject": m.subject, "text": m.body, "html": m.alternatives[0][0] if m.alternatives else ""}
                for d, m in chunk
            }
            batch.merge_metadata = {d.email: m.metadata for d, m in chunk}
            batch.merge_headers = {
                d.email: {name: m.extra_headers[name] for name in ("Message-ID", "Content-Language")} for d, m in chunk
            }
            batch.tags = chunk[0][1].tags
            try:
                backend.send_messages([batch])
            except Exception as exc:
                error = rules.classify_error(exc, now=now)
                outcomes = [deferred(d, error, now) for d, _ in chunk]
                if not error.stops_connection:
                    record(outcomes)
                    continue
                record(
                    [
                        *outcomes,
                        *_waiting([d for d, _ in pairs[start + len(chunk) :]], error, _retry_at(outcomes[0], now)),
                    ]
                )
                return
            recipients = batch.anymail_status.recipients
            outcomes = []
            for delivery, message in chunk:
                status = recipients.get(delivery.email)
                if status is not None and status.status in ("rejected", "invalid", "failed"):
                    reason = f"refused by the provider: {status.status}"
                    outcomes.append(Outcome(delivery, Delivery.Status.FAILED, error=reason))
                    continue
                esp_id = getattr(status, "message_id", None)
                message_id = str(esp_id) if esp_id not in (None, "") else message.extra_headers["Message-ID"]
                outcomes.append(Outcome(delivery, Delivery.Status.SENT, message_id=message_id))
            record(outcomes)
    finally:
        backend.close()


def _hand_over_distinct(mailing, deliveries, messages, now, record: Record, backend, adapter, size: int) -> None:
    """ESP batch calls of complete, distinct messages (``esp_batch``): one call per chunk of up to
    ``size`` messages within the ESP's caps (messages and bytes per call), each message its own
    (its voucher PDF, headers, Message-ID, metadata). Each call's outcomes are recorded in one
    statement before the next call goes, so a dead worker leaves at most that call in doubt.

    A failure of the call as a whole is classified as one message's would be
    (``rules.classify_error``) and is every message's of the chunk: refused connection or 429/5xx,
    deferred and the rest waits; a read timeout or a dropped connection, in doubt. A message the
    ESP refused in its answer (an inactive recipient, an invalid message) fails or waits on its
    own; one whose refusal concerns the connection makes the rest wait."""
    throttle = Throttle(mailing.pk, mailing.rate_per_second)
    pairs = list(zip(deliveries, messages, strict=True))
    if not _opened(backend, deliveries, now, record):
        return
    deadline = time.monotonic() + product_setting("MAIL_BATCH_TIME_BUDGET_SECONDS", 120)
    try:
        for start, chunk in adapter.chunks(pairs, size):
            rest = [d for d, _ in pairs[start + len(chunk) :]]
            if start and time.monotonic() > deadline:  # a throttled batch must end well within the task time limit
                record(
                    [Outcome(d, Delivery.Status.PENDING, next_attempt_at=now, tried=False) for d, _ in pairs[start:]]
                )
                return
            throttle.wait(len(chunk))
            try:
                refusals = adapter.send([message for _, message in chunk])
            except Exception as exc:
                error = rules.classify_error(exc, now=now)
                outcomes = [deferred(d, error, now) for d, _ in chunk]
                if not error.stops_connection:
                    record(outcomes)
                    continue
                record([*outcomes, *_waiting(rest, error, _retry_at(outcomes[0], now))])
                return
            outcomes, stop = [], None
            for (delivery, message), refusal in zip(chunk, refusals, strict=True):
                if refusal is None:
                    outcomes.append(_sent(delivery, message))
                    continue
                error = rules.classify_error(refusal, now=now)
                outcomes.append(deferred(delivery, error, now))
                if error.stops_connection and stop is None:
                    stop = (error, outcomes[-1])
            if stop is not None:
                record([*outcomes, *_waiting(rest, stop[0], _retry_at(stop[1], now))])
                return
            record(outcomes)
    finally:
        try:
            backend.close()
        except Exception:  # closing a broken session must not lose the outcomes
            log.warning("closing the ESP session failed", exc_info=True)


def merge_chunks(pairs, size: int):
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


def deferred(delivery: Claimed, error: rules.HandOverError, now: dt.datetime) -> Outcome:
    """A failed hand-over: in doubt when its answer was lost after it went (staff or the
    reconciler decide it), failed for good when permanent or out of attempts, else pending again
    after the back-off."""
    if error.kind == rules.IN_DOUBT:
        return Outcome(delivery, Delivery.Status.UNKNOWN, error=error.reason)
    if error.kind == rules.PERMANENT:
        return Outcome(delivery, Delivery.Status.FAILED, error=error.reason)
    max_attempts = product_setting("MAIL_MAX_ATTEMPTS", 8)
    if delivery.attempts >= max_attempts:
        reason = f"gave up after {delivery.attempts} attempts: {error.reason}"
        return Outcome(delivery, Delivery.Status.FAILED, error=reason[:500])
    delay = rules.backoff_seconds(attempts=delivery.attempts, retry_after=error.retry_after)
    return Outcome(
        delivery, Delivery.Status.PENDING, error=error.reason, next_attempt_at=now + dt.timedelta(seconds=delay)
    )


class Throttle:
    """At most ``rate`` messages per second for one mailing across every worker, counted in
    fixed windows in the shared cache (Redis when configured). 0 means no throttle."""

    def __init__(self, mailing_id: int, rate: float):
        self.mailing_id = mailing_id
        self.rate = rate
        self.window = max(1.0, 1.0 / rate) if rate > 0 else 0.0
        self.allowed = max(1, int(rate * self.window)) if rate > 0 else 0

    def wait(self, count: int = 1) -> None:
        """Until ``count`` more messages may go: one round trip to the cache per window used
        (a chunk of an ESP batch call takes its share at once), none when there is no rate."""
        if self.rate <= 0:
            return
        while count > 0:
            slot = int(time.time() // self.window)
            key = f"hostnotify:throttle:{self.mailing_id}:{slot}"
            want = min(count, self.allowed)
            cache.add(key, 0, timeout=int(self.window) + 5)
            try:
                used = cache.incr(key, want)
            except ValueError:  # expired between add and incr
                continue
            count -= max(0, min(want, self.allowed - (used - want)))
            if count > 0:
                time.sleep(max(0.0, (slot + 1) * self.window - time.time()))
