"""Celery tasks of the sending engine: thin, ids only, acknowledged late, safe to run twice."""

from celery import shared_task

from campaigns.mailings.recovery import (
    deliveries_closed,
    mailing_finish_if_complete,
    mailings_sweep,
    requeue_retry,
)
from campaigns.mailings.sending import batch_send


@shared_task(name="campaigns.mailings.tasks.send_batch", acks_late=True, ignore_result=True)
def send_batch(mailing_id: int, batch: int) -> dict:
    result = batch_send(mailing_id=mailing_id, batch=batch)
    if result.retry_in is not None and not result.paused:
        requeue_retry(mailing_id, batch, result.retry_in)
    if result.claimed:
        deliveries_closed(mailing_id, result.sent + result.failed)
    else:  # a duplicate or late run: nothing left here, perhaps nothing left at all
        mailing_finish_if_complete(mailing_id=mailing_id)
    return {"claimed": result.claimed, "sent": result.sent, "failed": result.failed, "deferred": result.deferred}


@shared_task(name="campaigns.mailings.tasks.sweep_mailings", acks_late=True, ignore_result=True)
def sweep_mailings() -> dict:
    return mailings_sweep()


@shared_task(name="campaigns.mailings.tasks.finish_mailing", acks_late=True, ignore_result=True)
def finish_mailing(mailing_id: int) -> bool:
    return mailing_finish_if_complete(mailing_id=mailing_id)
