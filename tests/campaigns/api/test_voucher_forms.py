"""Billing redeems through the API in any form the portal offers, by the same choice keys: an
extension moves the account's paid-until date, a key the voucher is not offered is a 422 that
changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import HostingAccount, LedgerEntry
from campaigns.models import PartnerPool, Redemption
from tests.campaigns.offers.world import ORGANISATION, upload, world

pytestmark = pytest.mark.django_db


def test_redeem_as_an_extension_through_the_api(api):
    w = world()
    voucher = w.vouchers[0]

    response = api.post(
        f"/api/v1/vouchers/{voucher.code}/redeem/",
        {"form": f"extension:{w.account.name}"},
        headers={"Idempotency-Key": "ext-1"},
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["redeemed_form"]) == ("redeemed", "extension")
    assert HostingAccount.objects.get(pk=w.account.pk).paid_until == dt.date(2027, 3, 31)
    assert Redemption.objects.get().months == 3


def test_an_account_not_offered_is_422_and_changes_nothing(api):
    w = world()
    response = api.post(
        f"/api/v1/vouchers/{w.vouchers[0].code}/redeem/",
        {"form": f"extension:web-big-{w.customer.pk}"},
        headers={"Idempotency-Key": "ext-2"},
    )
    assert response.status_code == 422
    assert not LedgerEntry.objects.filter(kind="redeem").exists() and not Redemption.objects.exists()


def test_the_lookup_lists_the_forms_the_incident_offers(api):
    w = world()

    response = api.get(f"/api/v1/vouchers/{w.vouchers[0].code}/")

    assert response.json()["redemption_options"] == ["balance", "extension", "partner", "donation"]


def test_redeem_as_a_partner_voucher_hands_out_one_code_and_books_the_rest(api):
    upload(value="50.00", count=2)
    pool = PartnerPool.objects.get()
    w = world(amount="77.00")

    response = api.post(
        f"/api/v1/vouchers/{w.vouchers[0].code}/redeem/",
        {"form": f"partner:{pool.pk}"},
        headers={"Idempotency-Key": "p"},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["redeemed_form"] == "partner"
    redemption = Redemption.objects.get()
    assert (redemption.partner_code.code, redemption.rest) == ("DG50-0000", Decimal("27.00"))
    assert list(
        LedgerEntry.objects.filter(kind="redeem").exclude(book="voucher").order_by("book").values_list("book", "amount")
    ) == [("balance", Decimal("27.00")), ("partner", Decimal("50.00"))]


def test_redeem_as_a_donation(api):
    w = world(amount="30.15")

    response = api.post(
        f"/api/v1/vouchers/{w.vouchers[0].code}/redeem/", {"form": "donation"}, headers={"Idempotency-Key": "d"}
    )

    assert response.status_code == 200, response.json()
    assert Redemption.objects.get().organisation == ORGANISATION
    assert list(LedgerEntry.objects.filter(kind="redeem").exclude(book="voucher").values_list("book", "amount")) == [
        ("donation", Decimal("30.15"))
    ]
