"""Pure sending rules: which hand-over errors are permanent, how long to back off, message ids,
and the order in which a delivery's tracking state may move. No ORM, no clock."""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
import urllib3
from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused

PERMANENT = "permanent"
TEMPORARY = "temporary"
# The message was handed over but the answer never came: it may or may not have gone out.
IN_DOUBT = "in_doubt"
# What a failure concerns: the one recipient being handed over, or the connection (every message
# after it on this connection waits too).
RECIPIENT = "recipient"
CONNECTION = "connection"

# Tracking states in the only order a delivery may move through them (campaigns.models.Delivery.Tracking).
TRACKING_ORDER = ("", "queued", "deferred", "delivered", "opened", "clicked", "bounced", "complained")

# anymail's normalised event types -> our tracking state; None: recorded as an event only.
TRACKING_FOR_EVENT = {
    "queued": "queued",
    "sent": "queued",
    "deferred": "deferred",
    "autoresponded": "delivered",
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "clicked",
    "bounced": "bounced",
    "rejected": "bounced",
    "failed": "bounced",
    "complained": "complained",
}

# Raw ESP bounce types that are not permanent, although anymail normalises them to "bounced".
SOFT_BOUNCE_TYPES = {"SoftBounce", "Transient", "DnsError", "AutoResponder"}


class AnswerLost:
    """Mixed into an ESP's error: the request went and the ESP took it, but its answer cannot be
    read, so it is in doubt."""


@dataclass(frozen=True)
class HandOverError:
    kind: str  # PERMANENT, TEMPORARY or IN_DOUBT
    reason: str
    retry_after: float | None = None  # seconds the provider asked us to wait
    scope: str = CONNECTION  # RECIPIENT or CONNECTION

    @property
    def stops_connection(self) -> bool:
        return self.kind in (TEMPORARY, IN_DOUBT) and self.scope == CONNECTION


def classify_error(exc: Exception, *, now: dt.datetime, data_started: bool = False) -> HandOverError:
    """Decide whether a failed hand-over may be retried, when the provider wants us back, and
    whether it concerns this recipient only or the whole connection.

    In doubt: the answer was lost after the message went — the SMTP connection dropped or timed
    out once DATA had started (``data_started``), or an ESP's API took the request and did not
    answer in time (a read timeout), dropped the connection after taking the request, or answered
    what cannot be read. Sending it again could double it, so it is neither sent nor pending; the
    rest of the connection waits.

    SMTP (one recipient per message): a refusal at RCPT or DATA is the recipient's own (451
    greylisting, 452 mailbox over quota, 550 unknown user) — except 421, the server closing the
    connection. A refused sender (MAIL FROM), a dropped connection or a timeout concern every
    message on the connection. ESP: a refused address is the recipient's; 429 and 5xx concern
    the connection, other 4xx this message."""
    reason = f"{type(exc).__name__}: {exc}"[:500]
    if data_started and isinstance(exc, smtplib.SMTPServerDisconnected | TimeoutError):
        return HandOverError(IN_DOUBT, f"no answer after the message was handed over: {reason}"[:500])
    if isinstance(exc, AnymailAPIError) and (isinstance(exc, requests.ReadTimeout | AnswerLost) or _dropped(exc)):
        return HandOverError(IN_DOUBT, f"no answer after the message was handed over: {reason}"[:500])
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress):
        return HandOverError(PERMANENT, reason, scope=RECIPIENT)
    if isinstance(exc, AnymailAPIError):
        status = exc.status_code
        if status is None or status == 429 or status >= 500:
            return HandOverError(TEMPORARY, reason, retry_after_seconds(exc, now=now))
        return HandOverError(PERMANENT, reason, scope=RECIPIENT)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        if 421 in codes or not codes:
            return HandOverError(TEMPORARY, reason)
        kind = PERMANENT if all(code >= 500 for code in codes) else TEMPORARY
        return HandOverError(kind, reason, scope=RECIPIENT)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return HandOverError(PERMANENT if exc.smtp_code >= 500 else TEMPORARY, reason)
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:
            return HandOverError(TEMPORARY, reason)
        return HandOverError(PERMANENT if exc.smtp_code >= 500 else TEMPORARY, reason, scope=RECIPIENT)
    # Connection trouble, timeouts and anything unexpected: try again later, never lose the row.
    return HandOverError(TEMPORARY, reason)


def _dropped(exc: Exception) -> bool:
    """An ESP's connection that broke after it was made (``requests`` reports "Connection
    aborted"): the request may have reached the ESP. A connection never made (refused, a connect
    timeout, no such host) is not this: nothing went."""
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ConnectTimeout):
        return False
    # anymail raises its own error from the requests one, which carries urllib3's reason.
    for error in (exc, exc.__cause__):
        if error is not None and error.args and isinstance(error.args[0], urllib3.exceptions.ProtocolError):
            return True
    return False


def retry_after_seconds(exc: Exception, *, now: dt.datetime) -> float | None:
    """The provider's Retry-After header (seconds or an HTTP date), if it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(*, attempts: int, retry_after: float | None, base: float = 30.0, cap: float = 3600.0) -> float:
    """Retry-After when given (the provider knows best), else exponential from ``base``, capped."""
    if retry_after is not None:
        return float(retry_after)
    return min(cap, base * 2 ** max(0, attempts - 1))


def message_id_for(*, mailing_id: int, delivery_id: int, attempt: int, domain: str) -> str:
    """The Message-ID header of one attempt of one delivery: known before handing over, so a
    reconcile after a crash can ask the receiving end whether exactly this message arrived."""
    return f"<hn.{mailing_id}.{delivery_id}.{attempt}@{domain}>"


def tracking_after(current: str, new: str) -> str:
    """Tracking state after an event: the later of the two in TRACKING_ORDER."""
    if TRACKING_ORDER.index(new) > TRACKING_ORDER.index(current):
        return new
    return current


def error_rate_exceeded(*, sent: int, failed: int, threshold: float, minimum: int = 20) -> bool:
    """True when the share of permanent failures passes ``threshold`` (0 disables), once enough
    messages went out for the share to mean something."""
    handled = sent + failed
    if threshold <= 0 or handled < minimum:
        return False
    return failed / handled > threshold
