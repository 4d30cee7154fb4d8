"""As deployed: Celery workers on Redis and PostgreSQL send 3,000 letters, with Celery beat as the
heartbeat; the worker is SIGKILLed twice mid-mailing and another started.

Through Django's SMTP backend to a real SMTP listener on loopback, counted at the listener: nobody
without a letter, and a letter twice only to a recipient the console showed as in doubt before
staff sent it again. Through anymail's Postmark backend to a loopback Postmark API: the shipped
Postmark reconciler asks the API's message search, and everybody has exactly one letter.

Runtime (each test, on the 2-core machine shared with other work at load 13): about 190 s —
mostly one solo worker rendering 3,000 letters, three worker starts, and the heartbeat's 15 s
ticks. Timeouts are generous so that a busy machine slows a passing test without failing it."""

import re

import factory
import pytest
from django.urls import reverse

from campaigns.mailings import services
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.campaigns.mailings.loopback import Inbox, Processes, kill, smtp_listener, wait_for
from tests.campaigns.mailings.postmark_server import TOKEN, PostmarkServer
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

RECIPIENTS = int(__import__("os").environ.get("CRASH_RECIPIENTS", "3000"))


@pytest.fixture
def celery_on_redis(redis_url):
    """This process publishes to Redis instead of running tasks eagerly; the queue starts empty."""
    import redis

    from hostnotify.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.fixture
def inbox():
    inbox = Inbox(delay=0.004)  # a few milliseconds per message, like a real server
    controller = smtp_listener(inbox)
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def processes(tmp_path, redis_url, inbox):
    env = {"REDIS_URL": redis_url, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(inbox.port)}  # fmt: skip
    processes = Processes(tmp_path, env)
    yield processes
    processes.stop()


@pytest.fixture(params=[0, 50], ids=["one-call-per-message", "batch-calls-of-50"])
def postmark(request, tmp_path, redis_url):
    """Postmark on loopback; the workers hand over one message per API call, or (as deployed with
    ``MAIL_MERGE_BATCH_SIZE``) 50 complete messages per ``/email/batch`` call."""
    with PostmarkServer(delay=0.004) as server:
        env = {"REDIS_URL": redis_url, "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
               "ANYMAIL_POSTMARK_SERVER_TOKEN": TOKEN, "ANYMAIL_POSTMARK_API_URL": server.url,
               "MAIL_MERGE_BATCH_SIZE": str(request.param)}  # fmt: skip
        server.call_size = max(1, request.param)
        server.processes = Processes(tmp_path, env)
        yield server
        server.processes.stop()


def launch_and_kill_twice(processes, counts, mailing) -> None:
    processes.beat()
    worker = processes.worker("first")
    services.mailing_launch(mailing=mailing, by=None)  # autocommit: tasks published at once
    for kill_at, name in ((RECIPIENTS * 2 // 7, "second"), (RECIPIENTS * 9 // 14, "third")):
        wait_for(lambda n=kill_at: sum(counts().values()) >= n, 240, f"{kill_at} letters at the receiving end")
        kill(worker)
        worker = processes.worker(name)


def test_worker_killed_twice_loses_nothing_and_doubles_only_what_was_shown_in_doubt(
    transactional_db, celery_on_redis, inbox, processes, client, django_user_model
):
    incident = IncidentFactory()
    customers = AffectedCustomerFactory.create_batch(
        RECIPIENTS, incident=incident, language=factory.Iterator(("de", "fr", "it", "en"))
    )
    expected = {f"{c.customer.number.lower()}@kunde.example.ch" for c in customers}
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=200), by=None)
    rows = Delivery.objects.filter(mailing=mailing)
    launch_and_kill_twice(processes, inbox.counts, mailing)

    # The heartbeat finds the dead claims: everything is decided but what was in flight.
    wait_for(lambda: not rows.filter(status__in=["pending", "sending"]).exists(), 240, "the mailing to settle")
    received = inbox.counts()
    assert max(received.values()) == 1  # nothing doubled so far
    in_doubt = set(rows.filter(status="unknown").values_list("email", flat=True))
    assert len(in_doubt) <= 2  # at most one message per SMTP connection per kill, never a batch
    status = Mailing.objects.get(pk=mailing.pk).status
    assert status == (Mailing.Status.SENDING if in_doubt else Mailing.Status.DONE)  # not done while in doubt
    assert expected - set(received) <= in_doubt  # whoever has no letter is in doubt

    staff = django_user_model.objects.create_user("operator", "op@example.ch", "pw-operator-1", is_staff=True)
    staff.groups.create(name="support")
    client.force_login(staff)
    page = client.get(reverse("console:mailing_in_doubt", args=[mailing.pk])).content.decode()
    shown = set(re.findall(r'<td class="recipient">([^<]+)<br>', page))
    assert shown == in_doubt
    if in_doubt:
        client.post(reverse("console:mailing_in_doubt", args=[mailing.pk]), {"decision": "resend", "all": "1"})
    wait_for(lambda: Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE, 120, "the mailing to finish")

    received = inbox.counts()
    doubled = {address for address, count in received.items() if count > 1}
    print(f"{RECIPIENTS} recipients, 2 kills: {len(in_doubt)} in doubt, {len(doubled)} received twice")
    assert set(received) == expected  # 0 missing, nobody else
    assert doubled <= shown  # every duplicate was shown as in doubt first
    assert max(received.values()) <= 2
    assert rows.filter(status="sent").count() == RECIPIENTS


def test_postmark_worker_killed_twice_every_letter_exactly_once(transactional_db, celery_on_redis, postmark):
    incident = IncidentFactory()
    customers = AffectedCustomerFactory.create_batch(
        RECIPIENTS, incident=incident, language=factory.Iterator(("de", "fr", "it", "en"))
    )
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=200), by=None)
    rows = Delivery.objects.filter(mailing=mailing)

    launch_and_kill_twice(postmark.processes, postmark.counts, mailing)
    wait_for(lambda: Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE, 300, "the mailing to finish")

    received = postmark.counts()
    assert received == {f"{c.customer.number.lower()}@kunde.example.ch": 1 for c in customers}  # 0 missing, 0 doubled
    assert rows.filter(status="sent").count() == RECIPIENTS
    asked = DeliveryEvent.objects.filter(event_type="reconciled").count()
    print(f"{RECIPIENTS} recipients through Postmark, 2 kills: {asked} in doubt, decided by the message search")
    assert asked <= 2 * postmark.call_size and postmark.searches == asked  # at most one API call per kill
    if postmark.call_size > 1:
        assert postmark.batches and max(postmark.batches) <= postmark.call_size
