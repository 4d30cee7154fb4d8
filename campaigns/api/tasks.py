"""Periodic work of the API (Celery beat, hourly): thin, idempotent, safe to run twice."""

from celery import shared_task

from campaigns.api.idempotency import idempotent_requests_purge


@shared_task(name="campaigns.api.tasks.purge_idempotency_answers", acks_late=True)
def purge_idempotency_answers() -> dict:
    return {"forgotten": idempotent_requests_purge()}
