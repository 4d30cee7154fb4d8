"""Portal sign-in tokens: signed, expiring, bound to one contact, single-use.

A token carries the contact id and a digest of the contact's sign-in state (last sign-in and
password hash). Signing in changes that state, so every earlier link stops working.
"""

from django.conf import settings

from accounts.links import absolute_url_maker
from accounts.models import Contact
from accounts.services.contact_tokens import ContactTokens

SALT = "hostnotify.portal.magic-link"


class MagicLinks:
    """Signs sign-in links with one signer: a mailing signs one per letter, and building the
    signer costs more than signing."""

    def __init__(self):
        self._tokens = ContactTokens(salt=SALT)
        self._link = absolute_url_maker("portal:magic_link")

    def token(self, contact: Contact) -> str:
        return self._tokens.sign(contact)

    def url(self, contact: Contact) -> str:
        """Absolute sign-in URL for the apology mail and for "send me a new link"."""
        return self._link(self.token(contact))


def magic_link_url(*, contact: Contact) -> str:
    return MagicLinks().url(contact)


def magic_link_contact(token: str) -> Contact | None:
    """The contact a token signs in, or None when it is forged, expired or already used."""
    return ContactTokens(salt=SALT).contact(token, max_age=settings.MAGIC_LINK_MAX_AGE)
