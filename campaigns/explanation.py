"""Reading a stored compensation explanation for the portal: pure, no ORM.

``Compensation.explanation`` is written by the policy (``campaigns.policy``); this turns it into
plain values the portal template puts into sentences. Unknown keys are ignored, so an older
policy version's explanation still reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class AccountShare:
    account: str
    servers: str
    seconds: int
    tier: str
    percent: Decimal | None
    fee: Decimal | None
    share: Decimal | None


@dataclass(frozen=True)
class ExplanationView:
    accounts: list[AccountShare] = field(default_factory=list)
    subtotal: Decimal | None = None
    minimum: Decimal | None = None
    minimum_applied: bool = False
    step: Decimal | None = None
    amount: Decimal | None = None
    policy: str = ""


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _first(data: dict, *keys, default=None):
    for key in keys:
        if key in data and data[key] not in (None, ""):
            return data[key]
    return default


def explanation_view(explanation: dict | None) -> ExplanationView:
    data = explanation or {}
    accounts = []
    for row in _first(data, "accounts", "lines", default=[]) or []:
        servers = _first(row, "servers", "server", default="")
        accounts.append(
            AccountShare(
                account=str(_first(row, "account", "account_name", default="")),
                servers=", ".join(servers) if isinstance(servers, list | tuple) else str(servers),
                seconds=int(_first(row, "affected_seconds", "seconds", default=0) or 0),
                tier=str(_first(row, "tier", "tier_label", default="")),
                percent=_decimal(_first(row, "percent", "share_percent", "rate")),
                fee=_decimal(_first(row, "monthly_fee", "fee")),
                share=_decimal(_first(row, "share", "amount", "subtotal")),
            )
        )
    subtotal = _decimal(_first(data, "subtotal", "sum", "raw_total"))
    minimum = _decimal(_first(data, "minimum", "minimum_amount"))
    minimum_applied = bool(_first(data, "minimum_applied", default=False))
    return ExplanationView(
        accounts=accounts,
        subtotal=subtotal,
        minimum=minimum,
        minimum_applied=minimum_applied,
        step=_decimal(_first(data, "step", "rounding_step")),
        amount=_decimal(_first(data, "amount", "total")),
        policy=str(_first(data, "policy", default="")),
    )
