"""The one way tests build an affected customer: its traits give consistent data, and a batch
written in bulk holds the same rows as customers created one by one."""

from decimal import Decimal

import factory
import pytest

from accounts.models import Contact, Customer, HostingAccount, LedgerEntry
from campaigns.models import Compensation, Exposure, Voucher
from tests.factories import CHRISTMAS, DST, AffectedCustomerFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def test_a_plain_affected_customer_has_one_exposed_account_and_nothing_else():
    affected = AffectedCustomerFactory()

    assert (affected.customer.number, affected.contact.email) == ("K000000", "k000000@kunde.example.ch")
    assert affected.incident.slug == "christmas-2005"
    assert [(e.account.name, e.affected_seconds, e.servers) for e in Exposure.objects.all()] == [
        ("k000000-web", 43 * 3600 + 30 * 60, ["server19"])
    ]
    assert (affected.compensation, affected.voucher) == (None, None)
    assert not Compensation.objects.exists() and not Voucher.objects.exists()


def test_traits_give_a_compensation_explained_by_the_accounts_a_booked_voucher_and_its_redemption():
    affected = AffectedCustomerFactory(
        accounts={"web1": CHRISTMAS, "web2": DST}, language="fr", email="luc@client.example.ch",
        with_voucher=True, booked=True, pdf=True, redeemed=True,
    )  # fmt: skip

    compensation = Compensation.objects.get()
    assert (compensation.customer, compensation.status, compensation.amount) == (
        affected.customer,
        "approved",
        Decimal("10.00"),
    )
    assert compensation.affected_seconds == 43 * 3600 + 30 * 60 + 7 * 3600 + 30 * 60  # disjoint windows
    assert [(a["account"], a["servers"], a["share"]) for a in compensation.explanation["accounts"]] == [
        ("web1", "server19", "10.00"), ("web2", "server7", "10.00"),
    ]  # fmt: skip
    assert affected.contact.email == "luc@client.example.ch" and affected.customer.language == "fr"
    assert Voucher.objects.get().status == affected.voucher.status == "redeemed"
    assert affected.voucher.pdf.read().startswith(b"%PDF")
    assert sorted(LedgerEntry.objects.values_list("book", "kind", "amount")) == [
        ("balance", "redeem", Decimal("10.00")), ("voucher", "issue", Decimal("10.00")),
        ("voucher", "redeem", Decimal("-10.00")),
    ]  # fmt: skip


def test_amount_zero_is_compensated_without_a_voucher():
    affected = AffectedCustomerFactory(compensated=True, amount=Decimal("0"))

    assert affected.compensation.amount == 0 and affected.voucher is None
    assert not Voucher.objects.exists()


def _rows():
    return (
        list(Customer.objects.order_by("number").values_list("number", "name", "language", "currency")),
        list(Contact.objects.order_by("email").values_list("customer__number", "email", "role")),
        list(
            Exposure.objects.order_by("account__name").values_list(
                "customer__number", "account__name", "affected_seconds", "intervals", "servers"
            )
        ),
        list(Compensation.objects.order_by("customer__number").values_list("customer__number", "amount", "status")),
        list(Voucher.objects.order_by("code").values_list("customer__number", "code", "amount", "status")),
    )


def test_a_batch_in_bulk_holds_the_same_rows_as_customers_created_one_by_one():
    incident = IncidentFactory()
    codes = [f"ABCD2345EFGH{n}" for n in ("2222", "3333", "4444")]
    AffectedCustomerFactory.create_batch(
        3, incident=incident, language=factory.Iterator(["de", "fr"]), accounts=[CHRISTMAS, DST],
        code=factory.Iterator(codes), with_voucher=True,
    )  # fmt: skip
    in_bulk = _rows()
    Voucher.objects.all().delete()
    Compensation.objects.all().delete()
    Exposure.objects.all().delete()
    HostingAccount.objects.all().delete()
    Customer.objects.all().delete()  # contacts go with them
    AffectedCustomerFactory.reset_sequence()

    for n, language in enumerate(["de", "fr", "de"]):
        AffectedCustomerFactory(
            incident=incident, language=language, accounts=[CHRISTMAS, DST], code=codes[n], with_voucher=True
        )

    assert _rows() == in_bulk
    assert len(in_bulk[2]) == 6 and len(in_bulk[4]) == 3
