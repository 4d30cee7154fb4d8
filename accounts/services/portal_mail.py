"""Mails of the portal sign-in: a new magic link, a password reset link.

Both go to every contact with the address (an address may serve several customers), each in the
contact's language. Nothing tells the caller whether the address exists.
"""

from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from accounts.links import is_local_path
from accounts.mail.brand import current_brand
from accounts.mail.layout import Box
from accounts.mail.message import branded_message, markdown_mail
from accounts.models import Contact
from accounts.services.portal_auth import magic_link_url
from accounts.services.portal_password import password_reset_url


def _contacts(email: str):
    return Contact.objects.select_related("customer").filter(email__iexact=email.strip()).order_by("customer__number")


def _send(contact: Contact, template: str, context: dict, button: str) -> None:
    """The mail in the contact's language and the branded layout (``markdown_mail``: the
    customer's name reads literally in both parts)."""
    language = contact.effective_language
    brand = current_brand()
    values = {"name": contact.customer.name, "number": contact.customer.number, "brand": brand.name}
    with translation.override(language):
        subject = " ".join(render_to_string(f"portal/email/{template}_subject.txt", values).split())
        text, body_html = markdown_mail(f"portal/email/{template}.md", values, context)
        box = Box(button_label=gettext(button), button_url=context["url"])
    message = branded_message(
        to=contact.email,
        language=language,
        subject=subject,
        markdown=text,
        body_html=body_html,
        box=box,
        brand=brand,
    )
    message.send()


def magic_link_send(*, email: str, next_path: str = "") -> int:
    """Mail a fresh sign-in link to every contact with this address; returns how many (for logs
    and tests only — never show it to the visitor). ``next_path``: the page of this site the
    visitor was on (a voucher's redeem page), where the link leads back after sign-in."""
    contacts = list(_contacts(email))
    back = f"?{urlencode({'next': next_path})}" if is_local_path(next_path) else ""
    for contact in contacts:
        _send(contact, "magic_link", {"url": magic_link_url(contact=contact) + back}, gettext_noop("Sign in"))
    return len(contacts)


def password_reset_send(*, email: str) -> int:
    """Mail a password reset link to every contact with this address who has a password."""
    contacts = [contact for contact in _contacts(email) if contact.password]
    for contact in contacts:
        _send(
            contact,
            "password_reset",
            {"url": password_reset_url(contact=contact)},
            gettext_noop("Choose a new password"),
        )
    return len(contacts)
