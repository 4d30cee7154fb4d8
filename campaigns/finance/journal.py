"""The accounting journal: each voucher credit movement of the ledger as a double-entry line.

Account numbers come from settings (``HOSTNOTIFY["ACCOUNTS"]``, environment ``HOSTNOTIFY_ACCOUNT_*``).
The mapping is a pure rule; ``journal_lines`` reads the ledger in one streamed query.

- issue / top-up: compensation expense to voucher liability;
- redemption: voucher liability to the chosen form's account (customer balance, service
  extension, partner vouchers) — booked from the form's entry, so each redemption is one line;
- expiry: voucher liability to expired-voucher income; void: voucher liability back to expense;
- voucher-book adjustments either way. Other bookings are not voucher credit and not journalled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns.finance.reports import voucher_ledger_entries
from campaigns.incidents.models import Incident

Book, Kind = LedgerEntry.Book, LedgerEntry.Kind
JOURNAL_HEADERS = ("date", "debit_account", "credit_account", "amount", "currency", "reference", "text")


@dataclass(frozen=True)
class JournalLine:
    date: dt.date
    debit: str
    credit: str
    amount: Decimal
    currency: str
    reference: str
    text: str

    def as_row(self) -> tuple:
        return (self.date, self.debit, self.credit, self.amount, self.currency, self.reference, self.text)


def journal_accounts(book: str, kind: str, amount: Decimal, accounts: dict[str, str]) -> tuple[str, str] | None:
    """(debit, credit) for one ledger entry, or None when the entry is not journalled."""
    expense, liability = accounts["EXPENSE"], accounts["LIABILITY"]
    if book == Book.VOUCHER:
        if kind in (Kind.ISSUE, Kind.TOPUP):
            return expense, liability
        if kind == Kind.EXPIRE:
            return liability, accounts["EXPIRED"]
        if kind == Kind.VOID:
            return liability, expense
        if kind == Kind.ADJUST:
            return (expense, liability) if amount > 0 else (liability, expense)
        return None  # the redemption's line comes from the form's entry
    if kind == Kind.REDEEM:
        return liability, accounts[book.upper()]
    return None


def journal_lines(
    *, incident: Incident | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> Iterator[JournalLine]:
    """Journal lines in booking order; ``since``/``until`` are inclusive local dates."""
    accounts = settings.HOSTNOTIFY["ACCOUNTS"]
    entries = voucher_ledger_entries(incident)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    rows = entries.order_by("created_at", "id").values_list(
        "created_at", "book", "kind", "amount", "currency", "reference", "memo"
    )
    for created_at, book, kind, amount, currency, reference, memo in rows.iterator(chunk_size=10_000):
        pair = journal_accounts(book, kind, amount, accounts)
        if pair is None:
            continue
        yield JournalLine(
            date=timezone.localtime(created_at).date(),
            debit=pair[0],
            credit=pair[1],
            amount=abs(amount),
            currency=currency,
            reference=reference,
            text=f"{LedgerEntry.Kind(kind).label}: {memo}" if memo else str(LedgerEntry.Kind(kind).label),
        )
