"""Through Django's SMTP backend to a real listener on loopback: a recipient's own temporary
refusal (451 greylisting) defers that recipient only, with its own error; a 421 (the server
closing the connection) defers the rest of the batch, which keeps its attempts; a connection lost
after a message's content went leaves that message in doubt — never sent again blindly.

Runtime: a few seconds each."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.mailings import services
from campaigns.mailings.recovery import mailings_sweep
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.campaigns.mailings.loopback import Inbox, smtp_listener
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory

GREYLISTED = "k000003@kunde.example.ch"


@pytest.fixture
def listener(settings):
    inbox = Inbox()
    controller = smtp_listener(inbox)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    yield inbox
    controller.stop()


@pytest.fixture
def launch(db, django_capture_on_commit_callbacks):
    def launch(count):
        incident = IncidentFactory()
        AffectedCustomerFactory.create_batch(count, incident=incident)
        mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=count), by=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.mailing_launch(mailing=mailing, by=None)
        return mailing

    return launch


def test_a_greylisted_address_defers_only_itself(listener, launch, django_capture_on_commit_callbacks):
    listener.refuse[GREYLISTED] = "451 4.3.0 greylisted, try again later"

    before = timezone.now()
    mailing = launch(24)
    after = timezone.now()

    others = {f"k{i:06d}@kunde.example.ch" for i in range(24)} - {GREYLISTED}
    assert listener.counts() == dict.fromkeys(others, 1)  # every other one on the first try
    assert all(listener.rcpt_attempts[address] == 1 for address in others)
    rows = Delivery.objects.filter(mailing=mailing)
    assert set(rows.exclude(email=GREYLISTED).values_list("status", "attempts", "last_error")) == {("sent", 1, "")}
    greylisted = rows.get(email=GREYLISTED)
    assert (greylisted.status, greylisted.attempts) == ("pending", 1)
    assert greylisted.last_error.startswith(
        "SMTPRecipientsRefused: {'k000003@kunde.example.ch': (451, b'4.3.0 greylisted"
    )
    # the first back-off, 30 s from the batch's start (on a busy machine the launch itself takes seconds)
    assert before + dt.timedelta(seconds=30) <= greylisted.next_attempt_at <= after + dt.timedelta(seconds=30)
    assert list(DeliveryEvent.objects.values_list("delivery__email", "event_type")) == [(GREYLISTED, "deferred")]

    del listener.refuse[GREYLISTED]  # the greylisting period is over
    rows.filter(pk=greylisted.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    assert listener.counts()[GREYLISTED] == 1
    assert set(rows.values_list("status", flat=True)) == {"sent"}


def test_a_421_defers_the_rest_of_the_batch_which_keeps_its_attempts(listener, launch):
    listener.refuse[GREYLISTED] = "421 4.3.2 shutting down"

    mailing = launch(6)

    rows = list(Delivery.objects.filter(mailing=mailing).order_by("pk"))
    assert [(d.status, d.attempts) for d in rows] == [("sent", 1)] * 3 + [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    assert rows[3].last_error.startswith("SMTPRecipientsRefused: {'k000003@kunde.example.ch': (421")
    assert rows[4].last_error.startswith("not tried, the connection failed: SMTPRecipientsRefused")
    assert rows[4].next_attempt_at == rows[5].next_attempt_at == rows[3].next_attempt_at


def test_a_connection_lost_after_the_content_went_leaves_that_message_in_doubt(
    listener, launch, django_capture_on_commit_callbacks
):
    listener.hang_up.add(GREYLISTED)  # the server takes the message and the connection drops

    before = timezone.now()
    mailing = launch(6)
    after = timezone.now()

    rows = list(Delivery.objects.filter(mailing=mailing).order_by("pk"))
    assert [(d.status, d.attempts) for d in rows] == [("sent", 1)] * 3 + [
        ("unknown", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    assert rows[3].last_error.startswith("no answer after the message was handed over: SMTPServerDisconnected")
    assert list(DeliveryEvent.objects.values_list("delivery__email", "event_type")) == [(GREYLISTED, "in_doubt")]
    # the rest after the first back-off, 30 s from the batch's start
    assert before + dt.timedelta(seconds=30) <= rows[4].next_attempt_at <= after + dt.timedelta(seconds=30)

    listener.hang_up.clear()
    Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    assert listener.counts() == {f"k{i:06d}@kunde.example.ch": 1 for i in range(6)}  # nobody twice
    assert Delivery.objects.get(pk=rows[3].pk).status == "unknown"  # for staff (or the reconciler) to decide
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.SENDING  # not done while in doubt
