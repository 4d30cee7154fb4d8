"""run_periodic: the beat schedule without beat. A scheduled mailing is launched and sent, and two
runners started at the same moment run each due job exactly once between them.

Runtime: the two-runner test about 20 s at load 10 (two Django processes starting); the others
a second or two."""

import datetime as dt
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from campaigns.mailings import services
from campaigns.mailings.models import PeriodicRun
from campaigns.models import Delivery, Mailing
from hostnotify.celery import app
from tests.campaigns.mailings.loopback import database_url
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory

JOBS = sorted(app.conf.beat_schedule)


def test_a_scheduled_mailing_goes_out_when_its_time_has_come(db, capsys, django_capture_on_commit_callbacks):
    incident = IncidentFactory()
    AffectedCustomerFactory.create_batch(3, incident=incident)
    mailing = services.mailing_approve(
        mailing=MailingFactory(incident=incident, scheduled_at=timezone.now() + dt.timedelta(hours=1)), by=None
    )
    services.mailing_launch(mailing=mailing, by=None)
    call_command("run_periodic")
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.SCHEDULED

    Mailing.objects.filter(pk=mailing.pk).update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))
    PeriodicRun.objects.update(last_run_at=timezone.now() - dt.timedelta(minutes=1))  # time passes
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_periodic")

    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.DONE
    assert sorted(m.to[0] for m in mail.outbox) == [f"k{i:06d}@kunde.example.ch" for i in range(3)]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert "sweep-mailings: {'launched': 1" in capsys.readouterr().out


def test_a_job_that_ran_is_not_due_again_at_once(db):
    call_command("run_periodic")
    runs = dict(PeriodicRun.objects.values_list("name", "last_run_at"))
    assert sorted(runs) == JOBS

    call_command("run_periodic")

    assert dict(PeriodicRun.objects.values_list("name", "last_run_at")) == runs


@pytest.mark.postgres
@pytest.mark.slow
def test_two_runners_at_once_run_each_job_once(transactional_db):
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONPATH": str(settings.BASE_DIR), "DEBUG": "0",
           "SECRET_KEY": secrets.token_urlsafe(50), "ANYMAIL_WEBHOOK_SECRET": f"hooks:{secrets.token_urlsafe(24)}"}  # fmt: skip
    command = [sys.executable, "manage.py", "run_periodic"]
    runners = [
        subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=120)[0] for runner in runners]

    assert [runner.returncode for runner in runners] == [0, 0]
    ran = sorted(line.split(":")[0] for output in outputs for line in output.splitlines())
    assert ran == JOBS  # each job once between the two
