"""Celery tasks of the sending engine: thin, ids only, acknowledged late, safe to run twice."""

from celery import shared_task

from campaigns.mailings.recovery import mailing_batch_process, mailing_finish_if_complete, mailings_sweep


@shared_task(name="campaigns.mailings.tasks.send_batch", acks_late=True, ignore_result=True)
def send_batch(mailing_id: int, batch: int) -> dict:
    result = mailing_batch_process(mailing_id=mailing_id, batch=batch)
    return {
        "claimed": result.claimed,
        "sent": result.sent,
        "failed": result.failed,
        "deferred": result.deferred,
        "in_doubt": result.in_doubt,
    }


@shared_task(name="campaigns.mailings.tasks.sweep_mailings", acks_late=True, ignore_result=True)
def sweep_mailings() -> dict:
    return mailings_sweep()


@shared_task(name="campaigns.mailings.tasks.finish_mailing", acks_late=True, ignore_result=True)
def finish_mailing(mailing_id: int) -> bool:
    return mailing_finish_if_complete(mailing_id=mailing_id)
