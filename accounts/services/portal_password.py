"""Portal passwords for contacts who set one: checking, setting, and signed reset links."""

import hashlib

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing

from accounts.models import Contact

RESET_SALT = "hostnotify.portal.password-reset"


def _reset_state(contact: Contact) -> str:
    # The password hash and last sign-in are in the state: a reset link works once, and not after
    # the contact has signed in or changed the password some other way.
    last = contact.last_login.isoformat() if contact.last_login else ""
    return hashlib.sha256(f"{contact.pk}|{contact.email}|{contact.password}|{last}".encode()).hexdigest()[:16]


def password_reset_url(*, contact: Contact) -> str:
    token = signing.dumps({"c": contact.pk, "s": _reset_state(contact)}, salt=RESET_SALT, compress=True)
    return f"{settings.SITE_URL}/portal/password/reset/{token}/"


def password_reset_contact(token: str) -> Contact | None:
    """The contact a reset token belongs to, or None when forged, expired or already used."""
    try:
        data = signing.loads(token, salt=RESET_SALT, max_age=settings.PORTAL_PASSWORD_RESET_MAX_AGE)
    except signing.BadSignature:
        return None
    contact = Contact.objects.select_related("customer").filter(pk=data.get("c")).first()
    if contact is None or data.get("s") != _reset_state(contact):
        return None
    return contact


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
