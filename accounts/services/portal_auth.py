"""Portal sign-in tokens: signed, expiring, bound to one contact, single-use.

A token carries the contact id and a digest of the contact's sign-in state (last sign-in and
password hash). Signing in changes that state, so every earlier link stops working.
"""

import hashlib

from django.conf import settings
from django.core import signing

from accounts.models import Contact

SALT = "hostnotify.portal.magic-link"


def _state_digest(contact: Contact) -> str:
    state = f"{contact.pk}|{contact.email}|{contact.password}|{contact.last_login.isoformat() if contact.last_login else ''}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def magic_link_token(*, contact: Contact) -> str:
    return signing.dumps({"c": contact.pk, "s": _state_digest(contact)}, salt=SALT, compress=True)


def magic_link_url(*, contact: Contact) -> str:
    """Absolute sign-in URL for the apology mail and for "send me a new link"."""
    return f"{settings.SITE_URL}/portal/login/{magic_link_token(contact=contact)}/"


def magic_link_contact(token: str) -> Contact | None:
    """The contact a token signs in, or None when it is forged, expired or already used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.MAGIC_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    contact = Contact.objects.select_related("customer").filter(pk=data.get("c")).first()
    if contact is None or data.get("s") != _state_digest(contact):
        return None
    return contact
