"""Billing redeems through the API in any form the portal offers, by the same choice keys: an
extension moves the account's paid-until date, a key the voucher is not offered is a 422 that
changes nothing."""

import datetime as dt

import pytest

from accounts.models import HostingAccount, LedgerEntry
from campaigns.models import Redemption
from tests.campaigns.offers.world import world

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
