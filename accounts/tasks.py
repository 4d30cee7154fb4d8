"""Portal sign-in mails off the request: the answer to "send me a link" takes the same time
whether the address exists or not. Ids and addresses only; safe to run twice (a second link
only replaces nothing — both work until the contact signs in)."""

from celery import shared_task

from accounts.services.portal_mail import magic_link_send, password_reset_send


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def portal_link_mail(email: str, next_path: str = "") -> int:
    return magic_link_send(email=email, next_path=next_path)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def portal_password_reset_mail(email: str) -> int:
    return password_reset_send(email=email)
