"""voucher_redeem: the status, the two ledger bookings, the audit entry — and nothing on refusal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.services.ledger import ledger_balances
from campaigns.models import AuditEntry, Voucher
from campaigns.portal.redemption import (
    RedemptionFormNotOffered,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherInvalid,
    VoucherVoid,
    redemption_options,
    voucher_lookup,
    voucher_redeem,
)
from tests.campaigns.offers.world import offer
from tests.factories import CustomerFactory, PlacementFactory, VoucherFactory

pytestmark = pytest.mark.django_db


def _ledger(customer):
    return list(LedgerEntry.objects.filter(customer=customer).values_list("book", "kind", "amount", "reference"))


def test_redeem_to_balance_books_both_sides_once():
    voucher = VoucherFactory(amount=Decimal("12.35"))
    customer = voucher.customer
    result = voucher_redeem(customer=customer, code=voucher.code, form="balance")
    assert result.status == "redeemed" and result.redeemed_form == "balance" and result.redeemed_at is not None
    assert _ledger(customer) == [
        ("voucher", "redeem", Decimal("-12.35"), f"voucher:{voucher.pk}:redeem"),
        ("balance", "redeem", Decimal("12.35"), f"voucher:{voucher.pk}:redeem:target"),
    ]
    assert ledger_balances(customer=customer) == {"CHF": Decimal("12.35")}
    audit = AuditEntry.objects.get(action="voucher.redeem")
    assert audit.object_id == str(voucher.pk) and audit.data == {
        "form": "balance",
        "amount": "12.35",
        "currency": "CHF",
    }


def test_redeem_as_an_offered_other_form_books_that_book():
    voucher = VoucherFactory(compensation__incident__redemption_options=["balance", "extension"])
    offer(voucher.compensation.incident, forms=["balance", "extension"])
    PlacementFactory(account__customer=voucher.customer, account__name="web-ext", account__monthly_fee=Decimal("5.00"))
    voucher_redeem(customer=voucher.customer, code=voucher.code, form="extension:web-ext")
    assert ledger_balances(customer=voucher.customer, book="extension") == {"CHF": Decimal("10.00")}
    assert ledger_balances(customer=voucher.customer) == {}


def test_forms_not_approved_by_finance_are_not_offered():
    # support's incident editor (or the API) set the options; finance approved nothing
    voucher = VoucherFactory(compensation__incident__redemption_options=["extension", "balance"])
    PlacementFactory(account__customer=voucher.customer, account__name="web-ext", account__monthly_fee=Decimal("5.00"))
    assert redemption_options(voucher) == ["balance"]
    with pytest.raises(RedemptionFormNotOffered):
        voucher_redeem(customer=voucher.customer, code=voucher.code, form="extension:web-ext")
    assert Voucher.objects.get(pk=voucher.pk).status == "issued" and _ledger(voucher.customer) == []


def test_an_extension_without_an_account_is_not_offered_and_changes_nothing():
    voucher = VoucherFactory(compensation__incident__redemption_options=["balance", "extension"])
    offer(voucher.compensation.incident, forms=["balance", "extension"])
    with pytest.raises(RedemptionFormNotOffered):
        voucher_redeem(customer=voucher.customer, code=voucher.code, form="extension")
    assert Voucher.objects.get(pk=voucher.pk).status == "issued" and _ledger(voucher.customer) == []


def test_default_options_when_the_incident_names_none():
    voucher = VoucherFactory(compensation__incident__redemption_options=[])
    assert redemption_options(voucher) == ["balance"]


@pytest.mark.parametrize(
    ("change", "form", "error"),
    [
        ({"status": "redeemed"}, "balance", VoucherAlreadyRedeemed),
        ({"status": "void"}, "balance", VoucherVoid),
        ({"status": "expired"}, "balance", VoucherExpired),
        ({"expires_on": dt.date(2006, 1, 31)}, "balance", VoucherExpired),
        ({}, "partner", RedemptionFormNotOffered),
        ({}, "cash", RedemptionFormNotOffered),
    ],
)
def test_refused_redemptions_change_nothing(change, form, error):
    voucher = VoucherFactory(**change)
    with pytest.raises(error):
        voucher_redeem(customer=voucher.customer, code=voucher.code, form=form)
    assert Voucher.objects.get(pk=voucher.pk).status == change.get("status", "issued")
    assert _ledger(voucher.customer) == [] and not AuditEntry.objects.exists()


def test_another_customers_code_is_just_invalid():
    voucher = VoucherFactory()
    stranger = CustomerFactory()
    with pytest.raises(VoucherInvalid) as wrong_owner:
        voucher_redeem(customer=stranger, code=voucher.code, form="balance")
    with pytest.raises(VoucherInvalid) as wrong_code:
        voucher_redeem(customer=stranger, code="ABCDEFGHJKLMNPQR", form="balance")
    assert str(wrong_owner.value.message) == str(wrong_code.value.message)
    assert Voucher.objects.get(pk=voucher.pk).status == "issued"
    assert not LedgerEntry.objects.exists()


def test_lookup_finds_own_redeemable_voucher_only():
    voucher = VoucherFactory()
    assert voucher_lookup(customer=voucher.customer, code=voucher.code) == voucher
    with pytest.raises(VoucherInvalid):
        voucher_lookup(customer=voucher.customer, code=None)
    voucher.expires_on = timezone.localdate() - dt.timedelta(days=1)
    voucher.save()
    with pytest.raises(VoucherExpired):
        voucher_lookup(customer=voucher.customer, code=voucher.code)
