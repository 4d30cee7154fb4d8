"""Signed, expiring, single-use tokens bound to one contact: the one helper behind magic links
and password-reset links.

A token carries the contact id and a digest of the contact's sign-in state (address, password hash,
last sign-in). Signing in or changing the password changes that state, so every earlier token
stops working. Each kind of link has its own salt, so a token of one kind never opens the other.
"""

import hashlib

from django.core import signing

from accounts.models import Contact


def contact_state_digest(contact: Contact) -> str:
    last = contact.last_login.isoformat() if contact.last_login else ""
    state = f"{contact.pk}|{contact.email}|{contact.password}|{last}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


class ContactTokens:
    """One signer per kind of link: a mailing signs one link per letter, and building the signer
    costs more than signing."""

    def __init__(self, *, salt: str):
        self.salt = salt
        self._signer = signing.TimestampSigner(salt=salt)

    def sign(self, contact: Contact) -> str:
        return self._signer.sign_object({"c": contact.pk, "s": contact_state_digest(contact)}, compress=True)

    def contact(self, token: str, *, max_age: int) -> Contact | None:
        """The contact a token belongs to, or None when it is forged, expired or already used."""
        try:
            data = self._signer.unsign_object(token, max_age=max_age)
        except signing.BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        contact = Contact.objects.select_related("customer").filter(pk=data.get("c")).first()
        if contact is None or data.get("s") != contact_state_digest(contact):
            return None
        return contact
