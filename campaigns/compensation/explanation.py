"""Reading a stored compensation explanation for the portal: pure, no ORM.

``Compensation.explanation`` is written by ``campaigns.compensation.policy.customer_amount``::

    {"kind": "tiers"|"prorata", "currency": "CHF",
     "accounts": [{"account", "servers", "seconds", "fee", "tier", "share",
                   tiers: "percent"; prorata: "hours", "month_hours", "factor", "capped"}],
     "subtotal", "minimum", "minimum_applied", "rounding": {"step", "mode", "before"}, "amount",
     and what accepted claims added (``claim_credits``): "claims": [{"kind", "noted_at", "account",
     "start", "end" | "amount", "currency"}], "goodwill", "total"}

Amounts are strings there; here they become ``Decimal`` for the template, which puts them into
translated sentences. Missing keys read as None, so older explanations still render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class AccountShare:
    account: str
    servers: str
    seconds: int
    fee: Decimal | None
    share: Decimal | None
    tier_reached: bool
    percent: Decimal | None = None
    hours: Decimal | None = None
    month_hours: int | None = None
    factor: Decimal | None = None
    capped: bool = False


@dataclass(frozen=True)
class ClaimNote:
    """Something an accepted claim added: downtime of an account, or a goodwill amount."""

    kind: str  # "downtime" | "goodwill"
    noted_at: dt.datetime | None
    account: str = ""
    seconds: int = 0
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class ExplanationView:
    kind: str = ""
    accounts: list[AccountShare] = field(default_factory=list)
    subtotal: Decimal | None = None
    minimum: Decimal | None = None
    minimum_applied: bool = False
    step: Decimal | None = None
    rounded_up: bool = False
    before_rounding: Decimal | None = None
    amount: Decimal | None = None
    claims: list[ClaimNote] = field(default_factory=list)
    goodwill: Decimal | None = None


def _when(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _claim_notes(rows) -> list[ClaimNote]:
    notes = []
    for row in rows or []:
        start, end = _when(row.get("start")), _when(row.get("end"))
        notes.append(
            ClaimNote(
                kind=str(row.get("kind", "")),
                noted_at=_when(row.get("noted_at")),
                account=str(row.get("account", "")),
                seconds=int((end - start).total_seconds()) if start and end else 0,
                amount=_decimal(row.get("amount")),
                currency=str(row.get("currency", "")),
            )
        )
    return notes


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def explanation_view(explanation: dict | None) -> ExplanationView:
    data = explanation or {}
    kind = data.get("kind", "")
    accounts = []
    for row in data.get("accounts") or []:
        servers = row.get("servers", "")
        accounts.append(
            AccountShare(
                account=str(row.get("account", "")),
                servers=", ".join(servers) if isinstance(servers, list | tuple) else str(servers),
                seconds=int(row.get("seconds") or 0),
                fee=_decimal(row.get("fee")),
                share=_decimal(row.get("share")),
                tier_reached=kind == "prorata" or row.get("tier") not in (None, "", "none"),
                percent=_decimal(row.get("percent")),
                hours=_decimal(row.get("hours")),
                month_hours=row.get("month_hours"),
                factor=_decimal(row.get("factor")),
                capped=bool(row.get("capped")),
            )
        )
    rounding = data.get("rounding") or {}
    before, amount = _decimal(rounding.get("before")), _decimal(data.get("amount"))
    return ExplanationView(
        kind=kind,
        accounts=accounts,
        subtotal=_decimal(data.get("subtotal")),
        minimum=_decimal(data.get("minimum")),
        minimum_applied=bool(data.get("minimum_applied")),
        step=_decimal(rounding.get("step")),
        rounded_up=before is not None and amount is not None and amount != before,
        before_rounding=before,
        amount=amount,
        claims=_claim_notes(data.get("claims")),
        goodwill=_decimal(data.get("goodwill")),
    )
