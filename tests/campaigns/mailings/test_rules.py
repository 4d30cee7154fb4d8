"""Pure sending rules: error classes, back-off, Retry-After, tracking order, error rate."""

import datetime as dt
import smtplib

import pytest
import requests
from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused, AnymailRequestsAPIError

from campaigns.mailings import rules
from tests.campaigns.mailings.mailbackends import esp_error

NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("exc", "kind", "retry_after"),
    [
        (esp_error(429, "120"), rules.TEMPORARY, 120.0),
        (esp_error(429, "Mon, 05 Jan 2026 10:01:30 GMT"), rules.TEMPORARY, 90.0),
        (esp_error(429, "soon"), rules.TEMPORARY, None),
        (esp_error(503), rules.TEMPORARY, None),
        (esp_error(500, "30"), rules.TEMPORARY, 30.0),
        (esp_error(400), rules.PERMANENT, None),
        (esp_error(422), rules.PERMANENT, None),
        (AnymailRecipientsRefused("refused"), rules.PERMANENT, None),
        (AnymailInvalidAddress("bad"), rules.PERMANENT, None),
        (smtplib.SMTPRecipientsRefused({"a@b.ch": (550, b"no such user")}), rules.PERMANENT, None),
        (smtplib.SMTPRecipientsRefused({"a@b.ch": (450, b"greylisted")}), rules.TEMPORARY, None),
        (smtplib.SMTPDataError(554, b"rejected"), rules.PERMANENT, None),
        (smtplib.SMTPDataError(421, b"try later"), rules.TEMPORARY, None),
        (smtplib.SMTPServerDisconnected("gone"), rules.TEMPORARY, None),
        (ConnectionRefusedError(111, "refused"), rules.TEMPORARY, None),
    ],
)
def test_classify_error(exc, kind, retry_after):
    error = rules.classify_error(exc, now=NOW)
    assert (error.kind, error.retry_after) == (kind, retry_after)
    assert error.reason.startswith(type(exc).__name__)


@pytest.mark.parametrize(
    ("exc", "scope", "stops_connection"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.ch": (451, b"4.3.0 greylisted")}), rules.RECIPIENT, False),
        (smtplib.SMTPRecipientsRefused({"a@b.ch": (452, b"4.2.2 mailbox full")}), rules.RECIPIENT, False),
        (smtplib.SMTPRecipientsRefused({"a@b.ch": (550, b"no such user")}), rules.RECIPIENT, False),
        (smtplib.SMTPRecipientsRefused({"a@b.ch": (421, b"closing")}), rules.CONNECTION, True),
        (smtplib.SMTPDataError(452, b"4.2.2 over quota"), rules.RECIPIENT, False),
        (smtplib.SMTPDataError(421, b"try later"), rules.CONNECTION, True),
        (smtplib.SMTPSenderRefused(451, b"try later", "from@x.ch"), rules.CONNECTION, True),
        (smtplib.SMTPConnectError(421, b"busy"), rules.CONNECTION, True),
        (smtplib.SMTPServerDisconnected("gone"), rules.CONNECTION, True),
        (TimeoutError("timed out"), rules.CONNECTION, True),
        (esp_error(503), rules.CONNECTION, True),
        (esp_error(422), rules.RECIPIENT, False),
        (AnymailRecipientsRefused("refused"), rules.RECIPIENT, False),
    ],
)
def test_a_failure_concerns_its_recipient_or_the_connection(exc, scope, stops_connection):
    error = rules.classify_error(exc, now=NOW)
    assert (error.scope, error.stops_connection) == (scope, stops_connection)


def anymail_requests_error(cause: type[requests.RequestException]) -> Exception:
    """What anymail raises when ``requests`` fails: both its own error and the requests one."""
    return type("AnymailRequestsAPIError", (AnymailRequestsAPIError, cause), {})("Error posting to the API")


@pytest.mark.parametrize(
    ("exc", "data_started", "kind"),
    [
        # the answer was lost once the message had gone: in doubt
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, rules.IN_DOUBT),
        (TimeoutError("timed out"), True, rules.IN_DOUBT),
        (anymail_requests_error(requests.ReadTimeout), False, rules.IN_DOUBT),
        # an answer came, or the message had not gone yet
        (smtplib.SMTPDataError(451, b"4.3.0 try later"), True, rules.TEMPORARY),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False, rules.TEMPORARY),
        (anymail_requests_error(requests.ConnectTimeout), False, rules.TEMPORARY),
        (anymail_requests_error(requests.ConnectionError), False, rules.TEMPORARY),
    ],
)
def test_an_answer_lost_after_the_message_went_is_in_doubt(exc, data_started, kind):
    error = rules.classify_error(exc, now=NOW, data_started=data_started)
    assert error.kind == kind
    assert error.stops_connection is (kind == rules.IN_DOUBT or error.scope == rules.CONNECTION)


@pytest.mark.parametrize(
    ("attempts", "retry_after", "seconds"),
    [(1, None, 30), (2, None, 60), (3, None, 120), (10, None, 3600), (1, 7.0, 7.0), (5, 7200.0, 7200.0)],
)
def test_backoff(attempts, retry_after, seconds):
    assert rules.backoff_seconds(attempts=attempts, retry_after=retry_after) == seconds


@pytest.mark.parametrize(
    ("current", "new", "after"),
    [
        ("", "delivered", "delivered"),
        ("delivered", "bounced", "bounced"),
        ("bounced", "delivered", "bounced"),
        ("clicked", "opened", "clicked"),
        ("opened", "opened", "opened"),
        ("complained", "bounced", "complained"),
    ],
)
def test_tracking_only_moves_forward(current, new, after):
    assert rules.tracking_after(current, new) == after


def test_message_id_is_deterministic_per_attempt():
    assert rules.message_id_for(mailing_id=3, delivery_id=42, attempt=2, domain="x.ch") == "<hn.3.42.2@x.ch>"


@pytest.mark.parametrize(
    ("sent", "failed", "threshold", "exceeded"),
    [(80, 20, 0.2, False), (79, 21, 0.2, True), (5, 5, 0.2, False), (0, 100, 0, False)],
)
def test_error_rate(sent, failed, threshold, exceeded):
    assert rules.error_rate_exceeded(sent=sent, failed=failed, threshold=threshold) is exceeded
