"""Periodic voucher expiry (Celery beat, daily): thin, idempotent, safe to run twice."""

from celery import shared_task

from campaigns.compensation.release import vouchers_expire_due


@shared_task(name="campaigns.finance.tasks.expire_vouchers", acks_late=True)
def expire_vouchers() -> dict:
    result = vouchers_expire_due()
    return {"vouchers": result.vouchers, "amounts": {c: str(a) for c, a in result.amounts.items()}}


@shared_task(name="campaigns.finance.tasks.send_expiry_reminders", acks_late=True)
def send_expiry_reminders() -> dict:
    from campaigns.finance.reminders import voucher_reminders_send

    result = voucher_reminders_send()
    return {"vouchers": result.vouchers, "mailings": result.mailings, "held": result.held}
