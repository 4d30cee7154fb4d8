"""Mailing lifecycle and the sending engine, in-process (eager Celery, locmem mail)."""

import datetime as dt

import factory
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Contact
from campaigns.mailings import services as services
from campaigns.mailings.recovery import mailings_sweep
from campaigns.mailings.selectors import mailing_progress
from campaigns.mailings.sending import batch_send
from campaigns.models import Delivery, Mailing, SuppressedAddress
from tests.factories import (
    TEST_CONTENT,
    AffectedCustomerFactory,
    ContactFactory,
    IncidentFactory,
    MailingFactory,
)


@pytest.fixture
def incident(db):
    return IncidentFactory(title="Speicherausfall")


@pytest.fixture
def other_staff(db, django_user_model):
    return django_user_model.objects.create_user("reviewer", "r@example.ch", "pw-review-1", is_staff=True)


def approved(mailing, by):
    return services.mailing_approve(mailing=mailing, by=by)


def test_create_default_apology_is_a_draft_for_primary_contacts(incident, support_user, monkeypatch):
    monkeypatch.setattr("campaigns.mailings.letters.default_content", lambda: TEST_CONTENT)
    mailing = services.mailing_create_default(incident=incident, by=support_user)
    assert mailing.status == Mailing.Status.DRAFT
    assert mailing.kind == Mailing.Kind.APOLOGY
    assert mailing.contact_roles == ["primary"]
    assert mailing.content == TEST_CONTENT
    assert mailing.created_by == support_user


def test_author_cannot_approve_own_mailing(incident, support_user):
    mailing = MailingFactory(incident=incident, created_by=support_user)
    with pytest.raises(services.ApprovalRefused):
        services.mailing_approve(mailing=mailing, by=support_user)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT
    assert mailing.approved_by is None


def test_non_staff_cannot_approve(incident, support_user, django_user_model):
    mailing = MailingFactory(incident=incident, created_by=support_user)
    customer_user = django_user_model.objects.create_user("someone", "s@example.ch", "pw-some-1")
    with pytest.raises(services.ApprovalRefused):
        services.mailing_approve(mailing=mailing, by=customer_user)
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DRAFT


def test_second_staff_user_approves(incident, support_user, other_staff):
    mailing = approved(MailingFactory(incident=incident, created_by=support_user), other_staff)
    assert (mailing.status, mailing.approved_by) == (Mailing.Status.APPROVED, other_staff)


def test_launch_of_a_draft_is_refused(incident, support_user):
    mailing = MailingFactory(incident=incident)
    with pytest.raises(services.MailingStateError):
        services.mailing_launch(mailing=mailing, by=support_user)
    assert Delivery.objects.count() == 0


def test_launch_snapshots_audience_in_batches_and_sends_each_once(
    incident, support_user, django_capture_on_commit_callbacks
):
    customers = AffectedCustomerFactory.create_batch(
        120, incident=incident, language=factory.Iterator(("de", "fr", "it", "en"))
    )
    ContactFactory(customer=customers[0].customer, email="tech@kunde.example.ch", role="technical")
    SuppressedAddress.objects.create(email=customers[1].customer.contacts.get().email, reason="bounced")
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=50), by=None)

    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=support_user)

    mailing.refresh_from_db()
    deliveries = Delivery.objects.filter(mailing=mailing)
    assert deliveries.count() == 119  # primary contacts only, minus the suppressed one
    assert sorted(set(deliveries.values_list("batch", flat=True))) == [0, 1, 2]
    assert deliveries.filter(batch=2).count() == 19
    assert set(deliveries.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 119
    assert len({m.to[0] for m in mail.outbox}) == 119
    assert mailing.status == Mailing.Status.DONE
    by_language = {m.to[0]: m.subject[:4] for m in mail.outbox}
    assert by_language[customers[2].customer.contacts.get().email] == "[it]"
    message = mail.outbox[0]
    delivery = deliveries.get(email=message.to[0])
    assert message.extra_headers["Message-ID"] == f"<hn.{mailing.pk}.{delivery.pk}.1@hostnotify.invalid>"
    assert delivery.message_id == message.extra_headers["Message-ID"]
    assert message.alternatives[0][1] == "text/html"


def test_audience_filters_languages_and_roles(incident):
    AffectedCustomerFactory.create_batch(8, incident=incident, language=factory.Iterator(("de", "fr")))
    other = IncidentFactory()
    AffectedCustomerFactory.create_batch(3, incident=other, prefix="X")
    mailing = MailingFactory(incident=incident, audience={"languages": ["fr"]}, contact_roles=[])
    emails = set(services.audience_contacts(mailing).values_list("email", flat=True))
    assert emails == {f"k{i:06d}@kunde.example.ch" for i in (1, 3, 5, 7)}


def test_contact_language_overrides_customer_language(incident):
    customer = AffectedCustomerFactory(incident=incident, language="de").customer
    Contact.objects.filter(customer=customer).update(language="en")
    mailing = MailingFactory(incident=incident)
    assert list(services.audience_contacts(mailing).values_list("letter_language", flat=True)) == ["en"]


def test_batch_uses_at_most_three_queries_whatever_its_size(incident, monkeypatch, settings):
    """With ESP batch calls: a worker's first batch loads the mailing (then cached); on PostgreSQL
    the claim also reads the letters' data, so later batches need two statements (claim, record
    the call's answer), elsewhere three."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 500}
    steady = 2 if connection.vendor == "postgresql" else 3
    for size in (10, 100):
        AffectedCustomerFactory.create_batch(size, incident=incident, prefix=f"Q{size}-")
    for size in (10, 100):
        mailing = MailingFactory(
            incident=incident, batch_size=1000, audience={"servers": ["server19"]}, attach_voucher=False
        )
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.APPROVED)
        Delivery.objects.all().delete()
        services._snapshot_deliveries(mailing, timezone.now())
        Delivery.objects.exclude(email__startswith=f"q{size}-").delete()
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
        monkeypatch.setattr("campaigns.mailings.sending._MAILING_CACHE", {})  # a fresh worker process
        counts = []
        for _ in range(2):
            Delivery.objects.update(status="pending")
            with CaptureQueriesContext(connection) as queries:
                result = batch_send(mailing_id=mailing.pk, batch=0)
            assert result.sent == size
            counts.append(len(queries))
        assert counts == [steady + 1, steady], [q["sql"][:80] for q in queries]


def test_one_message_at_a_time_records_each_before_the_next(incident, monkeypatch):
    """SMTP-like backends: the claim (and the letters' data), then one UPDATE per message handed
    over, so a worker that dies leaves one message in doubt, not its batch."""
    read = 1 if connection.vendor == "postgresql" else 2
    AffectedCustomerFactory.create_batch(7, incident=incident, prefix="R-")
    mailing = MailingFactory(incident=incident, batch_size=1000, attach_voucher=False)
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.APPROVED)
    services._snapshot_deliveries(mailing, timezone.now())
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    batch_send(mailing_id=mailing.pk, batch=0)  # the mailing is cached from now on
    Delivery.objects.update(status="pending")

    with CaptureQueriesContext(connection) as queries:
        result = batch_send(mailing_id=mailing.pk, batch=0)

    assert result.sent == 7
    updates = [q["sql"] for q in queries][read:]
    assert len(updates) == 7
    assert all(sql.startswith(("UPDATE", 'UPDATE "campaigns_delivery"')) for sql in updates)


def test_pause_stops_claiming_and_resume_sends_the_rest_once(
    incident, support_user, django_capture_on_commit_callbacks
):
    AffectedCustomerFactory.create_batch(30, incident=incident)
    mailing = approved(MailingFactory(incident=incident, batch_size=10), None)
    services.mailing_launch(mailing=mailing, by=support_user)  # tasks not run: callbacks not executed
    batch_send(mailing_id=mailing.pk, batch=0)
    services.mailing_pause(mailing=mailing, by=support_user)

    assert batch_send(mailing_id=mailing.pk, batch=1).claimed == 0
    assert len(mail.outbox) == 10

    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_resume(mailing=mailing, by=support_user)
    mailing.refresh_from_db()
    assert len(mail.outbox) == 30
    assert len({m.to[0] for m in mail.outbox}) == 30
    assert mailing.status == Mailing.Status.DONE


def test_cancel_leaves_pending_unsent(incident, support_user):
    AffectedCustomerFactory.create_batch(20, incident=incident)
    mailing = approved(MailingFactory(incident=incident, batch_size=10), None)
    services.mailing_launch(mailing=mailing, by=support_user)
    services.mailing_cancel(mailing=mailing, by=support_user)
    assert batch_send(mailing_id=mailing.pk, batch=0).claimed == 0
    assert mail.outbox == []
    assert Delivery.objects.filter(status="pending").count() == 20
    with pytest.raises(services.MailingStateError):
        services.mailing_resume(mailing=mailing, by=support_user)


def test_retry_failed_touches_only_failed_never_those_in_doubt(
    incident, support_user, django_capture_on_commit_callbacks
):
    AffectedCustomerFactory.create_batch(6, incident=incident)
    mailing = approved(MailingFactory(incident=incident), None)
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=support_user)
    rows = list(Delivery.objects.order_by("pk"))
    Delivery.objects.filter(pk=rows[0].pk).update(status="failed", last_error="550")
    Delivery.objects.filter(pk=rows[1].pk).update(status="unknown")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        count = services.mailing_retry_failed(mailing=mailing, by=support_user)

    assert count == 1
    assert [m.to[0] for m in mail.outbox] == [rows[0].email]
    assert Delivery.objects.filter(status="sent").count() == 5
    assert Delivery.objects.get(pk=rows[1].pk).status == "unknown"
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.SENDING  # not done while one is in doubt


def test_resend_one_recipient_sends_a_new_message(incident, support_user, django_capture_on_commit_callbacks):
    AffectedCustomerFactory.create_batch(3, incident=incident)
    mailing = approved(MailingFactory(incident=incident), None)
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_launch(mailing=mailing, by=support_user)
    delivery = Delivery.objects.order_by("pk").first()
    first_id = Delivery.objects.get(pk=delivery.pk).message_id
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_resend(delivery=delivery, by=support_user)

    delivery.refresh_from_db()
    assert [m.to[0] for m in mail.outbox] == [delivery.email]
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert delivery.message_id != first_id


def test_clone_is_a_new_draft(incident, support_user, other_staff):
    source = approved(
        MailingFactory(incident=incident, audience={"languages": ["de"]}, created_by=support_user), other_staff
    )
    clone = services.mailing_clone(mailing=source, by=other_staff)
    assert (clone.status, clone.cloned_from, clone.created_by) == (Mailing.Status.DRAFT, source, other_staff)
    assert (clone.audience, clone.content) == (source.audience, source.content)


def test_scheduled_mailing_waits_for_the_sweep(incident, support_user, django_capture_on_commit_callbacks):
    AffectedCustomerFactory.create_batch(4, incident=incident)
    later = timezone.now() + dt.timedelta(hours=1)
    mailing = approved(MailingFactory(incident=incident, scheduled_at=later), None)
    services.mailing_launch(mailing=mailing, by=support_user)
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.SCHEDULED
    assert Delivery.objects.count() == 0

    mailings_sweep(now=timezone.now())
    assert Delivery.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        summary = mailings_sweep(now=later + dt.timedelta(seconds=1))
    assert summary["launched"] == 1
    assert len(mail.outbox) == 4


def test_progress_counts_in_one_query(incident, support_user, django_capture_on_commit_callbacks):
    AffectedCustomerFactory.create_batch(5, incident=incident)
    mailing = approved(MailingFactory(incident=incident, batch_size=2), None)
    services.mailing_launch(mailing=mailing, by=support_user)
    batch_send(mailing_id=mailing.pk, batch=0)
    Delivery.objects.filter(batch=1).update(status="failed")
    Delivery.objects.filter(batch=0).update(tracking="bounced")
    with CaptureQueriesContext(connection) as queries:
        progress = mailing_progress(mailing)
    assert len(queries) == 1
    assert (progress.total, progress.sent, progress.failed, progress.pending, progress.bounced) == (5, 2, 2, 1, 2)
