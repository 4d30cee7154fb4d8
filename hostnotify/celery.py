"""The Celery app: JSON only, explicit time limits, separate queues for sending and PDFs."""

import os
import sys

from celery import Celery, signals
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")

app = Celery("hostnotify")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=300,
    task_soft_time_limit=240,
    task_default_queue="default",
    task_queues=(Queue("default"), Queue("send"), Queue("pdf")),
    task_routes={
        # The heartbeat must not wait behind a long queue of batches.
        "campaigns.mailings.tasks.sweep_mailings": {"queue": "default"},
        "campaigns.mailings.tasks.*": {"queue": "send"},
        "campaigns.compensation.tasks.*": {"queue": "pdf"},
        "campaigns.portal.tasks.*": {"queue": "pdf"},
    },
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    # Celery's Django fixup closes the database connection around every task unless this is
    # set: a new PostgreSQL backend per batch (connect, then cold catalog caches for the first
    # query). Workers keep their connection instead and recycle it as Django does for requests
    # (below: CONN_MAX_AGE, CONN_HEALTH_CHECKS, and after errors).
    CELERY_DB_REUSE_MAX=1000,
)
# Each pipeline step keeps its tasks in its own tasks.py.
app.autodiscover_tasks()
app.autodiscover_tasks(
    [
        "campaigns.compensation",
        "campaigns.mailings",
        "campaigns.finance",
        "campaigns.api",
        "campaigns.offers",
        "campaigns.claims",
        "campaigns.portal",
    ]
)


@signals.celeryd_init.connect
@signals.beat_init.connect
def _refuse_unsafe_secrets(sender=None, **kwargs) -> None:
    """Fail closed like the web application (``hostnotify.checks``): with DEBUG off a worker or
    beat on a secret anyone can know stops before it takes or sends a task (``celeryd_init`` is a
    worker's first step; ``beat_init`` comes once beat's scheduler is set up, before its first
    tick). Celery logs and swallows an exception from a signal handler, so this leaves with
    SystemExit."""
    from django.core.exceptions import ImproperlyConfigured

    from hostnotify.checks import refuse_unsafe_secrets

    try:
        refuse_unsafe_secrets()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"hostnotify: refusing to start: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(1) from exc


@signals.task_prerun.connect
@signals.task_postrun.connect
def _recycle_database_connections(sender=None, **kwargs) -> None:
    """What Django does around a request: drop connections that broke or outlived CONN_MAX_AGE.
    Not for eager tasks, which run inside the caller's connection and transaction."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


_long_lived_frozen = False


@signals.task_postrun.connect
def _freeze_long_lived_objects(sender=None, **kwargs) -> None:
    """After a worker process's first task, what it has loaded (Django, the modules, compiled
    letter templates, the cached mailing) lives as long as the process: ``gc.freeze`` takes it out
    of the garbage collector's full collections, which otherwise walk it again and again while a
    batch builds its messages (measured on a batch of 500 letters with PDFs: the collector's time
    from 0.1–0.5 ms down to 0.03–0.2 ms per message). Not for eager tasks (the web process)."""
    global _long_lived_frozen
    if _long_lived_frozen or sender is None or getattr(sender.request, "is_eager", False):
        return
    import gc

    _long_lived_frozen = True
    gc.collect()
    gc.freeze()


# Periodic tasks. The DatabaseScheduler of django-celery-beat copies these entries into its
# PeriodicTask table when beat starts, so they show in the admin and can be paused there.
app.conf.beat_schedule = {
    # The sending heartbeat: scheduled mailings, delayed retries, claims of dead workers and
    # batches that lost their task (a worker killed, Redis restarted empty) — within a minute.
    "sweep-mailings": {"task": "campaigns.mailings.tasks.sweep_mailings", "schedule": 15.0},
    # 00:20 UTC is after midnight in Europe/Zurich all year: yesterday's vouchers are past their date.
    "expire-vouchers": {"task": "campaigns.finance.tasks.expire_vouchers", "schedule": crontab(hour=0, minute=20)},
    # Reminders in the morning, local office hours (VOUCHER_REMINDER_DAYS before expiry; 0 = off).
    "voucher-expiry-reminders": {
        "task": "campaigns.finance.tasks.send_expiry_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    # The portal's outage timelines of incidents whose exposure changed, drawn before the
    # customers a mailing sends there arrive (a first visit would otherwise wait for vl-convert).
    "draw-portal-timelines": {"task": "campaigns.portal.tasks.draw_portal_timelines", "schedule": 60.0},
    # Answers to Idempotency-Keys older than API_IDEMPOTENCY_DAYS.
    "purge-idempotency-answers": {
        "task": "campaigns.api.tasks.purge_idempotency_answers",
        "schedule": crontab(minute=5),
    },
}


def queue_consumed(queue: str, timeout: float = 1.0) -> bool:
    """Whether a Celery worker consumes ``queue`` right now (with eager tasks: this process does)."""
    if app.conf.task_always_eager:
        return True
    try:
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception:  # broker unreachable: nobody can take the work
        return False
    return any(entry.get("name") == queue for queues in replies.values() for entry in queues or ())
