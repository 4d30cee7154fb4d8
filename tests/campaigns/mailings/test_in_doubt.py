"""After a worker dies: only the hand-over in flight is in doubt, the rest of its claim is pending
again; in-doubt deliveries keep the mailing open, are listed in the console with their
recipients, and staff decide them (mark sent, send again) with an audit entry."""

import datetime as dt
import subprocess
import sys
import time

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.audit.models import AuditEntry
from campaigns.mailings import liveness, services
from campaigns.mailings.claims import claim_batch
from campaigns.mailings.in_doubt import deliveries_resolve
from campaigns.mailings.recovery import deliveries_reconcile, mailings_sweep, queue_pending_batches
from campaigns.mailings.sending import batch_send, cached_mailing
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory


@pytest.fixture
def sending_mailing(db):
    """A launched mailing of 5 recipients in one batch whose worker claimed the batch and died."""
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(5, incident=incident)
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=5), by=None)
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    services._snapshot_deliveries(mailing, timezone.now())
    claimed, _ = claim_batch(cached_mailing(mailing.pk), 0, timezone.now() - dt.timedelta(minutes=20))
    assert len(claimed) == 5
    return Mailing.objects.get(pk=mailing.pk)


@pytest.fixture
def no_broker(settings):
    """The embedded default: no Redis, tasks in the process that queues them."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not liveness.cache_is_shared()


@pytest.fixture
def ended_owner():
    """The owner id of a worker that is gone: a database session that has ended (PostgreSQL), or a
    process that has exited (elsewhere)."""
    if connection.vendor == "postgresql":
        import psycopg

        from tests.campaigns.mailings.loopback import database_url

        with psycopg.connect(database_url()) as session:
            pid = session.execute("SELECT pg_backend_pid()").fetchone()[0]
        deadline = time.monotonic() + 10
        with connection.cursor() as cursor:  # the server ends the backend just after the client left
            while time.monotonic() < deadline:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # read anew inside the test's transaction
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if not cursor.fetchone()[0]:
                    return pid
                time.sleep(0.05)
        raise AssertionError("the ended session's backend did not go away")
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(process.stdout)


def statuses(mailing):
    return list(Delivery.objects.filter(mailing=mailing).order_by("pk").values_list("status", "attempts"))


def test_a_dead_claim_leaves_its_first_message_in_doubt_and_the_rest_pending(sending_mailing):
    outcome = deliveries_reconcile(mailing=sending_mailing)  # older than the lease: no task runs it

    assert outcome == {"unknown": 1, "pending": 4, "sent": 0}
    assert statuses(sending_mailing) == [("unknown", 1)] + [("pending", 0)] * 4  # untried: attempt given back
    event = DeliveryEvent.objects.get()
    assert (event.event_type, event.delivery.status) == ("in_doubt", "unknown")


def test_with_esp_batch_calls_one_call_is_in_doubt(sending_mailing, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": 2}
    assert deliveries_reconcile(mailing=sending_mailing) == {"unknown": 2, "pending": 3, "sent": 0}


def test_a_claim_whose_worker_lives_is_left_to_it(sending_mailing):
    Delivery.objects.update(updated_at=timezone.now())  # within the lease, claimed by this live session
    assert deliveries_reconcile(mailing=sending_mailing) == {"unknown": 0, "pending": 0, "sent": 0}
    assert {s for s, _ in statuses(sending_mailing)} == {"sending"}


def test_a_claim_whose_worker_is_gone_is_taken_over_at_once_without_a_broker(sending_mailing, ended_owner, no_broker):
    Delivery.objects.update(updated_at=timezone.now(), claimed_by=ended_owner)  # well within the lease

    assert deliveries_reconcile(mailing=sending_mailing) == {"unknown": 1, "pending": 4, "sent": 0}
    assert statuses(sending_mailing) == [("unknown", 1)] + [("pending", 0)] * 4


def test_pending_batches_of_a_gone_process_are_queued_again_at_once(sending_mailing, ended_owner, no_broker):
    now = timezone.now()
    Delivery.objects.update(status="pending", next_attempt_at=None, updated_at=now)  # this session's
    assert queue_pending_batches(sending_mailing.pk, only_unattended=True) == []

    Delivery.objects.update(claimed_by=ended_owner)
    assert queue_pending_batches(sending_mailing.pk, only_unattended=True) == [0]


def test_the_mailing_is_not_done_while_one_is_in_doubt(sending_mailing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    assert [s for s, _ in statuses(sending_mailing)] == ["unknown", "sent", "sent", "sent", "sent"]
    assert Mailing.objects.get(pk=sending_mailing.pk).status == Mailing.Status.SENDING
    assert len(mail.outbox) == 4


def test_marking_sent_closes_the_mailing_and_is_audited(
    sending_mailing, support_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    doubt = Delivery.objects.get(status="unknown")

    assert deliveries_resolve(mailing=sending_mailing, by=support_user, decision="sent") == 1

    doubt.refresh_from_db()
    assert (doubt.status, doubt.message_id) == ("sent", f"<hn.{sending_mailing.pk}.{doubt.pk}.1@hostnotify.invalid>")
    assert Mailing.objects.get(pk=sending_mailing.pk).status == Mailing.Status.DONE
    entry = AuditEntry.objects.get(action="mailing.in_doubt.mark_sent")
    assert (entry.actor, entry.data) == (support_user, {"count": 1, "deliveries": [doubt.pk], "emails": [doubt.email]})
    assert len(mail.outbox) == 4  # nothing sent twice


def test_the_console_lists_them_and_sending_again_is_audited(
    sending_mailing, client, support_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    doubt = Delivery.objects.select_related("customer").get(status="unknown")
    client.force_login(support_user)
    detail = client.get(reverse("console:mailing", args=[sending_mailing.pk])).content.decode()
    assert (
        "1 delivery is in doubt: it was being handed over when a worker stopped or the connection was lost." in detail
    )

    page = client.get(reverse("console:mailing_in_doubt", args=[sending_mailing.pk])).content.decode()
    assert page.count('<tr class="in-doubt">') == 1
    assert doubt.email in page and doubt.customer.number in page
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:mailing_in_doubt", args=[sending_mailing.pk]),
            {"decision": "resend", "delivery": [doubt.pk]},
        )

    assert response.status_code == 302
    assert [m.to[0] for m in mail.outbox] == [doubt.email]
    doubt.refresh_from_db()
    assert (doubt.status, doubt.attempts) == ("sent", 2)
    assert Mailing.objects.get(pk=sending_mailing.pk).status == Mailing.Status.DONE
    entry = AuditEntry.objects.get(action="mailing.in_doubt.resend")
    assert (entry.actor, entry.data["emails"]) == (support_user, [doubt.email])
    # the page keeps who sent whom a possible second letter
    page = client.get(reverse("console:mailing_in_doubt", args=[sending_mailing.pk])).content.decode()
    assert page.count('<tr class="in-doubt">') == 0
    decided = page[page.index('id="in-doubt-decisions"') :]
    assert support_user.get_username() in decided
    assert "sent again (may have received it twice)" in decided
    assert f'<td class="decided-recipients">{doubt.email}</td>' in decided


def test_a_stalled_mailing_says_so(sending_mailing, client, support_user):
    Delivery.objects.filter(status="sending").update(
        status="pending", updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    client.force_login(support_user)
    page = client.get(reverse("console:mailing", args=[sending_mailing.pk])).content.decode()
    assert "Sending has stalled: 5 deliveries are due but nothing was recorded for 5 min." in page


@pytest.mark.parametrize(("language", "text"), [
    ("de", "Die Versandkontrolle lief zuletzt um 24.12.2026 10:30."),
    ("fr", "24.12.2026 10:30"),
    ("it", "24.12.2026 10:30"),
])  # fmt: skip
def test_a_stalled_mailing_dates_the_heartbeat_in_the_readers_swiss_format(
    sending_mailing, client, support_user, language, text
):
    # given: a stalled mailing whose heartbeat last ran at 09:30 UTC (10:30 in Zurich)
    from django.core.cache import cache

    from campaigns.mailings.recovery import SWEEP_KEY

    Delivery.objects.filter(status="sending").update(
        status="pending", updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    cache.set(SWEEP_KEY, dt.datetime(2026, 12, 24, 9, 30, 15, tzinfo=dt.UTC).isoformat(), timeout=None)
    client.force_login(support_user)
    client.cookies["django_language"] = language

    # when
    try:
        page = client.get(reverse("console:mailing", args=[sending_mailing.pk])).content.decode()
    finally:
        cache.delete(SWEEP_KEY)

    # then: the date as every other date of the console, not 2026-12-24 10:30:15
    assert text in page
    assert "2026-12-24" not in page


def test_a_sender_whose_claim_was_taken_over_hands_nothing_more_over(db, settings):
    settings.EMAIL_BACKEND = "tests.campaigns.mailings.mailbackends.TakenOverBackend"
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(5, incident=incident)
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=5), by=None)
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    services._snapshot_deliveries(mailing, timezone.now())

    result = batch_send(mailing_id=mailing.pk, batch=0)

    assert len(mail.outbox) == 1  # the one in flight, not the four the sweep now owns
    assert (result.claimed, result.sent) == (5, 0)
    assert set(Delivery.objects.filter(mailing=mailing).values_list("status", flat=True)) == {"pending"}


def test_sending_one_again_from_the_log_is_an_in_doubt_decision(
    sending_mailing, support_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mailings_sweep()
    doubt = Delivery.objects.get(status="unknown")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_resend(delivery=doubt, by=support_user)

    assert [m.to[0] for m in mail.outbox] == [doubt.email]
    entry = AuditEntry.objects.get(action="mailing.in_doubt.resend")  # listed on the in-doubt page
    assert (entry.actor, entry.data["emails"]) == (support_user, [doubt.email])
    assert not AuditEntry.objects.filter(action="mailing.resend").exists()
