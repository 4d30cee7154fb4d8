"""Portal page bodies are cached per customer, page and language under the customer's portal
version: a page read again costs no query beyond the session's, and every service that changes what
the customer sees (redemption, a ledger booking, a voucher voided or expired, exposure, compensation,
a status update, the inventory) shows on the next request; another customer's pages stay cached."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.portal_version import portal_changed, portal_version
from campaigns.compensation.release import voucher_void, vouchers_expire_due
from campaigns.incidents.exposure import exposure_recompute
from campaigns.models import Exposure, OutageWindow
from campaigns.portal.redemption import voucher_redeem
from campaigns.status.services import update_post
from tests.campaigns.portal.test_views import signed_in, text
from tests.factories import AffectedCustomerFactory, PlacementFactory, ServerFactory
from tests.signin import private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache(settings):
    private_cache(settings)
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "PORTAL_CACHE_SECONDS": 600, "STATUS_CACHE_SECONDS": 30}


def _get(client, url) -> tuple[str, list[str]]:
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(url)
    assert response.status_code == 200
    return text(response), statements


def _badges(client, url) -> list[str]:
    """The voucher status badges of a page, as the customer gets it."""
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'class="badge (issued|redeemed|expired|void)"', response.content.decode())


def _pages(world) -> list[str]:
    return [reverse("portal:home"), reverse("portal:incident", args=[world.incident.slug]), reverse("portal:credit")]


def test_a_page_read_again_comes_from_the_cache_with_only_the_sessions_queries():
    world = AffectedCustomerFactory(with_voucher=True, booked=True)
    client = signed_in(world.contact, "en")
    for url in _pages(world):
        first, first_statements = _get(client, url)
        again, again_statements = _get(client, url)
        assert again == first
        # the session's contact and customer only: no exposure, compensation, voucher or ledger read
        assert len(again_statements) < len(first_statements)
        assert not [s for s in again_statements if "campaigns_" in s or "accounts_ledgerentry" in s], url


def test_each_language_has_its_own_page_and_the_layout_stays_per_request():
    world = AffectedCustomerFactory(with_voucher=True)
    url = reverse("portal:incident", args=[world.incident.slug])
    english, german = signed_in(world.contact, "en"), signed_in(world.contact, "de")

    english_page, german_page = _get(english, url)[0], _get(german, url)[0]
    assert "What happened to you" in english_page
    assert "What happened to you" not in german_page
    assert _get(english, url)[0] == english_page  # each from its own cached entry
    # the sign-out form's CSRF token belongs to each session, never to the cached body
    token = 'name="csrfmiddlewaretoken" value="'
    first, second = english.get(url).content.decode(), german.get(url).content.decode()
    assert first.split(token)[1][:20] != second.split(token)[1][:20]


def test_redemption_shows_at_once_and_other_customers_pages_stay_cached(django_capture_on_commit_callbacks):
    world, other = AffectedCustomerFactory(with_voucher=True, booked=True), AffectedCustomerFactory(with_voucher=True)
    client, other_client = signed_in(world.contact, "en"), signed_in(other.contact, "en")
    for url in _pages(world):
        _get(client, url)
        _get(other_client, url.replace(world.incident.slug, other.incident.slug))
    other_version = portal_version(other.customer.pk)

    with django_capture_on_commit_callbacks(execute=True):
        voucher_redeem(customer=world.customer, code=world.voucher.code, form="balance")

    assert _badges(client, reverse("portal:credit")) == ["redeemed"]
    assert _badges(client, reverse("portal:home")) == ["redeemed"]
    assert "redeemed CHF 10.00" in _get(client, reverse("portal:credit"))[0]  # the booking in the history
    assert portal_version(other.customer.pk) == other_version
    _, statements = _get(other_client, reverse("portal:credit"))
    assert not [s for s in statements if "accounts_ledgerentry" in s]


def test_void_and_expiry_show_at_once(finance_user):
    world = AffectedCustomerFactory(with_voucher=True, booked=True)
    client = signed_in(world.contact, "en")
    assert _badges(client, reverse("portal:credit")) == ["issued"]

    voucher_void(voucher=world.voucher, by=finance_user, reason="sent to the wrong customer")
    assert _badges(client, reverse("portal:credit")) == ["void"]

    expiring = AffectedCustomerFactory(with_voucher=True, booked=True, expires_on=timezone.localdate())
    expiring_client = signed_in(expiring.contact, "en")
    assert _badges(expiring_client, reverse("portal:credit")) == ["issued"]
    vouchers_expire_due(today=timezone.localdate() + dt.timedelta(days=1))
    assert _badges(expiring_client, reverse("portal:credit")) == ["expired"]


def test_exposure_and_status_updates_show_at_once(support_user, django_capture_on_commit_callbacks):
    world = AffectedCustomerFactory()
    client = signed_in(world.contact, "en")
    url = reverse("portal:incident", args=[world.incident.slug])
    before, _ = _get(client, url)

    # a window on the account's server is recorded and the exposure recomputed from it
    account = Exposure.objects.get(customer=world.customer).account
    start = timezone.now() - dt.timedelta(days=3)
    placement = PlacementFactory(account=account, server=ServerFactory(), active_from=start - dt.timedelta(days=30))
    OutageWindow.objects.create(
        incident=world.incident,
        target_type="server",
        server=placement.server,
        start=start,
        end=start + dt.timedelta(hours=5),
    )
    exposure_recompute(incident=world.incident)
    assert Exposure.objects.get(customer=world.customer).affected_seconds == 5 * 3600
    after, _ = _get(client, url)
    assert after != before
    assert "5 h 00 min" in after

    with django_capture_on_commit_callbacks(execute=True):
        update_post(incident=world.incident, phase="resolved", texts={"en": "Disks replaced."}, by=support_user)
    assert "Disks replaced." in _get(client, url)[0]


def test_the_hook_for_everyone_moves_every_customers_version():
    first, second = AffectedCustomerFactory(), AffectedCustomerFactory()
    versions = portal_version(first.customer.pk), portal_version(second.customer.pk)
    portal_changed()
    assert portal_version(first.customer.pk) != versions[0]
    assert portal_version(second.customer.pk) != versions[1]
    mine = portal_version(first.customer.pk), portal_version(second.customer.pk)
    portal_changed(customer_ids=[first.customer.pk])
    assert portal_version(first.customer.pk) != mine[0]
    assert portal_version(second.customer.pk) == mine[1]


def test_a_flash_message_shows_once_around_the_cached_page_and_the_cached_page_returns_without_it():
    world = AffectedCustomerFactory(with_voucher=True, booked=True)
    client = signed_in(world.contact, "en")
    credit = reverse("portal:credit")
    _get(client, credit)

    # when: the customer redeems; the redemption redirects to the credit page with a message
    response = client.post(reverse("portal:redeem", args=[world.voucher.pk]), {"form": "balance"}, follow=True)

    # then: the message is on the page it lands on, and only there
    assert "Your voucher has been redeemed" in text(response)
    again, statements = _get(client, credit)
    assert "Your voucher has been redeemed" not in again
    assert "redeemed CHF 10.00" in again
    assert not [s for s in statements if "campaigns_" in s or "accounts_ledgerentry" in s]  # cached again


def test_a_query_string_gets_the_cached_body_in_a_layout_of_its_own():
    world = AffectedCustomerFactory(with_voucher=True)
    client = signed_in(world.contact, "en")
    home, tracked = reverse("portal:home"), reverse("portal:home") + "?utm_source=letter"
    plain = _get(client, home)[0]

    first = client.get(tracked).content.decode()
    page, statements = _get(client, tracked)

    # the language form sends the customer back to the address they opened; the body is cached
    assert 'name="next" type="hidden" value="/portal/?utm_source=letter"' in first
    assert not [s for s in statements if "campaigns_" in s]
    assert page == plain
