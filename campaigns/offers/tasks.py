"""Mails of the forms of compensation off the request, queued on commit, ids only."""

from celery import shared_task

from campaigns.offers.mail import pool_low_mail_send, redemption_mail_send


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def redemption_mail(redemption_id: int) -> int:
    return redemption_mail_send(redemption_id=redemption_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def pool_low_mail(pool_id: int) -> int:
    return pool_low_mail_send(pool_id=pool_id)
