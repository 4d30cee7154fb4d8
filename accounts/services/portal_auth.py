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


class MagicLinks:
    """Signs sign-in links with one signer: a mailing signs one per letter, and building the
    signer costs more than signing."""

    def __init__(self):
        self._signer = signing.TimestampSigner(salt=SALT)
        self._base = f"{settings.SITE_URL}/portal/login/"

    def token(self, contact: Contact) -> str:
        return self._signer.sign_object({"c": contact.pk, "s": _state_digest(contact)})

    def url(self, contact: Contact) -> str:
        """Absolute sign-in URL for the apology mail and for "send me a new link"."""
        return f"{self._base}{self.token(contact)}/"


def magic_link_token(*, contact: Contact) -> str:
    return MagicLinks().token(contact)


def magic_link_url(*, contact: Contact) -> str:
    return MagicLinks().url(contact)


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
