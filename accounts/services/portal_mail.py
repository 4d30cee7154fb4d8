"""Mails of the portal sign-in: a new magic link, a password reset link.

Both go to every contact with the address (an address may serve several customers), each in the
contact's language. Nothing tells the caller whether the address exists.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.links import is_local_path
from accounts.models import Contact
from accounts.services.portal_auth import magic_link_url
from accounts.services.portal_password import password_reset_url


def _contacts(email: str):
    return Contact.objects.select_related("customer").filter(email__iexact=email.strip()).order_by("customer__number")


def _send(contact: Contact, template: str, context: dict) -> None:
    with translation.override(contact.effective_language):
        context = {
            "contact": contact,
            "customer": contact.customer,
            "brand": settings.HOSTNOTIFY["BRAND_NAME"],
            **context,
        }
        subject = render_to_string(f"portal/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"portal/email/{template}.txt", context)
    send_mail(subject, body, None, [contact.email])


def magic_link_send(*, email: str, next_path: str = "") -> int:
    """Mail a fresh sign-in link to every contact with this address; returns how many (for logs
    and tests only — never show it to the visitor). ``next_path``: the page of this site the
    visitor was on (a voucher's redeem page), where the link leads back after sign-in."""
    contacts = list(_contacts(email))
    back = f"?{urlencode({'next': next_path})}" if is_local_path(next_path) else ""
    for contact in contacts:
        _send(contact, "magic_link", {"url": magic_link_url(contact=contact) + back})
    return len(contacts)


def password_reset_send(*, email: str) -> int:
    """Mail a password reset link to every contact with this address who has a password."""
    contacts = [contact for contact in _contacts(email) if contact.password]
    for contact in contacts:
        _send(contact, "password_reset", {"url": password_reset_url(contact=contact)})
    return len(contacts)
