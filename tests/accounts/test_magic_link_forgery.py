"""Replays the forged sign-in: knowing the SECRET_KEY, a contact id and an address is not enough."""

import hashlib
import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from accounts.services.portal_auth import SALT, MagicLinks, magic_link_contact
from tests.factories import AffectedCustomerFactory, ContactFactory
from tests.signin import link_from, private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _page(response, token: str) -> str:
    """The page without the per-request CSRF token and the page's own address (language form)."""
    html = response.content.decode().replace(token, "TOKEN")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _forged(contact_id: int, email: str, *, digest_length: int) -> str:
    """What the tester computed: the state of a contact that never signed in, signed with the key."""
    state = f"{contact_id}|{email}||"
    digest = hashlib.sha256(state.encode()).hexdigest()[:digest_length]
    return signing.TimestampSigner(salt=SALT).sign_object({"c": contact_id, "s": digest}, compress=True)


def test_a_link_forged_from_id_address_and_secret_key_opens_nothing(client):
    # given a contact who never signed in, and an attacker who knows the key, the id and the address
    contact = ContactFactory(email="anna@kunde.example.ch")
    for length in (16, 32):
        token = _forged(contact.pk, contact.email, digest_length=length)
        # when the forged link is opened and posted
        # then it answers like any invalid link, and nobody is signed in
        assert magic_link_contact(token) is None
        assert client.post(f"/portal/login/{token}/").status_code == 410
    assert "portal_contact_id" not in client.session


def test_unknown_used_and_forged_links_get_the_same_answer(client):
    # given a used link, a link for a contact id that does not exist, and a forged one
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    used = MagicLinks().token(world.contact)
    Client().post(f"/portal/login/{used}/")
    unknown = _forged(world.contact.pk + 1000, "nobody@example.ch", digest_length=32)
    forged = _forged(world.contact.pk, world.contact.email, digest_length=32)
    # when each is opened
    tokens = (used, unknown, forged, "garbage")
    answers = {token: client.get(f"/portal/login/{token}/") for token in tokens}
    # then status and page are the same for all four
    assert {response.status_code for response in answers.values()} == {410}
    assert len({_page(response, token) for token, response in answers.items()}) == 1


def test_using_a_link_rotates_the_secret_and_spends_every_other_link(client):
    # given two links mailed to the same contact
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    first, second = MagicLinks().token(world.contact), MagicLinks().token(world.contact)
    secret_before = world.contact.token_secret
    # when the first is used
    assert client.post(f"/portal/login/{first}/").status_code == 302
    # then the secret changed and the second link is dead too
    world.contact.refresh_from_db()
    assert world.contact.token_secret != secret_before and len(world.contact.token_secret) == 43
    assert Client().post(f"/portal/login/{second}/").status_code == 410


def test_signing_out_spends_links_sent_before(client):
    # given a signed-in contact and a link sent to them earlier
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    client.post(f"/portal/login/{MagicLinks().token(world.contact)}/")
    world.contact.refresh_from_db()
    pending = MagicLinks().token(world.contact)
    # when the contact signs out
    client.post(reverse("portal:logout"))
    # then the earlier link no longer signs anyone in
    assert Client().post(f"/portal/login/{pending}/").status_code == 410


def test_every_contact_has_its_own_secret():
    secrets = {ContactFactory().token_secret for _ in range(20)}
    assert len(secrets) == 20


def test_bad_links_are_rate_limited_per_client_address(settings):
    # given an attacker who tries PORTAL_LINK_ATTEMPTS bad tokens from one address
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "PORTAL_LINK_ATTEMPTS": 3}
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        assert attacker.get(f"/portal/login/bad-{n}/").status_code == 410
    # when the attacker then presents a valid link
    valid = MagicLinks().token(world.contact)
    limited = attacker.post(f"/portal/login/{valid}/")
    # then it answers as invalid and signs nobody in; the customer's own address still works
    assert limited.status_code == 410
    assert "portal_contact_id" not in attacker.session
    assert Client(REMOTE_ADDR="198.51.100.7").post(f"/portal/login/{valid}/").status_code == 302


def test_a_mailed_link_still_works_once(client):
    # given a link from a real sign-in mail
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    client.post(reverse("portal:login"), {"action": "link", "link-email": world.contact.email})
    link = _path(link_from(mail.outbox[0]))
    # then it signs in once
    assert client.post(link).status_code == 302
    assert Client().post(link).status_code == 410
