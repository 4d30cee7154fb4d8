"""What billing imports: one row per amount booked — balance credits (rests included), extensions
with account, months and new paid-until date, partner codes handed out, donations — whose totals
equal the ledger's; and the journal books each form on its own account."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.models import LedgerEntry
from campaigns.finance.export import ExportRefused, finance_export
from campaigns.finance.journal import journal_lines
from campaigns.finance.reports import finance_report
from campaigns.models import PartnerPool, Redemption
from campaigns.portal.redemption import voucher_redeem
from tests.campaigns.offers.world import ORGANISATION, upload, world

pytestmark = pytest.mark.django_db
D = Decimal
BOOK_OF_TYPE = {"balance_credit": "balance", "service_extension": "extension", "partner_code": "partner",
                "donation": "donation"}  # fmt: skip


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


@pytest.fixture
def redeemed():
    """Eight customers, two per form, with rests from extensions and partner codes."""
    upload(value="50.00", count=5)
    pool = PartnerPool.objects.get()
    done = []
    for amount in ("77.00", "30.15"):
        for form in ("balance", "extension", "partner", "donation"):
            w = world(amount=amount)
            key = {"extension": f"extension:{w.account.name}", "partner": f"partner:{pool.pk}"}.get(form, form)
            if form == "partner" and D(amount) < 50:
                key = "balance"
            voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=key)
            done.append(w)
    return done


def test_billing_totals_equal_the_ledger(redeemed):
    rows = _rows(finance_export(fmt="billing").content)

    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[BOOK_OF_TYPE[row["type"]], row["currency"]] += D(row["amount"])
    ledger = {
        (row["book"], row["currency"]): row["total"]
        for row in LedgerEntry.objects.filter(kind="redeem").exclude(book="voucher")
        .values("book", "currency").annotate(total=Sum("amount")).order_by()
    }  # fmt: skip
    assert dict(totals) == ledger
    assert sum(totals.values()) == D("77.00") * 4 + D("30.15") * 4
    assert finance_report().reconciled, finance_report().differences


def test_billing_rows_say_what_billing_needs(redeemed):
    rows = _rows(finance_export(fmt="billing").content)
    extension = next(r for r in rows if r["type"] == "service_extension" and r["amount"] == "74.70")
    assert (extension["months"], extension["paid_until"], extension["account"].startswith("web-pro-")) == (
        "3", "2027-03-31", True,
    )  # fmt: skip
    rest = next(r for r in rows if r["reference"] == extension["reference"] and r["type"] == "balance_credit")
    assert rest["amount"] == "2.30"
    partner = next(r for r in rows if r["type"] == "partner_code")
    assert (partner["partner"], partner["face_value"], partner["partner_code"][:5]) == ("Digitec", "50.00", "DG50-")
    assert partner["partner_code"] == Redemption.objects.get(form="partner").partner_code.code
    donation = next(r for r in rows if r["type"] == "donation")
    assert donation["organisation"] == ORGANISATION


def test_billing_covers_the_period_asked_for(redeemed):
    old = Redemption.objects.order_by("id").first()
    Redemption.objects.filter(pk=old.pk).update(created_at=dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC))

    january = _rows(finance_export(fmt="billing", since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31)).content)
    later = _rows(finance_export(fmt="billing", since=dt.date(2026, 2, 1)).content)

    assert {r["reference"] for r in january} == {f"voucher:{old.voucher_id}"}
    assert f"voucher:{old.voucher_id}" not in {r["reference"] for r in later}


def test_donations_per_organisation(redeemed):
    rows = _rows(finance_export(fmt="donations").content)
    assert rows == [{"organisation": ORGANISATION, "currency": "CHF", "donations": "2", "total": "107.15"}]


def test_the_journal_books_each_form_on_its_own_account(redeemed, settings):
    accounts = settings.HOSTNOTIFY["ACCOUNTS"]
    credited = {line.credit for line in journal_lines() if line.debit == accounts["LIABILITY"]}
    assert {accounts["BALANCE"], accounts["EXTENSION"], accounts["PARTNER"], accounts["DONATION"]} <= credited


def test_billing_is_over_every_incident():
    with pytest.raises(ExportRefused):
        finance_export(fmt="billing", incident=world().incident)
