"""Pure rules of the forms: month arithmetic at month ends and in leap years, whole months and
remainders, the partner code that fits."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.offers.rules import (
    ChoiceKey,
    Split,
    extension_split,
    months_later,
    parse_choice,
    partner_fit,
    partner_split,
)

D = Decimal


@pytest.mark.parametrize(
    ("base", "months", "expected"),
    [
        (dt.date(2007, 1, 31), 1, dt.date(2007, 2, 28)),  # no 31 February
        (dt.date(2008, 1, 31), 1, dt.date(2008, 2, 29)),  # leap year
        (dt.date(2007, 1, 30), 1, dt.date(2007, 2, 28)),
        (dt.date(2007, 1, 15), 1, dt.date(2007, 2, 15)),
        (dt.date(2007, 2, 28), 1, dt.date(2007, 3, 31)),  # paid to a month's end stays at month ends
        (dt.date(2008, 2, 29), 12, dt.date(2009, 2, 28)),
        (dt.date(2008, 2, 28), 1, dt.date(2008, 3, 28)),  # not the month's end in a leap year
        (dt.date(2006, 12, 31), 3, dt.date(2007, 3, 31)),
        (dt.date(2006, 11, 30), 3, dt.date(2007, 2, 28)),
        (dt.date(2006, 4, 30), 1, dt.date(2006, 5, 31)),
        (dt.date(2006, 3, 31), 1, dt.date(2006, 4, 30)),
        (dt.date(2006, 8, 15), 0, dt.date(2006, 8, 15)),
        (dt.date(2006, 8, 15), 24, dt.date(2008, 8, 15)),
    ],
)
def test_months_later(base, months, expected):
    assert months_later(base, months) == expected


def test_months_later_refuses_negative_months():
    with pytest.raises(ValueError):
        months_later(dt.date(2006, 1, 1), -1)


@pytest.mark.parametrize(
    ("amount", "fee", "expected"),
    [
        (D("77.00"), D("24.90"), Split(3, D("74.70"), D("2.30"))),
        (D("24.90"), D("24.90"), Split(1, D("24.90"), D("0.00"))),
        (D("24.89"), D("24.90"), Split(0, D("0.00"), D("24.89"))),
        (D("100.00"), D("9.90"), Split(10, D("99.00"), D("1.00"))),
        (D("5.00"), D("0.00"), Split(0, D("0.00"), D("5.00"))),  # a free account cannot be extended
        (D("0.05"), D("0.01"), Split(5, D("0.05"), D("0.00"))),
    ],
)
def test_extension_split_whole_months_and_the_rest(amount, fee, expected):
    split = extension_split(amount, fee)
    assert split == expected
    assert split.amount + split.rest == amount


@pytest.mark.parametrize(
    ("amount", "values", "expected"),
    [
        (D("77.00"), [D("20"), D("50"), D("100")], D("50")),
        (D("50.00"), [D("20"), D("50")], D("50")),
        (D("19.95"), [D("20"), D("50")], None),
        (D("30.00"), [], None),
    ],
)
def test_partner_fit_takes_the_largest_value_that_fits(amount, values, expected):
    assert partner_fit(amount, values) == expected


def test_partner_split():
    assert partner_split(D("77.00"), D("50")) == Split(1, D("50.00"), D("27.00"))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("balance", ChoiceKey("balance")),
        ("extension:web000123", ChoiceKey("extension", "web000123")),
        ("partner:7", ChoiceKey("partner", "7")),
        ("", ChoiceKey("")),
    ],
)
def test_choice_keys_round_trip(text, key):
    assert parse_choice(text) == key
    assert str(key) == text
