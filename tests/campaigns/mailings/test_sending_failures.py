"""Injected ESP failures end correctly; anymail's test backend shows the ESP hand-over."""

import datetime as dt

import pytest
from anymail.exceptions import AnymailRecipientsRefused
from django.core import mail
from django.utils import timezone

from campaigns.mailings import services as services
from campaigns.mailings.recovery import mailings_sweep
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.campaigns.mailings import mailbackends
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = "tests.campaigns.mailings.mailbackends.ScriptedBackend"
    mailbackends.SCRIPT.clear()
    mailbackends.OPENED.clear()
    mail.outbox = []
    yield mailbackends.SCRIPT
    mailbackends.SCRIPT.clear()


@pytest.fixture
def launch(db, django_capture_on_commit_callbacks):
    def launch(count=5, **fields):
        incident = IncidentFactory()
        AffectedCustomerFactory.create_batch(count, incident=incident)
        mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, **fields), by=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.mailing_launch(mailing=mailing, by=None)
        return mailing

    return launch


def due_now(mailing):
    """Time passes: every back-off is over."""
    Delivery.objects.filter(mailing=mailing, next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_one_connection_per_batch(scripted, launch):
    launch(count=7, batch_size=5)
    assert len(mail.outbox) == 7
    assert len(mailbackends.OPENED) == 2


def test_429_with_retry_after_defers_the_rest_of_the_batch_then_sends(
    scripted, launch, django_capture_on_commit_callbacks
):
    scripted["k000002@kunde.example.ch"] = [mailbackends.esp_error(429, retry_after="120")]
    before = timezone.now()
    mailing = launch(count=5)

    deferred = Delivery.objects.filter(mailing=mailing, status="pending").order_by("pk")
    assert [d.email for d in deferred] == [f"k{i:06d}@kunde.example.ch" for i in (2, 3, 4)]
    for delivery in deferred:
        assert (
            before + dt.timedelta(seconds=119) < delivery.next_attempt_at < timezone.now() + dt.timedelta(seconds=121)
        )
        assert "429" in delivery.last_error
    tried, *waiting = deferred
    assert [d.attempts for d in deferred] == [1, 0, 0]  # the two not tried keep their attempt
    assert tried.last_error.startswith("AnymailAPIError: injected 429")
    assert all(d.last_error.startswith("not tried, the connection failed: AnymailAPIError") for d in waiting)
    events = DeliveryEvent.objects.filter(event_type="deferred")
    assert [e.delivery_id for e in events] == [tried.pk]  # an event for the attempt made only
    assert len(mail.outbox) == 2

    due_now(mailing)
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    assert sorted(m.to[0] for m in mail.outbox) == [f"k{i:06d}@kunde.example.ch" for i in range(5)]
    assert Delivery.objects.filter(mailing=mailing, status="sent").count() == 5
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE


def test_a_delay_longer_than_the_visibility_timeout_waits_in_the_database(scripted, launch, settings, mocker=None):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MAX_COUNTDOWN_SECONDS": 60}
    scripted["k000000@kunde.example.ch"] = [mailbackends.esp_error(429, retry_after="7200")]
    mailing = launch(count=2)
    rows = Delivery.objects.filter(mailing=mailing)
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    assert all(r.next_attempt_at > timezone.now() + dt.timedelta(seconds=7000) for r in rows)
    assert mailings_sweep()["requeued"] == 0  # not due yet


def test_503_without_retry_after_backs_off_exponentially_and_gives_up(
    scripted, launch, settings, django_capture_on_commit_callbacks
):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MAX_ATTEMPTS": 3}
    scripted["k000000@kunde.example.ch"] = [mailbackends.esp_error(503) for _ in range(5)]
    mailing = launch(count=1)
    delivery = Delivery.objects.get(mailing=mailing)
    assert delivery.status == "pending"
    assert 29 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 30
    for _ in range(2):
        due_now(mailing)
        with django_capture_on_commit_callbacks(execute=True):
            mailings_sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.last_error.startswith("gave up after 3 attempts")
    assert mail.outbox == []


def test_permanent_4xx_fails_that_delivery_only_with_the_reason(scripted, launch):
    scripted["k000001@kunde.example.ch"] = [mailbackends.esp_error(422)]
    scripted["k000003@kunde.example.ch"] = [AnymailRecipientsRefused("inactive recipient")]
    mailing = launch(count=30, auto_pause_error_rate=0.5)
    failed = Delivery.objects.filter(mailing=mailing, status="failed").order_by("pk")
    assert [d.email for d in failed] == ["k000001@kunde.example.ch", "k000003@kunde.example.ch"]
    assert "422" in failed[0].last_error
    assert "inactive recipient" in failed[1].last_error
    events = DeliveryEvent.objects.filter(event_type="failed", esp="hostnotify").order_by("delivery_id")
    assert [e.delivery_id for e in events] == [d.pk for d in failed]
    assert len(mail.outbox) == 28
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE


def test_error_rate_above_threshold_pauses_the_mailing(scripted, launch):
    for i in range(10):
        scripted[f"k{i:06d}@kunde.example.ch"] = [mailbackends.esp_error(400)]
    mailing = launch(count=40, batch_size=20, auto_pause_error_rate=0.2)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.PAUSED
    assert mailing.paused_reason.startswith("error rate 10/20")
    assert Delivery.objects.filter(mailing=mailing, status="pending").count() == 20  # second batch not claimed


def test_anymail_test_backend_records_esp_message_ids_and_metadata(settings, launch):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    mailing = launch(count=3)
    assert len(mail.outbox) == 3
    for index, message in enumerate(mail.outbox):
        delivery = Delivery.objects.get(email=message.to[0])
        params = message.anymail_test_params
        assert params["metadata"] == {"delivery_id": str(delivery.pk), "mailing_id": str(mailing.pk)}
        assert params["tags"] == [f"mailing-{mailing.pk}"]
        assert params["is_batch_send"] is False
        assert delivery.message_id == str(index)  # the ESP's id, which its webhooks carry
        assert delivery.status == "sent"


def test_esp_batch_sending_puts_each_recipient_in_merge_data(settings, launch):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}
    mail.outbox = []
    mailing = launch(count=5)

    assert [len(m.to) for m in mail.outbox] == [2, 2, 1]  # within the per-call cap
    deliveries = {d.email: d for d in Delivery.objects.filter(mailing=mailing)}
    for call, message in enumerate(mail.outbox):
        params = message.anymail_test_params
        assert params["is_batch_send"] is True
        assert (params["subject"], params["text_body"]) == ("{{subject}}", "{{text}}")
        for address in message.to:
            delivery = deliveries[address]
            assert params["merge_data"][address]["subject"].startswith("[de]")
            assert params["merge_metadata"][address]["delivery_id"] == str(delivery.pk)
            assert (
                params["merge_headers"][address]["Message-ID"]
                == f"<hn.{mailing.pk}.{delivery.pk}.1@hostnotify.invalid>"
            )
            assert delivery.status == "sent"
            assert delivery.message_id == str(call)  # the ESP's id of the call, per recipient


def test_esp_batch_call_failing_temporarily_defers_the_rest(settings, launch, monkeypatch):
    from anymail.backends.test import EmailBackend

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}
    calls = []
    original = EmailBackend.post_to_esp

    def flaky(self, payload, message):
        calls.append(message.to)
        if len(calls) == 2:
            raise mailbackends.esp_error(503)
        return original(self, payload, message)

    monkeypatch.setattr(EmailBackend, "post_to_esp", flaky)
    mailing = launch(count=5)
    statuses = list(Delivery.objects.filter(mailing=mailing).order_by("pk").values_list("status", flat=True))
    assert statuses == ["sent", "sent", "pending", "pending", "pending"]
    assert len(calls) == 2  # the rest waits for the back-off


def test_throttle_keeps_to_the_rate(scripted, launch, monkeypatch):
    """10 a second: 25 messages span at least one full second, and the throttle never waits
    longer than the windows it has to (asked for by its own sleeps, which load cannot stretch)."""
    import time

    from campaigns.mailings import handover

    slept = []
    real_sleep = time.sleep

    def sleep(seconds):
        slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(handover.time, "sleep", sleep)
    started = time.monotonic()
    launch(count=25, rate_per_second=10)
    elapsed = time.monotonic() - started
    assert len(mail.outbox) == 25
    assert elapsed >= 1.0  # 10 + 10 + 5 messages span at least one full one-second window
    assert 1 <= len(slept) <= 2 and sum(slept) <= 2.0  # to the next window's start, no longer


def test_a_batch_over_its_time_budget_hands_the_rest_to_a_new_task(scripted, launch, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_BATCH_TIME_BUDGET_SECONDS": 0}
    mailing = launch(count=4)  # one message per task run, then a fresh task takes over
    assert sorted(m.to[0] for m in mail.outbox) == [f"k{i:06d}@kunde.example.ch" for i in range(4)]
    assert Delivery.objects.filter(mailing=mailing, status="sent").count() == 4
    assert DeliveryEvent.objects.count() == 0  # running out of time is no failure
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE
