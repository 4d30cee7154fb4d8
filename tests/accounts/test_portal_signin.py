"""Portal sign-in: magic links from real mails, passwords, reset, sign-out, rate limits."""

import re

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.portal_session import SESSION_CONTACT
from tests.factories import AffectedCustomerFactory, ContactFactory, CustomerFactory
from tests.signin import link_from, private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _page(response, email: str) -> str:
    """The page without the address and the per-request CSRF token."""
    html = response.content.decode().replace(email, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def request_link(client, email):
    return client.post(reverse("portal:login"), {"action": "link", "link-email": email})


def test_requested_link_arrives_in_contact_language_and_signs_in_once(client):
    # given a French-speaking customer
    world = AffectedCustomerFactory(language="fr", email="luc@client.example.ch", with_voucher=True, pdf=True)
    # when the contact asks for a link by address
    response = request_link(client, "LUC@client.example.ch")
    # then the answer is the generic one and one French mail carries a link
    assert response.status_code == 200
    assert b'data-test="link-sent"' in response.content
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["luc@client.example.ch"]
    assert message.subject.startswith("Votre lien")
    link = _path(link_from(message))
    # GET only asks to confirm: a mail scanner opening the link does not spend it
    assert client.get(link).status_code == 200
    world.contact.refresh_from_db()
    assert world.contact.last_login is None
    session_key_before = client.session.session_key
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert response.cookies["django_language"].value == "fr"
    world.contact.refresh_from_db()
    assert world.contact.last_login is not None
    assert client.session[SESSION_CONTACT] == world.contact.pk
    assert client.session.session_key != session_key_before
    # and the same link does not work a second time
    client.post(reverse("portal:logout"))
    again = client.get(link)
    assert again.status_code == 410
    assert b'data-test="link-invalid"' in again.content
    assert client.post(link).status_code == 410
    assert SESSION_CONTACT not in client.session


def test_unknown_address_gets_the_same_answer_and_no_mail(client):
    AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    known = request_link(client, "anna@kunde.example.ch")
    unknown = request_link(client, "nobody@example.ch")
    assert unknown.status_code == known.status_code == 200
    assert _page(unknown, "nobody@example.ch") == _page(known, "anna@kunde.example.ch")
    assert len(mail.outbox) == 1


def test_forged_token_shows_the_expired_page_with_a_request_form(client):
    response = client.get("/portal/login/not-a-token/")
    assert response.status_code == 410
    assert b'name="link-email"' in response.content


def test_expired_link_is_refused(client, settings):
    world = AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    request_link(client, world.contact.email)
    settings.MAGIC_LINK_MAX_AGE = -1
    assert client.post(_path(link_from(mail.outbox[0]))).status_code == 410


def test_link_requests_are_rate_limited_per_address(client, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "PORTAL_SIGNIN_ATTEMPTS": 2}
    AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    assert request_link(client, "anna@kunde.example.ch").status_code == 200
    assert request_link(client, "anna@kunde.example.ch").status_code == 200
    limited = request_link(client, "anna@kunde.example.ch")
    assert limited.status_code == 429
    assert len(mail.outbox) == 2


def test_address_with_contacts_at_two_customers_gets_one_link_each(client):
    first = CustomerFactory(number="C1", email="shared@example.ch")
    second = CustomerFactory(number="C2", language="it")
    ContactFactory(customer=second, email="shared@example.ch")
    request_link(client, "shared@example.ch")
    assert [m.to for m in mail.outbox] == [["shared@example.ch"], ["shared@example.ch"]]
    assert first.name in mail.outbox[0].body and second.name in mail.outbox[1].body


def test_password_sign_in_and_wrong_password(client):
    world = AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    world.contact.password = make_password("Sommer-2006-sicher")
    world.contact.save()
    wrong = client.post(
        reverse("portal:login"), {"action": "password", "pw-email": world.contact.email, "pw-password": "nope"}
    )
    assert wrong.status_code == 200 and SESSION_CONTACT not in client.session
    right = client.post(
        reverse("portal:login"),
        {"action": "password", "pw-email": world.contact.email, "pw-password": "Sommer-2006-sicher"},
    )
    assert right.status_code == 302
    assert client.session[SESSION_CONTACT] == world.contact.pk


def test_password_reset_by_signed_link_works_once(client):
    world = AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    world.contact.password = make_password("Alt-Passwort-2005")
    world.contact.save()
    client.post(reverse("portal:password_reset"), {"email": world.contact.email})
    assert len(mail.outbox) == 1
    link = _path(next(w for w in mail.outbox[0].body.split() if "/portal/password/reset/" in w).strip("<>"))
    response = client.post(link, {"new_password1": "Neu-Passwort-2006", "new_password2": "Neu-Passwort-2006"})
    assert response.status_code == 302
    world.contact.refresh_from_db()
    assert world.contact.password != "" and client.session[SESSION_CONTACT] == world.contact.pk
    assert client.get(link).status_code == 410


def test_reset_for_contact_without_password_sends_nothing(client):
    AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    response = client.post(reverse("portal:password_reset"), {"email": "anna@kunde.example.ch"})
    assert response.status_code == 200 and mail.outbox == []


def test_setting_a_password_ends_the_contact_s_other_sessions(client):
    # given the contact signed in on two devices
    world = AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    request_link(client, world.contact.email)
    client.post(_path(link_from(mail.outbox[0])))
    phone = Client()
    request_link(phone, world.contact.email)
    phone.post(_path(link_from(mail.outbox[1])))
    assert phone.get(reverse("portal:home")).status_code == 200
    # when one of them sets a password
    response = client.post(
        reverse("portal:password_change"), {"new_password1": "Mein-Portal-2006", "new_password2": "Mein-Portal-2006"}
    )
    # then it stays signed in, the other one is signed out, and the password works
    assert response.status_code == 200
    assert client.get(reverse("portal:home")).status_code == 200
    assert phone.get(reverse("portal:home")).status_code == 302
    signed = Client().post(
        reverse("portal:login"),
        {"action": "password", "pw-email": world.contact.email, "pw-password": "Mein-Portal-2006"},
    )
    assert signed.status_code == 302


def test_weak_or_different_passwords_are_refused(client):
    world = AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    request_link(client, world.contact.email)
    client.post(_path(link_from(mail.outbox[0])))
    weak = client.post(reverse("portal:password_change"), {"new_password1": "123", "new_password2": "123"})
    differ = client.post(
        reverse("portal:password_change"), {"new_password1": "Mein-Portal-2006", "new_password2": "Mein-Portal-2007"}
    )
    assert weak.status_code == differ.status_code == 200
    assert b"error" in weak.content and b"error" in differ.content
    world.contact.refresh_from_db()
    assert world.contact.password == ""


def test_portal_pages_need_a_portal_session_not_staff_auth(client, support_user):
    client.force_login(support_user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_sign_out_needs_post(client):
    assert client.get(reverse("portal:logout")).status_code == 405


def test_changing_an_existing_password_needs_the_current_one(client):
    world = AffectedCustomerFactory(email="anna@kunde.example.ch", with_voucher=True, pdf=True)
    world.contact.password = make_password("Alt-Passwort-2005")
    world.contact.save()
    request_link(client, world.contact.email)
    client.post(_path(link_from(mail.outbox[0])))
    new = {"new_password1": "Neu-Passwort-2006", "new_password2": "Neu-Passwort-2006"}
    refused = client.post(reverse("portal:password_change"), {**new, "current_password": "falsch"})
    assert b"error" in refused.content
    world.contact.refresh_from_db()
    assert check_password("Alt-Passwort-2005", world.contact.password)
    client.post(reverse("portal:password_change"), {**new, "current_password": "Alt-Passwort-2005"})
    world.contact.refresh_from_db()
    assert check_password("Neu-Passwort-2006", world.contact.password)


def _link(client, email: str) -> str:
    request_link(client, email)
    return _path(link_from(mail.outbox[-1]))


def test_signing_in_over_an_existing_session_gives_it_a_new_key(client):
    # given a visitor whose browser already holds a session (another contact signed in before)
    first = ContactFactory(email="first@client.example.ch")
    second = ContactFactory(email="second@client.example.ch")
    assert client.post(_link(client, first.email)).status_code == 302
    before = client.cookies["sessionid"].value
    # when another contact signs in in the same browser
    assert client.post(_link(client, second.email)).status_code == 302
    # then the session has a new key, holds the new contact, and the old key opens nothing
    after = client.cookies["sessionid"].value
    assert after != before and client.session[SESSION_CONTACT] == second.pk
    stale = Client()
    stale.cookies["sessionid"] = before
    assert stale.get(reverse("portal:home")).status_code == 302


def test_a_session_key_planted_before_sign_in_is_not_adopted(client):
    # given a key an attacker set in the victim's browser (no such session exists)
    contact = ContactFactory(email="victim@client.example.ch")
    client.cookies["sessionid"] = "plantedplantedplantedplanted1234"
    # when the victim signs in with their link
    assert client.post(_link(client, contact.email)).status_code == 302
    # then the session lives under a key of the server's choosing, and the planted one opens nothing
    assert client.cookies["sessionid"].value != "plantedplantedplantedplanted1234"
    assert client.session[SESSION_CONTACT] == contact.pk
    attacker = Client()
    attacker.cookies["sessionid"] = "plantedplantedplantedplanted1234"
    assert attacker.get(reverse("portal:home")).status_code == 302


def test_a_drawn_session_key_that_is_taken_is_drawn_again(monkeypatch):
    # given a session stored under a key, and a draw that yields that key first
    from django.contrib.sessions.models import Session

    from accounts import private_apis
    from accounts.session_store import SessionStore

    taken = SessionStore()
    taken["owner"] = "someone"
    taken.create()
    draws = iter([taken.session_key, "freshfreshfreshfreshfreshfresh12"])
    monkeypatch.setattr(private_apis, "get_random_string", lambda length, chars: next(draws))
    # when a new session is created
    new = SessionStore()
    new["owner"] = "me"
    new.create()
    # then it got the second key, and the first session is untouched
    assert new.session_key == "freshfreshfreshfreshfreshfresh12"
    assert SessionStore(taken.session_key).load() == {"owner": "someone"}
    assert Session.objects.count() == 2


def test_a_link_sign_in_takes_four_statements(client):
    # given a contact's link, its confirmation page opened
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    contact = ContactFactory(email="quick@client.example.ch")
    link = _link(client, contact.email)
    client.cookies.pop("sessionid", None)
    assert client.get(link).status_code == 200
    # when the contact confirms
    with CaptureQueriesContext(connection) as queries:
        assert client.post(link).status_code == 302
    # then: the token's contact, the spent links, the sign-in record, the new session (no look-up
    # of the session key first, no second write of the session)
    statements = [
        q["sql"].split()[0] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert statements == ["SELECT", "UPDATE", "INSERT", "INSERT"], statements
    assert client.session[SESSION_CONTACT] == contact.pk


def test_sessions_stored_by_djangos_own_store_are_read_and_the_other_way_round():
    # given a session written by Django's cached_db store (before this engine was deployed)
    from django.contrib.sessions.backends.cached_db import SessionStore as DjangoStore

    from accounts.session_store import SessionStore

    old = DjangoStore()
    old[SESSION_CONTACT] = 7
    old.create()
    new = SessionStore()
    new[SESSION_CONTACT] = 8
    new.create()
    # then each store reads the other's from the database (the class name is part of the signing salt)
    from django.core.cache import cache

    cache.clear()
    assert SessionStore(old.session_key).load() == {SESSION_CONTACT: 7}
    assert DjangoStore(new.session_key).load() == {SESSION_CONTACT: 8}
