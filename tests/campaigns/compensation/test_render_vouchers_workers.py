"""render_vouchers with real Celery workers on the pdf queue: the batches are theirs, every PDF
is stored once, and the command reports the rate."""

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from campaigns.models import Voucher
from tests.campaigns.mailings.loopback import database_url, production_secrets
from tests.factories import CompensationFactory, ExposureFactory, IncidentFactory, VoucherFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def pdf_workers(tmp_path, redis_url, settings):
    import redis

    from hostnotify.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    app.conf.task_always_eager = False
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(BASE_DIR),
        **production_secrets(),
    }
    processes = [_start_worker(number, env, tmp_path) for number in range(2)]
    deadline = 60
    while len(app.control.ping(timeout=1.0) or []) < 2 and deadline:
        deadline -= 1
    yield processes
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)
    app.conf.task_always_eager = True


def test_workers_render_the_batches(transactional_db, pdf_workers):
    incident = IncidentFactory(slug="xmas-2005")
    for number in range(250):  # two batches of 200 ids at most: both workers get work
        compensation = CompensationFactory(incident=incident, customer__name=f"Kundin {number}")
        ExposureFactory(incident=incident, customer=compensation.customer, account__customer=compensation.customer)
        VoucherFactory(compensation=compensation)
    out, err = io.StringIO(), io.StringIO()

    call_command("render_vouchers", "xmas-2005", "--timeout", "120", stdout=out, stderr=err)

    assert "xmas-2005: 250 voucher PDFs to render on the pdf workers" in out.getvalue()
    assert "250 voucher PDFs in " in out.getvalue()
    vouchers = list(Voucher.objects.select_related("customer"))
    assert all(voucher.pdf.name for voucher in vouchers)
    sample = vouchers[123]
    with sample.pdf.open("rb") as handle:
        assert sample.customer.name in pypdf.PdfReader(handle).pages[0].extract_text()


def _start_worker(number: int, env: dict, tmp_path: Path) -> subprocess.Popen:
    log = open(tmp_path / f"pdf{number}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hostnotify", "worker", "-P", "solo", "-Q", "pdf",
         "-n", f"pdf{number}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
