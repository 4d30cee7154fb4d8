"""Compensation rules: pure money maths, no ORM and no clock.

A policy is data (``CompensationPolicy.kind`` + ``params``); ``parse_policy`` turns it into a
``Rules`` value and ``customer_amount`` computes one customer's amount with an explanation that
mails, the portal and PDFs can put into words in any language. Amounts are ``Decimal``; the only
rounding happens in ``round_money``: each account's share to cents (half up), then the customer's
total to the policy's step in the policy's mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

CENTS = Decimal("0.01")
HUNDRED = Decimal("100")
SECONDS_PER_HOUR = Decimal("3600")
NO_TIER = "none"
PRORATA_TIER = "prorata"

ROUNDING_MODES = {"up": ROUND_CEILING, "down": ROUND_FLOOR, "half_up": ROUND_HALF_UP}

DEFAULT_TIERS_PARAMS = {
    "tiers": [[1, 10], [8, 25], [24, 50], [72, 100]],
    "minimum": "5.00",
    "step": "0.05",
    "rounding": "up",
}
DEFAULT_PRORATA_PARAMS = {"factor": "1", "cap": "100", "minimum": "5.00", "step": "0.05", "rounding": "up"}


class PolicyInvalid(ValueError):
    """The parameters do not describe a usable policy (message says which one and why)."""


@dataclass(frozen=True)
class Rules:
    kind: str  # "tiers" | "prorata"
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (lower bound in hours, percent of fee), ascending
    factor: Decimal = Decimal("1")
    cap_percent: Decimal = HUNDRED  # pro-rata: an account's share is at most this percent of its fee
    minimum: Decimal = Decimal("0")
    step: Decimal = Decimal("0.05")
    rounding: str = "up"


@dataclass(frozen=True)
class AccountInput:
    account: str
    fee: Decimal
    affected_seconds: int
    servers: str = ""
    month_hours: int = 0  # pro-rata: hours in the month the account's outage began (e.g. 744)


@dataclass(frozen=True)
class CustomerAmount:
    amount: Decimal
    tier: str  # the highest tier any account reached, NO_TIER, or PRORATA_TIER
    affected_seconds: int  # the longest outage among the customer's accounts
    explanation: dict


def round_money(amount: Decimal, step: Decimal | str = CENTS, mode: str = "half_up") -> Decimal:
    """``amount`` rounded to a multiple of ``step``: ``mode`` "up" (ceiling), "down" or "half_up"."""
    step = Decimal(step)
    if step <= 0:
        raise PolicyInvalid("rounding step must be positive")
    try:
        rounding = ROUNDING_MODES[mode]
    except KeyError:
        raise PolicyInvalid(f"unknown rounding mode {mode!r}") from None
    units = (Decimal(amount) / step).quantize(Decimal("1"), rounding=rounding)
    return (units * step).quantize(CENTS, rounding=ROUND_DOWN)


def _decimal(params: Mapping, key: str, default) -> Decimal:
    try:
        value = Decimal(str(params.get(key, default)))
    except (InvalidOperation, TypeError, ValueError):
        raise PolicyInvalid(f"{key}: not a number") from None
    if not value.is_finite() or value < 0:
        raise PolicyInvalid(f"{key}: must be a number ≥ 0")
    return value


def parse_policy(kind: str, params: Mapping) -> Rules:
    """Validate stored parameters; raises ``PolicyInvalid`` with a readable reason."""
    if not isinstance(params, Mapping):
        raise PolicyInvalid("parameters must be an object")
    minimum = _decimal(params, "minimum", "0")
    step = _decimal(params, "step", "0.05")
    if step == 0:
        raise PolicyInvalid("step: must be positive")
    rounding = params.get("rounding", "up")
    if rounding not in ROUNDING_MODES:
        raise PolicyInvalid(f"rounding: one of {', '.join(ROUNDING_MODES)}")
    if kind == "tiers":
        raw = params.get("tiers")
        if not isinstance(raw, list) or not raw:
            raise PolicyInvalid("tiers: a list of [hours, percent] pairs")
        try:
            tiers = tuple(sorted((Decimal(str(hours)), Decimal(str(percent))) for hours, percent in raw))
        except (InvalidOperation, TypeError, ValueError):
            raise PolicyInvalid("tiers: a list of [hours, percent] pairs") from None
        if any(hours <= 0 or percent < 0 for hours, percent in tiers):
            raise PolicyInvalid("tiers: hours must be positive and percents ≥ 0")
        if len({hours for hours, _ in tiers}) != len(tiers):
            raise PolicyInvalid("tiers: each lower bound once")
        if any(later[1] < earlier[1] for earlier, later in zip(tiers, tiers[1:], strict=False)):
            raise PolicyInvalid("tiers: a longer outage must not earn a lower percent")
        return Rules(kind=kind, tiers=tiers, minimum=minimum, step=step, rounding=rounding)
    if kind == "prorata":
        return Rules(
            kind=kind,
            factor=_decimal(params, "factor", "1"),
            cap_percent=_decimal(params, "cap", "100"),
            minimum=minimum,
            step=step,
            rounding=rounding,
        )
    raise PolicyInvalid(f"unknown policy kind {kind!r}")


def tier_label(hours: Decimal) -> str:
    return f"{hours.normalize():f}h"


@lru_cache(maxsize=16)
def _tier_ranks(tiers: tuple[tuple[Decimal, Decimal], ...]) -> dict[str, int]:
    return {tier_label(hours): rank for rank, (hours, _) in enumerate(tiers)}


@lru_cache(maxsize=64)
def _labels(tiers: tuple[tuple[Decimal, Decimal], ...]) -> tuple[tuple[Decimal, str, Decimal], ...]:
    return tuple((hours * SECONDS_PER_HOUR, tier_label(hours), percent) for hours, percent in tiers)


def _tier_for(seconds: int, tiers: Sequence[tuple[Decimal, Decimal]]) -> tuple[str, Decimal]:
    """The highest tier whose lower bound (inclusive) the duration reaches."""
    reached = (NO_TIER, Decimal("0"))
    for bound, label, percent in _labels(tuple(tiers)):
        if seconds >= bound:
            reached = (label, percent)
    return reached


def _account_line(rules: Rules, item: AccountInput) -> tuple[dict, Decimal, str]:
    fee = Decimal(item.fee)
    line = {
        "account": item.account,
        "servers": item.servers,
        "seconds": int(item.affected_seconds),
        "fee": str(fee.quantize(CENTS)),
    }
    if rules.kind == "tiers":
        tier, percent = _tier_for(item.affected_seconds, rules.tiers)
        share = round_money(fee * percent / HUNDRED, CENTS, "half_up")
        line.update(tier=tier, percent=f"{percent.normalize():f}")
    else:
        tier = PRORATA_TIER
        if item.month_hours <= 0:
            raise PolicyInvalid(f"{item.account}: hours in the month are needed for a pro-rata policy")
        hours = Decimal(item.affected_seconds) / SECONDS_PER_HOUR
        raw = fee * hours / Decimal(item.month_hours) * rules.factor
        cap = fee * rules.cap_percent / HUNDRED
        share = round_money(min(raw, cap), CENTS, "half_up")
        line.update(
            tier=tier,
            hours=str(hours.quantize(CENTS, rounding=ROUND_HALF_UP)),
            month_hours=int(item.month_hours),
            factor=f"{rules.factor.normalize():f}",
            capped=raw > cap,
        )
    line["share"] = str(share)
    return line, share, tier


def customer_amount(rules: Rules, accounts: Sequence[AccountInput], currency: str) -> CustomerAmount:
    """One customer's compensation from their affected accounts (fees in ``currency``).

    Per account its share; the subtotal is their sum; a positive subtotal is raised to the
    minimum; the result is rounded to the step. A duration below every tier gives 0.
    """
    lines = []
    subtotal = Decimal("0.00")
    best_rank, tier = -1, NO_TIER
    ranks = _tier_ranks(rules.tiers)
    for item in sorted(accounts, key=lambda a: a.account):
        line, share, account_tier = _account_line(rules, item)
        lines.append(line)
        subtotal += share
        rank = ranks.get(account_tier, -1 if account_tier == NO_TIER else len(ranks))
        if rank > best_rank:
            best_rank, tier = rank, account_tier
    minimum_applied = Decimal("0") < subtotal < rules.minimum
    before_rounding = rules.minimum if minimum_applied else subtotal
    amount = round_money(before_rounding, rules.step, rules.rounding) if before_rounding > 0 else Decimal("0.00")
    explanation = {
        "kind": rules.kind,
        "currency": currency,
        "accounts": lines,
        "subtotal": str(subtotal),
        "minimum": str(rules.minimum.quantize(CENTS)),
        "minimum_applied": minimum_applied,
        "rounding": {"step": str(rules.step), "mode": rules.rounding, "before": str(before_rounding.quantize(CENTS))},
        "amount": str(amount),
    }
    seconds = max((int(a.affected_seconds) for a in accounts), default=0)
    return CustomerAmount(amount=amount, tier=tier, affected_seconds=seconds, explanation=explanation)
