"""What a customer's compensation is computed from, read set-based: each account's policy input
(fee, downtime, servers) and its exposure's intervals, and the digest that tells when any of it
changed since the compensation was stored."""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from campaigns.compensation import policy as rules_mod
from campaigns.incidents.models import Exposure, Incident


def _month_hours(first_start: str | None) -> int:
    """Hours in the (UTC) month in which the account's outage began; ``YYYY-MM`` is all it needs."""
    return _hours_in_month(first_start[:7]) if first_start else 0


@lru_cache(maxsize=256)
def _hours_in_month(year_month: str) -> int:
    year, month = int(year_month[:4]), int(year_month[5:7])
    return calendar.monthrange(year, month)[1] * 24


@dataclass(frozen=True)
class CustomerInputs:
    """What a customer's amount and explanation depend on: each account's policy input and its
    exposure's intervals (``[start, end, server]``, as the letter lists them)."""

    customer_id: int
    currency: str
    accounts: list[rules_mod.AccountInput]
    intervals: list[list]  # per account, in the order of ``accounts``


def exposure_groups(incident: Incident) -> Iterator[CustomerInputs]:
    """One query: the incident's exposure with each account's fee and its customer's currency."""
    rows = (
        Exposure.objects.filter(incident=incident)
        .order_by("customer_id", "account_id")
        .values_list(
            "customer_id",
            "customer__currency",
            "account__name",
            "account__monthly_fee",
            "affected_seconds",
            "servers",
            "intervals",
        )
        .iterator(chunk_size=20_000)
    )
    for (customer_id, currency), group in groupby(rows, key=itemgetter(0, 1)):
        accounts, intervals = [], []
        for _, _, name, fee, seconds, servers, pieces in group:
            accounts.append(
                rules_mod.AccountInput(
                    account=name,
                    fee=fee,
                    affected_seconds=seconds,
                    servers=", ".join(servers),
                    month_hours=_month_hours(pieces[0][0] if pieces else None),
                )
            )
            intervals.append(pieces)
        yield CustomerInputs(customer_id, currency, accounts, intervals)


def inputs_digest(policy_id: int, inputs: CustomerInputs) -> str:
    """Changes whenever anything the amount *or the letter* says changes: a window that moved
    but kept its length changes it too (issue 12: its customer gets a correction).
    Migration 0013 rewrote the digests stored before the intervals were part of it."""
    key = repr(
        (
            policy_id,
            inputs.currency,
            [
                (a.account, str(a.fee), a.affected_seconds, a.servers, a.month_hours, [tuple(p) for p in pieces])
                for a, pieces in zip(inputs.accounts, inputs.intervals, strict=True)
            ],
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()
