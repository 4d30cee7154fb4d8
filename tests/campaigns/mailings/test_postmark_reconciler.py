"""With Postmark as the ESP, deliveries in doubt are decided by asking Postmark's outbound message
search (a loopback server implementing the documented endpoints): those it holds are sent, the
others are sent again — each recipient ends with exactly one letter. No setting needed. A delivery
is asked about once it has been in doubt for 30 s (the search lists a message some time after
Postmark took it)."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.mailings import recovery, services
from campaigns.mailings.recovery import mailings_sweep, reconciler
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.campaigns.mailings.postmark_server import TOKEN, PostmarkServer
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory


@pytest.fixture
def postmark(settings):
    with PostmarkServer() as server:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": server.url}
        yield server


def test_postmark_is_asked_by_default_and_each_recipient_gets_one_letter(
    db, postmark, django_capture_on_commit_callbacks
):
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(4, incident=incident)
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident), by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=None)
    rows = list(Delivery.objects.filter(mailing=mailing).order_by("pk"))
    assert postmark.counts() == {row.email: 1 for row in rows}
    assert rows[0].message_id == postmark.messages[0]["MessageID"]  # Postmark's id recorded
    # A worker died twice: once after Postmark took the letter, once before it did.
    in_doubt = Delivery.objects.filter(pk__in=[rows[0].pk, rows[2].pk])
    in_doubt.update(status="unknown", updated_at=timezone.now())
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    postmark.messages = [m for m in postmark.messages if m["Recipients"] != [rows[2].email]]
    assert reconciler().__name__ == "postmark_reconciler"

    mailings_sweep()  # just now in doubt: Postmark's search may not list it yet, so it is not asked
    assert (postmark.searches, set(in_doubt.values_list("status", flat=True))) == (0, {"unknown"})

    in_doubt.update(updated_at=timezone.now() - dt.timedelta(seconds=31))  # 30 s later
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()

    assert postmark.searches == 2
    assert postmark.counts() == {row.email: 1 for row in rows}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    notes = dict(DeliveryEvent.objects.filter(event_type="reconciled").values_list("delivery_id", "description"))
    assert notes == {
        rows[0].pk: "the receiving end has the message",
        rows[2].pk: "the receiving end does not have the message: queued again",
    }
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE


def test_a_search_that_fails_leaves_them_in_doubt(db, postmark, settings, django_capture_on_commit_callbacks):
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(1, incident=incident)
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident), by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=None)
    Delivery.objects.update(status="unknown", updated_at=timezone.now() - dt.timedelta(minutes=2))
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": "wrong"}

    mailings_sweep()

    assert list(Delivery.objects.values_list("status", flat=True)) == ["unknown"]
    assert len(postmark.messages) == 1


def test_a_slow_search_is_asked_in_chunks_within_the_sweeps_budget(
    db, postmark, monkeypatch, django_capture_on_commit_callbacks
):
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(45, incident=incident)
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident), by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=None)
    Delivery.objects.update(status="unknown", updated_at=timezone.now() - dt.timedelta(minutes=2))
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    monkeypatch.setattr(recovery, "RECONCILE_BUDGET_SECONDS", 0)  # spent by the first chunk

    mailings_sweep()

    # one chunk of 20 asked (and found sent), the other 25 left in doubt for the next sweep
    assert postmark.searches == 20
    assert Delivery.objects.filter(status="sent").count() == 20
    assert Delivery.objects.filter(status="unknown").count() == 25
    mailings_sweep()
    assert Delivery.objects.filter(status="unknown").count() == 5
