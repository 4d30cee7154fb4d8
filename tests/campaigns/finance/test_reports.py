"""Finance report selectors: ledger totals, voucher totals, reconciliation, breakdowns, chart data."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry
from campaigns.finance.breakdowns import BreakdownRow, breakdown
from campaigns.finance.reports import (
    finance_report,
    ledger_totals_by_incident,
    redemptions_by_day,
    voucher_amount_counts,
)
from campaigns.models import Voucher

D = Decimal


def test_incident_report_totals_come_from_the_ledger(books):
    report = finance_report(incident=books["storage"])

    chf, eur = report.ledger["CHF"], report.ledger["EUR"]
    assert (chf.issued, chf.redeemed, chf.expired, chf.void, chf.outstanding) == (D("75"), D("50"), 0, D("5"), D("20"))
    assert chf.redeemed_by_form == {"balance": D("50.00"), "extension": 0, "partner": 0, "donation": 0}
    assert (eur.issued, eur.redeemed, eur.expired, eur.void, eur.outstanding) == (D("10"), 0, D("10"), 0, 0)
    assert report.currencies == ["CHF", "EUR"]
    assert report.reconciled, report.differences


def test_overall_report_adds_every_incident(books):
    report = finance_report()

    chf = report.ledger["CHF"]
    assert (chf.issued, chf.outstanding) == (D("175.00"), D("120.00"))
    assert report.vouchers["CHF"].count_by_status == {"issued": 2, "redeemed": 1, "expired": 0, "void": 1}
    assert report.reconciled


def test_totals_by_incident_split_the_ledger(books):
    by_incident = ledger_totals_by_incident()

    assert by_incident[books["storage"].pk]["CHF"].outstanding == D("20.00")
    assert by_incident[books["other"].pk]["CHF"].outstanding == D("100.00")
    assert set(by_incident) == {books["storage"].pk, books["other"].pk}


def test_reconciliation_shows_a_voucher_changed_without_booking(books):
    # given a voucher marked redeemed behind the ledger's back
    Voucher.objects.filter(pk=books["v1"].pk).update(status="redeemed", redeemed_form="balance")

    report = finance_report(incident=books["storage"])

    differences = {(c.label, c.currency): (c.ledger, c.other, c.difference) for c in report.differences}
    assert differences == {
        ("open vouchers = voucher book balance", "CHF"): (D("20.00"), D("0.00"), D("-20.00")),
        ("redeemed vouchers = redeemed in the ledger", "CHF"): (D("50.00"), D("70.00"), D("20.00")),
        ("redeemed as account balance", "CHF"): (D("50.00"), D("70.00"), D("20.00")),
        ("number of redeemed vouchers = redeem entries", "CHF"): (1, 2, 1),
    }


def test_reconciliation_shows_a_booking_without_voucher_change(books):
    LedgerEntry.objects.create(
        customer=books["v1"].customer, book="voucher", kind="adjust", amount=D("-1.00"), currency="CHF",
        reference=f"voucher:{books['v1'].pk}:adjust:1",
    )  # fmt: skip

    report = finance_report(incident=books["storage"])

    assert [(c.label, c.difference) for c in report.differences] == [("open vouchers = voucher book balance", D("1"))]
    assert report.ledger["CHF"].adjusted == D("-1.00")


def test_report_queries_do_not_grow(books, django_assert_num_queries):
    with django_assert_num_queries(4):
        finance_report(incident=books["storage"])
    with django_assert_num_queries(1):
        breakdown(dimension="server", incident=books["storage"])


def test_breakdown_by_server_counts_a_customer_under_each_of_its_servers(books):
    rows = breakdown(dimension="server", incident=books["storage"])

    assert rows == [
        BreakdownRow("s1", "CHF", 2, 2, D("25"), 0, 0, D("5"), D("20")),
        BreakdownRow("s2", "CHF", 2, 2, D("70"), D("50"), 0, 0, D("20")),
        BreakdownRow("s3", "EUR", 1, 1, D("10"), 0, D("10"), 0, 0),
    ]


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("volume", [("volA", "CHF", 3, D("75")), ("volB", "EUR", 1, D("10"))]),
        (
            "product",
            [
                ("Managed Server", "CHF", 1, D("20")),
                ("Webhosting Pro", "CHF", 3, D("75")),
                ("Webhosting Pro", "EUR", 1, D("10")),
            ],
        ),  # fmt: skip
        ("language", [("de", "CHF", 2, D("25")), ("en", "EUR", 1, D("10")), ("fr", "CHF", 1, D("50"))]),
        ("tier", [("10%", "CHF", 2, D("25")), ("10%", "EUR", 1, D("10")), ("25%", "CHF", 1, D("50"))]),
    ],
)
def test_breakdowns(books, dimension, expected):
    rows = breakdown(dimension=dimension, incident=books["storage"])

    assert [(r.label, r.currency, r.customers, r.issued) for r in rows] == expected


def test_overall_breakdown_covers_every_incident(books):
    rows = breakdown(dimension="volume")

    assert [(r.label, r.currency, r.customers, r.outstanding) for r in rows] == [
        ("volA", "CHF", 3, D("20")),
        ("volB", "CHF", 1, D("100")),
        ("volB", "EUR", 1, D("0")),
    ]


def test_unknown_breakdown_is_refused(db):
    with pytest.raises(ValueError, match="unknown breakdown 'colour'"):
        breakdown(dimension="colour")


def test_chart_data(books):
    series = redemptions_by_day(incident=books["storage"])
    amounts = voucher_amount_counts(incident=books["storage"])

    assert list(series) == ["CHF balance"]
    assert [value for _, value in series["CHF balance"]] == [D("50.00")]
    assert amounts == {"CHF": [(D("5.00"), 1), (D("20.00"), 1), (D("50.00"), 1)], "EUR": [(D("10.00"), 1)]}
