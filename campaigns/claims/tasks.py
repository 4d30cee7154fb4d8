"""Telling the customer how their claim was answered: the id only, safe to run twice (at worst a
second identical mail; the answer itself is stored once)."""

from celery import shared_task

from campaigns.claims.mail import claim_answer_send


@shared_task(acks_late=True, max_retries=5, default_retry_delay=60, autoretry_for=(OSError,))
def send_claim_answer(claim_id: int) -> bool:
    return claim_answer_send(claim_id=claim_id)
