"""A real Celery worker on Redis sends a 1,000-recipient mailing; SIGKILL mid-mailing, another
worker, resume: every contact has exactly one message at the receiving end."""

import datetime as dt
import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from campaigns.mailings import services as services
from campaigns.models import Delivery, Mailing
from tests.factories import IncidentFactory, MailingFactory, exposed_customers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(django_settings.BASE_DIR)


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


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
def workers(tmp_path, redis_url):
    started = []

    def start(name: str, *, delay: str = "0") -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "tests.campaigns.mailings.mailbackends.MessageIdFileBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "received"),
            "TEST_SEND_DELAY": delay,
            "PYTHONPATH": str(BASE_DIR),
        }
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hostnotify", "worker", "-P", "solo", "-Q", "send,default",
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def received(directory: Path) -> list[str]:
    return [email.message_from_bytes(path.read_bytes())["To"] for path in directory.glob("*.eml")]


def test_killed_worker_mid_mailing_neither_duplicates_nor_skips(
    transactional_db, celery_on_redis, workers, tmp_path, settings
):
    settings.EMAIL_FILE_PATH = tmp_path / "received"  # the reconcile reads the receiving end
    settings.HOSTNOTIFY = {
        **settings.HOSTNOTIFY,
        "MAIL_RECONCILER": "tests.campaigns.mailings.mailbackends.file_reconciler",
    }
    incident = IncidentFactory()
    customers = exposed_customers(incident, 1000, languages=("de", "fr", "it", "en"))
    mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=50), by=None)
    rows = Delivery.objects.filter(mailing=mailing)

    first = workers("first", delay="0.004")
    services.mailing_launch(mailing=mailing, by=None)  # autocommit: tasks published at once
    inbox = tmp_path / "received"

    def mid_batch():  # handed over, not yet recorded: the worst moment to die
        sent = rows.filter(status="sent").count()
        return sent >= 300 and len(list(inbox.glob("*.eml"))) - sent >= 10

    wait_for(mid_batch, 40, "the first worker to be in the middle of a batch")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    stranded = rows.filter(status="sending").count()
    handed_over = len(received(inbox)) - rows.filter(status="sent").count()
    assert 10 <= handed_over < stranded
    print(f"killed with {stranded} deliveries in 'sending', {handed_over} of them already received")
    # No worker is alive, so every "sending" row is abandoned: reconcile them all now.
    services.mailing_resume(mailing=mailing, by=None, stale_after=dt.timedelta(0))
    assert not rows.filter(status__in=["sending", "unknown"]).exists()

    workers("second")
    wait_for(lambda: Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE, 40, "the mailing to finish")

    recipients = received(tmp_path / "received")
    expected = sorted(c.number.lower() + "@kunde.example.ch" for c in customers)
    assert sorted(recipients) == expected  # each contact exactly once, none missing
    assert rows.filter(status="sent").count() == 1000
    assert len(set(rows.values_list("message_id", flat=True))) == 1000
