"""The accounting journal: each voucher credit movement of the ledger as a double-entry line.

Account numbers come from settings (``HOSTNOTIFY["ACCOUNTS"]``, environment ``HOSTNOTIFY_ACCOUNT_*``).
The mapping is a pure rule; ``journal_lines`` reads the ledger in one streamed query.

- issue / top-up: compensation expense to voucher liability;
- redemption: voucher liability to the chosen form's account (customer balance, service
  extension, partner vouchers) — booked from the form's entry, so each redemption is one line;
- expiry: voucher liability to expired-voucher income; void: voucher liability back to expense;
- voucher-book adjustments either way. Other bookings are not voucher credit and not journalled.

The text of a line is written in the provider's language (``LANGUAGE_CODE``), whoever exports it,
and names the customer, the incident and the voucher by its full code, so that accounting can
trace a line without the console; the ledger's reference and the customer number have columns
of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import pgettext

from accounts.models import LedgerEntry
from campaigns.compensation.codes import format_code
from campaigns.compensation.models import Voucher
from campaigns.finance.reports import voucher_ledger_entries
from campaigns.incidents.models import Incident

Book, Kind = LedgerEntry.Book, LedgerEntry.Kind
JOURNAL_HEADERS = (
    "date", "debit_account", "credit_account", "amount", "currency", "reference", "text", "customer_number",
)  # fmt: skip


@dataclass(frozen=True)
class JournalLine:
    date: dt.date
    debit: str
    credit: str
    amount: Decimal
    currency: str
    reference: str
    text: str
    customer_number: str

    def as_row(self) -> tuple:
        return (
            self.date, self.debit, self.credit, self.amount, self.currency, self.reference, self.text,
            self.customer_number,
        )  # fmt: skip


@dataclass(frozen=True)
class JournalPhrases:
    """The words of the journal's texts in one language, looked up once per export."""

    line: str
    reason: str
    kinds: dict[str, str]
    books: dict[str, str]

    @classmethod
    def in_language(cls, language: str) -> JournalPhrases:
        with translation.override(language):
            return cls(
                line=pgettext(
                    "accounting journal",
                    "Voucher %(what)s, customer %(customer)s, incident %(incident)s, voucher %(code)s",
                ),
                reason=pgettext("accounting journal", "; reason: %(reason)s"),
                kinds={value: str(label) for value, label in Kind.choices},
                books={value: str(label) for value, label in Book.choices},
            )

    def text(self, *, kind: str, book: str, customer: str, incident: str, code: str, memo: str) -> str:
        """E.g. "Gutschein eingelöst (Kontoguthaben), Kunde 100042, Vorfall xmas-2005, Gutschein
        ABCD-EFGH-JKLM-NPQR"; a void carries its reason."""
        what = self.kinds[kind] if book == Book.VOUCHER else f"{self.kinds[kind]} ({self.books[book]})"
        text = self.line % {
            "what": what,
            "customer": customer,
            "incident": incident,
            "code": format_code(code) if code else "–",
        }
        if kind == Kind.VOID and memo:
            text += self.reason % {"reason": memo}
        return text


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
    voucher = Voucher.objects.filter(pk=OuterRef("voucher_id"))
    rows = (
        entries.annotate(
            code=Subquery(voucher.values("code")[:1]),
            incident_slug=Subquery(voucher.values("compensation__incident__slug")[:1]),
        )
        .order_by("created_at", "id")
        .values_list(
            "created_at",
            "book",
            "kind",
            "amount",
            "currency",
            "reference",
            "memo",
            "customer__number",
            "code",
            "incident_slug",
        )  # fmt: skip
    )
    phrases = JournalPhrases.in_language(settings.LANGUAGE_CODE)
    for created_at, book, kind, amount, currency, reference, memo, number, code, slug in rows.iterator(
        chunk_size=10_000
    ):
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
            text=phrases.text(kind=kind, book=book, customer=number, incident=slug or "–", code=code or "", memo=memo),
            customer_number=number,
        )
