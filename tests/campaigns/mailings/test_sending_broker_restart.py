"""As deployed, with Redis that restarts empty mid-mailing (its own redis-server, no persistence):
the queued batches are gone with it, and the heartbeat (Celery beat's sweep) queues them again —
sending resumes within a minute, nothing is lost, nobody gets a letter twice.

Runtime: about 100 s (setup included) on the shared 2-core machine at load 11."""

import socket
import subprocess
import time

import pytest

from campaigns.mailings import services
from campaigns.models import Delivery, Mailing
from tests.campaigns.mailings.loopback import Inbox, Processes, smtp_listener, wait_for
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

RECIPIENTS = 1000


class RedisServer:
    """A redis-server of this test's own on a loopback port the OS chose, without persistence."""

    def __init__(self, workdir):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def test_redis_restarting_empty_mid_mailing_resumes_within_a_minute(transactional_db, own_redis, tmp_path):
    inbox = Inbox(delay=0.004)
    listener = smtp_listener(inbox)
    env = {"REDIS_URL": own_redis.url, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(listener.port)}  # fmt: skip
    processes = Processes(tmp_path, env)
    try:
        incident = IncidentFactory()
        customers = AffectedCustomerFactory.create_batch(RECIPIENTS, incident=incident)
        mailing = services.mailing_approve(mailing=MailingFactory(incident=incident, batch_size=200), by=None)
        processes.beat()
        processes.worker("worker")
        processes.manage("send_mailing", str(mailing.pk))  # the operator launches it
        wait_for(lambda: sum(inbox.counts().values()) >= RECIPIENTS // 4, 180, "a quarter of the letters")

        own_redis.kill()  # the queued batches go with it
        time.sleep(2)
        own_redis.start()  # empty
        restarted = time.monotonic()
        received_at_restart = sum(inbox.counts().values())
        # The batch being sent when Redis went away finishes; then nothing is queued any more.
        wait_for(lambda: sum(inbox.counts().values()) > received_at_restart + 200, 60, "sending to resume")
        resumed_after = time.monotonic() - restarted
        wait_for(lambda: Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE, 240, "the mailing")
    finally:
        processes.stop()
        listener.stop()

    print(f"Redis restarted empty: sending resumed {resumed_after:.0f} s later")
    assert resumed_after <= 60
    assert inbox.counts() == {f"{c.customer.number.lower()}@kunde.example.ch": 1 for c in customers}
    assert Delivery.objects.filter(mailing=mailing, status="sent").count() == RECIPIENTS
