"""Periodic work without Celery beat: the beat schedule (``hostnotify.celery``) run by
``manage.py run_periodic`` — once from cron, or in a loop as the embedded default's scheduler.

Each job has a row (``PeriodicRun``): a runner takes its lease in a transaction that locks the
row (on SQLite, an immediate transaction), runs it only when its schedule says it is due since
its last run, and records the run. So a job runs once per due time even when two runners start
together (cron overlapping the demo's scheduler, two machines)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket

from celery.schedules import BaseSchedule, schedule
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.mailings.models import PeriodicRun

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)  # a runner that died while running a job leaves it for this long


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _entries() -> dict[str, dict]:
    from hostnotify.celery import app

    return dict(app.conf.beat_schedule)


def _is_due(every, last_run_at: dt.datetime | None) -> bool:
    """Due when it never ran, or when its schedule (seconds, or a crontab) has come round since."""
    if last_run_at is None:
        return True
    if not isinstance(every, BaseSchedule):
        every = schedule(every if isinstance(every, dt.timedelta) else dt.timedelta(seconds=float(every)))
    return bool(every.is_due(last_run_at).is_due)


def _take(name: str, every, now: dt.datetime, holder: str) -> bool:
    with contextlib.suppress(IntegrityError):  # created by another runner just now
        PeriodicRun.objects.get_or_create(name=name)
    with transaction.atomic():
        run = PeriodicRun.objects.select_for_update().get(name=name)
        if run.lease_until is not None and run.lease_until > now:
            return False
        if not _is_due(every, run.last_run_at):
            return False
        run.holder, run.lease_until = holder, now + LEASE
        run.save(update_fields=["holder", "lease_until"])
    return True


def periodic_run_due(*, now: dt.datetime | None = None, holder: str | None = None) -> dict[str, object]:
    """Run every job of the beat schedule that is due and that no other runner holds; returns
    each job run with its result (or the error it raised)."""
    from hostnotify.celery import app

    app.loader.import_default_modules()  # the tasks modules, as a worker would load them
    holder = holder or runner_name()
    results: dict[str, object] = {}
    for name, entry in _entries().items():
        started = now or timezone.now()
        if not _take(name, entry["schedule"], started, holder):
            continue
        try:
            result = app.tasks[entry["task"]]()  # in this process, as beat's worker would
        except Exception as exc:
            log.exception("periodic job %s failed", name)
            result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        results[name] = result
        PeriodicRun.objects.filter(name=name, holder=holder).update(
            last_run_at=started,
            lease_until=None,
            last_result=result if isinstance(result, dict) else {"result": result},
        )
    return results
