"""Portal passwords for contacts who set one: checking, setting, and signed reset links."""

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

from accounts.links import absolute_url
from accounts.models import Contact
from accounts.services.contact_tokens import ContactTokens

RESET_SALT = "hostnotify.portal.password-reset"


def password_reset_url(*, contact: Contact) -> str:
    # The password hash and last sign-in are in the token's state: a reset link works once, and
    # not after the contact has signed in or changed the password some other way.
    token = ContactTokens(salt=RESET_SALT).sign(contact)
    return absolute_url("portal:password_reset_confirm", args=[token])


def password_reset_contact(token: str) -> Contact | None:
    """The contact a reset token belongs to, or None when forged, expired or already used."""
    return ContactTokens(salt=RESET_SALT).contact(token, max_age=settings.PORTAL_PASSWORD_RESET_MAX_AGE)


def contact_set_password(*, contact: Contact, raw_password: str) -> None:
    contact.password = make_password(raw_password)
    contact.save(update_fields=["password"])


def contact_authenticate(*, email: str, raw_password: str) -> Contact | None:
    """The contact with this address whose password matches, or None.

    An address may belong to contacts of several customers; the first (by customer number) whose
    password matches signs in. Without any candidate a hash is still computed, so the answer
    takes as long whether the address exists or not.
    """
    candidates = (
        Contact.objects.select_related("customer")
        .filter(email__iexact=email.strip())
        .exclude(password="")
        .order_by("customer__number")
    )
    found = None
    for contact in candidates:
        if found is None and check_password(raw_password, contact.password):
            found = contact
    if not candidates:
        make_password(raw_password)
    return found
