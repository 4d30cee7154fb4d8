"""ESP batch calls of complete, distinct messages (``campaigns.mailings.esp_batch``): each letter
with its own voucher PDF, headers, Message-ID and metadata, one call per chunk, each call's outcomes
recorded in one statement before the next call — against the loopback Postmark API (counted at the
far end) and anymail's test backend (what the benchmark runs)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.mailings import esp_batch, services
from campaigns.mailings.recovery import deliveries_reconcile
from campaigns.mailings.sending import batch_send
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.campaigns.mailings.mailbackends import esp_error
from tests.campaigns.mailings.postmark_server import TOKEN, PostmarkServer
from tests.factories import PDF_BYTES, AffectedCustomerFactory, IncidentFactory, MailingFactory

ADDRESSES = [f"k{i:06d}@kunde.example.ch" for i in range(5)]


@pytest.fixture
def postmark(settings):
    with PostmarkServer() as server:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": server.url}
        settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}
        yield server


@pytest.fixture
def sending_mailing(db):
    """Five customers, each with a voucher and its stored PDF, and an approved mailing attaching it,
    its deliveries snapshotted and the mailing sending (no task run yet)."""

    def make(count=5, **fields):
        incident = IncidentFactory()
        for _ in range(count):
            AffectedCustomerFactory(incident=incident, with_voucher=True, pdf=True)
        mailing = MailingFactory(incident=incident, attach_voucher=True, batch_size=50, **fields)
        mailing = services.mailing_approve(mailing=mailing, by=None)
        services._snapshot_deliveries(mailing, timezone.now())
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
        return mailing

    return make


def rows(mailing):
    return list(Delivery.objects.filter(mailing=mailing).order_by("pk"))


def test_postmark_takes_each_letter_with_its_own_pdf_one_call_per_chunk(postmark, sending_mailing):
    mailing = sending_mailing()

    with CaptureQueriesContext(connection) as queries:
        result = batch_send(mailing_id=mailing.pk, batch=0)

    assert result.sent == 5
    assert postmark.batches == [2, 2, 1]  # /email/batch, chunks of MAIL_MERGE_BATCH_SIZE
    deliveries = rows(mailing)
    taken = {m["To"]: m for m in postmark.messages}
    for delivery in deliveries:
        message = taken[delivery.email]
        voucher = delivery.customer.vouchers.get()
        ((name, content_type, data),) = message["Attachments"]
        assert (name, content_type, data) == (f"Gutschein-{voucher.code[-4:]}.pdf", "application/pdf", PDF_BYTES)
        assert message["Metadata"] == {"delivery_id": str(delivery.pk), "mailing_id": str(mailing.pk)}
        assert message["MessageIdHeader"] == f"<hn.{mailing.pk}.{delivery.pk}.1@hostnotify.invalid>"
        assert (delivery.status, delivery.message_id) == ("sent", message["MessageID"])  # Postmark's own id
    # The claim with the letters' data, then one UPDATE per call (the mailing was loaded before).
    writes = [q["sql"] for q in queries.captured_queries]
    assert len(writes) <= 1 + 3 + 1, writes


def test_an_inactive_recipient_inside_a_batch_answer_fails_alone(postmark, sending_mailing):
    mailing = sending_mailing()
    postmark.inactive = {ADDRESSES[1]}

    batch_send(mailing_id=mailing.pk, batch=0)

    statuses = {d.email: (d.status, d.attempts) for d in rows(mailing)}
    assert statuses == {a: ("failed" if a == ADDRESSES[1] else "sent", 1) for a in ADDRESSES}
    failed = Delivery.objects.get(email=ADDRESSES[1], mailing=mailing)
    assert "rejected or invalid" in failed.last_error  # anymail's reading of Postmark's 406
    assert DeliveryEvent.objects.filter(delivery=failed, event_type="failed").count() == 1
    assert postmark.batches == [2, 2, 1]
    assert ADDRESSES[1] not in postmark.counts()


def test_a_batch_call_answered_503_defers_its_chunk_and_the_rest_waits(postmark, sending_mailing):
    mailing = sending_mailing()
    postmark.failing = {2: 503}
    before = timezone.now()

    batch_send(mailing_id=mailing.pk, batch=0)

    deliveries = rows(mailing)
    assert [d.status for d in deliveries] == ["sent", "sent", "pending", "pending", "pending"]
    assert [d.attempts for d in deliveries] == [1, 1, 1, 1, 0]  # the call's two tried, the last not
    assert all(d.next_attempt_at > before + dt.timedelta(seconds=29) for d in deliveries[2:])
    assert "503" in deliveries[2].last_error
    assert deliveries[4].last_error.startswith("not tried, the connection failed")
    assert postmark.batches == [2, 2]  # nothing more after the failed call
    assert sorted(postmark.counts()) == ADDRESSES[:2]


def test_a_batch_call_whose_answer_is_lost_is_in_doubt_and_the_rest_waits(postmark, sending_mailing):
    mailing = sending_mailing()
    postmark.failing = {1: "drop"}  # Postmark took the first two, the answer never came

    result = batch_send(mailing_id=mailing.pk, batch=0)

    assert [d.status for d in rows(mailing)] == ["unknown", "unknown", "pending", "pending", "pending"]
    assert result.in_doubt == 2  # one call, never more
    assert sorted(postmark.counts()) == ADDRESSES[:2]


def test_a_refused_connection_defers_everything_and_nothing_is_in_doubt(settings, sending_mailing):
    mailing = sending_mailing()
    with PostmarkServer() as server:
        url = server.url
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"  # the server is gone: nothing listens
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": url}
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}

    batch_send(mailing_id=mailing.pk, batch=0)

    deliveries = rows(mailing)
    assert [d.status for d in deliveries] == ["pending"] * 5
    assert [d.attempts for d in deliveries] == [1, 1, 0, 0, 0]


def test_chunks_keep_to_the_byte_cap(postmark, sending_mailing, settings, monkeypatch):
    mailing = sending_mailing()
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 500}
    monkeypatch.setattr(esp_batch.PostmarkBatch, "size_of", staticmethod(lambda message: 30 * esp_batch.MB))

    batch_send(mailing_id=mailing.pk, batch=0)

    assert postmark.batches == [1, 1, 1, 1, 1]  # two messages of 30 MB do not fit in a call of 50 MB
    assert {d.status for d in rows(mailing)} == {"sent"}


def test_a_message_counts_its_attachments_base64_encoded():
    from anymail.message import AnymailMessage

    message = AnymailMessage(body="x" * 100, to=["a@example.ch"])
    message.attach_alternative("<p>" + "y" * 93 + "</p>", "text/html")
    message.attach("v.pdf", b"%" * 3000, "application/pdf")
    assert esp_batch.DistinctBatch.size_of(message) == 2048 + 2 * (100 + 100) + 4000


def test_a_worker_dying_during_a_call_leaves_that_call_in_doubt_only(settings, sending_mailing, monkeypatch):
    """The hand-over records each call's outcomes before the next call: after a death during the
    second call, the first call's letters are sent, the second call's in doubt, the rest pending."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}
    mailing = sending_mailing()
    original = esp_batch.TestBackendBatch.post
    calls = []

    class WorkerKilled(BaseException):
        pass

    def dying(self, payloads, messages):
        calls.append(len(messages))
        if len(calls) == 2:
            original(self, payloads, messages)  # the ESP took them; the worker dies before the answer
            raise WorkerKilled
        return original(self, payloads, messages)

    monkeypatch.setattr(esp_batch.TestBackendBatch, "post", dying)
    mail.outbox = []
    with pytest.raises(WorkerKilled):
        batch_send(mailing_id=mailing.pk, batch=0)
    assert [d.status for d in rows(mailing)] == ["sent", "sent", "sending", "sending", "sending"]

    outcome = deliveries_reconcile(mailing=mailing, stale_after=dt.timedelta(0), ask=False)

    assert (outcome["unknown"], outcome["pending"]) == (2, 1)  # in doubt: the one call in flight
    assert [d.status for d in rows(mailing)] == ["sent", "sent", "unknown", "unknown", "pending"]
    assert [m.to[0] for m in mail.outbox] == ADDRESSES[:4]


def test_anymail_test_backend_gets_one_call_per_chunk_with_each_message_whole(settings, sending_mailing):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}
    mailing = sending_mailing()
    mail.outbox = []

    batch_send(mailing_id=mailing.pk, batch=0)

    calls = [m.anymail_test_batch_call for m in mail.outbox]
    assert [calls.count(c) for c in sorted(set(calls), key=calls.index)] == [2, 2, 1]
    for message in mail.outbox:
        params = message.anymail_test_params
        assert params["is_batch_send"] is False  # a complete message, not merge data
        assert [a.content for a in params["attachments"]] == [PDF_BYTES]
        assert params["metadata"]["delivery_id"] == str(Delivery.objects.get(email=message.to[0]).pk)


def test_a_message_refused_inside_the_test_backends_call_fails_alone(settings, sending_mailing, monkeypatch):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 5}
    mailing = sending_mailing()
    original = esp_batch.TestBackendBatch.post

    def refuse_third(self, payloads, messages):
        messages[2].anymail_test_response = esp_error(422)
        return original(self, payloads, messages)

    monkeypatch.setattr(esp_batch.TestBackendBatch, "post", refuse_third)
    batch_send(mailing_id=mailing.pk, batch=0)

    assert [d.status for d in rows(mailing)] == ["sent", "sent", "failed", "sent", "sent"]


def test_a_chunk_keeps_to_the_mailings_rate(settings, sending_mailing):
    import time

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 5}
    mailing = sending_mailing(rate_per_second=2)
    mail.outbox = []

    started = time.monotonic()
    batch_send(mailing_id=mailing.pk, batch=0)

    assert len(mail.outbox) == 5  # one call, which waited for the rate's share of all five
    assert time.monotonic() - started >= 1.0  # 2 + 2 + 1 messages: into a third one-second window, so a whole one


def test_an_invalid_message_inside_a_batch_answer_fails_alone_with_postmarks_reason(
    postmark, sending_mailing, monkeypatch
):
    mailing = sending_mailing()
    accept = postmark.accept

    def too_big_for_the_third(message):
        if message["To"] == ADDRESSES[2]:
            return {"ErrorCode": 300, "Message": "Message size exceeds 10 MB."}
        return accept(message)

    monkeypatch.setattr(postmark, "accept", too_big_for_the_third)
    batch_send(mailing_id=mailing.pk, batch=0)

    deliveries = rows(mailing)
    assert [d.status for d in deliveries] == ["sent", "sent", "failed", "sent", "sent"]
    assert "422" in deliveries[2].last_error and "exceeds 10 MB" in deliveries[2].last_error
    assert postmark.batches == [2, 2, 1]
