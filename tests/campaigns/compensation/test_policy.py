"""The pure compensation rules: tiers, minimum, rounding, pro-rata, explanation."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.compensation.policy import (
    DEFAULT_PRORATA_PARAMS,
    DEFAULT_TIERS_PARAMS,
    AccountInput,
    PolicyInvalid,
    customer_amount,
    parse_policy,
    round_money,
)

H = 3600
TIERS = parse_policy("tiers", DEFAULT_TIERS_PARAMS)
PRORATA = parse_policy("prorata", DEFAULT_PRORATA_PARAMS)


def one(seconds, fee="100.00", rules=TIERS, month_hours=744):
    account = AccountInput("web1", Decimal(fee), seconds, "server19", month_hours)
    return customer_amount(rules, [account], "CHF")


@pytest.mark.parametrize(
    ("seconds", "tier", "amount"),
    [
        (59 * 60, "none", "0.00"),
        (H - 1, "none", "0.00"),
        (H, "1h", "10.00"),
        (8 * H - 1, "1h", "10.00"),
        (8 * H, "8h", "25.00"),
        (24 * H - 1, "8h", "25.00"),
        (24 * H, "24h", "50.00"),
        (72 * H - 1, "24h", "50.00"),
        (72 * H, "72h", "100.00"),
        (30 * 24 * H, "72h", "100.00"),
    ],
)
def test_tier_boundaries_are_inclusive_lower_bounds(seconds, tier, amount):
    result = one(seconds)

    assert (result.tier, result.amount) == (tier, Decimal(amount))


def test_below_every_tier_gives_zero_without_minimum():
    result = one(59 * 60, fee="20.00")

    assert result.amount == Decimal("0.00")
    assert result.explanation["minimum_applied"] is False


def test_minimum_applies_to_a_positive_subtotal():
    # 10 % of 20.00 = 2.00 → raised to the minimum of 5.00
    result = one(2 * H, fee="20.00")

    assert result.amount == Decimal("5.00")
    assert result.explanation["subtotal"] == "2.00"
    assert result.explanation["minimum_applied"] is True


@pytest.mark.parametrize(
    ("fee", "amount"),
    [("123.40", "30.85"), ("123.45", "30.90"), ("99.99", "25.00"), ("100.30", "25.10")],
)
def test_rounding_up_to_the_next_five_cents(fee, amount):
    # 25 % of 123.40 = 30.85 exactly; 123.45 → 30.8625 → share 30.86 → 30.90; 99.99 → 24.9975 → 25.00
    assert one(10 * H, fee=fee).amount == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "step", "mode", "expected"),
    [
        ("30.81", "0.05", "up", "30.85"),
        ("30.85", "0.05", "up", "30.85"),
        ("30.86", "0.05", "down", "30.85"),
        ("30.875", "0.05", "half_up", "30.90"),
        ("2.005", "0.01", "half_up", "2.01"),
        ("7.01", "1", "up", "8.00"),
    ],
)
def test_round_money(amount, step, mode, expected):
    assert round_money(Decimal(amount), Decimal(step), mode) == Decimal(expected)


def test_round_money_refuses_unknown_mode_and_zero_step():
    with pytest.raises(PolicyInvalid):
        round_money(Decimal("1"), Decimal("0.05"), "sideways")
    with pytest.raises(PolicyInvalid):
        round_money(Decimal("1"), Decimal("0"), "up")


def test_customer_sums_accounts_and_explains_each():
    accounts = [
        AccountInput("web2", Decimal("40.00"), 25 * H, "server19, server20"),
        AccountInput("web1", Decimal("30.00"), 2 * H, "server19"),
    ]

    result = customer_amount(TIERS, accounts, "EUR")

    assert result.amount == Decimal("23.00")  # 3.00 + 20.00
    assert result.tier == "24h"
    assert result.affected_seconds == 25 * H
    assert result.explanation == {
        "kind": "tiers",
        "currency": "EUR",
        "accounts": [
            {
                "account": "web1",
                "servers": "server19",
                "seconds": 7200,
                "fee": "30.00",
                "tier": "1h",
                "percent": "10",
                "share": "3.00",
            },
            {
                "account": "web2",
                "servers": "server19, server20",
                "seconds": 90000,
                "fee": "40.00",
                "tier": "24h",
                "percent": "50",
                "share": "20.00",
            },
        ],
        "subtotal": "23.00",
        "minimum": "5.00",
        "minimum_applied": False,
        "rounding": {"step": "0.05", "mode": "up", "before": "23.00"},
        "amount": "23.00",
    }
    json.dumps(result.explanation)  # JSON-serialisable as stored


def test_prorata_share_of_the_month_with_cap():
    # 48 h of a 744-hour month at 74.40 a month = 4.80 → minimum 5.00
    assert one(48 * H, fee="74.40", rules=PRORATA).amount == Decimal("5.00")
    # 372 h = half the month of 100.00 → 50.00
    half = one(372 * H, fee="100.00", rules=PRORATA)
    assert half.amount == Decimal("50.00")
    assert half.explanation["accounts"][0]["hours"] == "372.00"
    # factor 3 over half a month would be 150 % of the fee: capped at 100 %
    capped = one(372 * H, fee="100.00", rules=parse_policy("prorata", {**DEFAULT_PRORATA_PARAMS, "factor": "3"}))
    assert capped.amount == Decimal("100.00")
    assert capped.explanation["accounts"][0]["capped"] is True


def test_prorata_needs_the_month_length():
    with pytest.raises(PolicyInvalid):
        one(H, rules=PRORATA, month_hours=0)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("tiers", {"tiers": []}),
        ("tiers", {"tiers": [[1, 50], [8, 10]]}),
        ("tiers", {"tiers": [[0, 10]]}),
        ("tiers", {**DEFAULT_TIERS_PARAMS, "step": "0"}),
        ("tiers", {**DEFAULT_TIERS_PARAMS, "minimum": "-1"}),
        ("tiers", {**DEFAULT_TIERS_PARAMS, "rounding": "banker"}),
        ("prorata", {"factor": "abc"}),
        ("lottery", {}),
    ],
)
def test_parse_policy_refuses_bad_parameters(kind, params):
    with pytest.raises(PolicyInvalid):
        parse_policy(kind, params)


accounts_strategy = st.lists(
    st.tuples(
        st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False),
        st.integers(min_value=1, max_value=40 * 24 * H),
    ),
    min_size=1,
    max_size=5,
)


def _inputs(pairs, extra=0):
    return [AccountInput(f"web{i}", fee, seconds + extra, "s", 744) for i, (fee, seconds) in enumerate(pairs)]


@pytest.mark.parametrize("rules", [TIERS, PRORATA], ids=["tiers", "prorata"])
@given(pairs=accounts_strategy, extra=st.integers(min_value=0, max_value=10 * 24 * H))
def test_amount_is_non_negative_a_multiple_of_the_step_and_monotone(rules, pairs, extra):
    shorter = customer_amount(rules, _inputs(pairs), "CHF").amount
    longer = customer_amount(rules, _inputs(pairs, extra), "CHF").amount

    assert shorter >= 0
    assert shorter % rules.step == 0
    assert longer >= shorter
