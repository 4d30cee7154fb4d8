"""send_mailing INCIDENT|MAILING [--wait]."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from campaigns.models import Mailing
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory


def test_send_mailing_for_an_incident_creates_approves_and_sends(transactional_db, capsys):
    # transactional: the launch commits and its tasks run (eagerly) before --wait polls
    incident = IncidentFactory(slug="storage-2005")
    AffectedCustomerFactory.create_batch(4, incident=incident)
    call_command("send_mailing", "storage-2005", "--wait", "--timeout", "20")
    mailing = Mailing.objects.get()
    assert (mailing.status, mailing.kind) == (Mailing.Status.DONE, Mailing.Kind.APOLOGY)
    assert len(mail.outbox) == 4
    assert "sent 4, failed 0" in capsys.readouterr().out


def test_send_mailing_again_for_the_incident_sends_nothing_twice(transactional_db, capsys):
    incident = IncidentFactory(slug="storage-2005")
    AffectedCustomerFactory.create_batch(3, incident=incident)
    call_command("send_mailing", "storage-2005", "--wait", "--timeout", "20")
    with pytest.raises(CommandError, match=r"the apology for storage-2005 was sent already \(mailing \d+\)"):
        call_command("send_mailing", "storage-2005", "--wait", "--timeout", "20")
    assert Mailing.objects.count() == 1
    assert len(mail.outbox) == 3


def test_send_mailing_for_an_incident_continues_its_draft_apology(db, django_capture_on_commit_callbacks):
    incident = IncidentFactory(slug="storage-2005")
    AffectedCustomerFactory.create_batch(2, incident=incident)
    draft = MailingFactory(incident=incident, kind=Mailing.Kind.APOLOGY)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_mailing", "storage-2005")
    assert list(Mailing.objects.values_list("pk", flat=True)) == [draft.pk]
    assert len(mail.outbox) == 2


def test_send_mailing_by_id_launches_an_existing_draft(db, django_capture_on_commit_callbacks):
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(2, incident=incident)
    mailing = MailingFactory(incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_mailing", str(mailing.pk))
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("target", ["no-such-incident", "999999"])
def test_send_mailing_rejects_unknown_targets(db, target):
    with pytest.raises(CommandError):
        call_command("send_mailing", target)
    assert Mailing.objects.count() == 0


def test_send_mailing_refuses_a_staff_draft_without_second_approval(db, support_user):
    mailing = MailingFactory(created_by=support_user)
    with pytest.raises(CommandError, match="another staff user"):
        call_command("send_mailing", str(mailing.pk))
    assert Mailing.objects.get().status == Mailing.Status.DRAFT


def test_send_mailing_wait_without_a_send_worker_stops_with_what_to_do(db, monkeypatch):
    # Given Celery with a broker (as with REDIS_URL set) and no worker on the send queue
    from hostnotify.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "memory://")
    incident = IncidentFactory(slug="storage-2005")
    AffectedCustomerFactory.create_batch(2, incident=incident)

    # When the operator sends and waits, then it says so instead of waiting forever (make demo hung)
    with pytest.raises(CommandError, match=r"no Celery worker consumes the 'send' queue.*worker -Q default,send,pdf"):
        call_command("send_mailing", "storage-2005", "--wait", "--worker-wait", "0")

    # and the mailing is launched, for a worker to send when one starts
    mailing = Mailing.objects.get()
    assert mailing.status == Mailing.Status.SENDING
    assert len(mail.outbox) == 0
