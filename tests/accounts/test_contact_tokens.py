"""One helper signs magic links and password-reset links: bound to a contact, single-use, per kind."""

import pytest
from django.utils import timezone

from accounts.services.portal_auth import MagicLinks, magic_link_contact
from accounts.services.portal_password import password_reset_contact, password_reset_url
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_a_magic_link_does_not_open_a_password_reset_and_back():
    # given one contact with a magic-link token and a reset token
    contact = ContactFactory()
    magic = MagicLinks().token(contact)
    reset = _token(password_reset_url(contact=contact))
    # then each opens its own kind only
    assert magic_link_contact(magic) == contact
    assert password_reset_contact(reset) == contact
    assert magic_link_contact(reset) is None
    assert password_reset_contact(magic) is None


def test_signing_in_spends_both_kinds_of_token():
    # given both tokens for a contact
    contact = ContactFactory()
    magic = MagicLinks().token(contact)
    reset = _token(password_reset_url(contact=contact))
    # when the contact signs in
    contact.last_login = timezone.now()
    contact.save(update_fields=["last_login"])
    # then neither token works any more
    assert magic_link_contact(magic) is None
    assert password_reset_contact(reset) is None


def test_a_token_for_a_deleted_contact_or_a_tampered_one_opens_nothing():
    contact = ContactFactory()
    magic = MagicLinks().token(contact)
    assert magic_link_contact(magic[:-1] + ("A" if magic[-1] != "A" else "B")) is None
    contact.delete()
    assert magic_link_contact(magic) is None
