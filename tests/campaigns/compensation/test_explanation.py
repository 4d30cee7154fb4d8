"""Reading stored explanations for the portal."""

from decimal import Decimal

from campaigns.compensation.explanation import explanation_view
from campaigns.compensation.policy import AccountInput, customer_amount, parse_policy


def test_reads_a_tiers_explanation_from_the_policy():
    rules = parse_policy("tiers", {"tiers": [[1, 10], [8, 25]], "minimum": "5.00", "step": "0.05", "rounding": "up"})
    result = customer_amount(
        rules,
        [
            AccountInput(account="web1", servers="server19", affected_seconds=9 * 3600, fee=Decimal("12.30")),
            AccountInput(account="web2", servers="server20", affected_seconds=600, fee=Decimal("40.00")),
        ],
        "CHF",
    )
    view = explanation_view(result.explanation)
    assert [(a.account, a.servers, a.seconds, a.tier_reached, a.percent, a.share) for a in view.accounts] == [
        ("web1", "server19", 32400, True, Decimal("25"), Decimal("3.08")),
        ("web2", "server20", 600, False, Decimal("0"), Decimal("0.00")),
    ]
    assert (view.subtotal, view.minimum_applied, view.minimum, view.amount) == (
        Decimal("3.08"),
        True,
        Decimal("5.00"),
        Decimal("5.00"),
    )
    assert view.rounded_up is False


def test_rounding_up_is_noticed():
    view = explanation_view({"amount": "7.35", "rounding": {"step": "0.05", "before": "7.32"}})
    assert view.rounded_up is True and view.step == Decimal("0.05")


def test_empty_or_foreign_explanations_read_as_nothing():
    assert explanation_view(None).accounts == []
    assert explanation_view({"accounts": [{"account": "x", "fee": "n/a"}]}).accounts[0].fee is None
