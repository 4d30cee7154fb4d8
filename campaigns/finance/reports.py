"""Finance reports: what was issued, redeemed, expired, voided and is still owed, per currency.

The money figures come from the ledger, which is the truth; the vouchers (status and amount) give
the breakdowns. ``reconciliation`` compares the two and lists every difference instead of hiding
it. Every selector is set-based: a fixed number of GROUP BY queries, whatever the number of
compensations.

Ledger entries belong to a voucher by their reference, ``voucher:{id}:{event}`` (issue, topup,
redeem…, expire, void); that is how a report is limited to one incident.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat, StrIndex, Substr, TruncDate
from django.utils.translation import gettext as _

from accounts.models import LedgerEntry
from accounts.private_apis import planner_settings, queryset_sql
from campaigns.compensation.models import Compensation, Voucher
from campaigns.incidents.models import Incident
from campaigns.offers.models import Redemption

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
VOUCHER_BOOK = LedgerEntry.Book.VOUCHER
Kind = LedgerEntry.Kind
REFERENCE_PREFIX = "voucher:"
REDEMPTION_FORMS = tuple(book for book in LedgerEntry.Book.values if book != VOUCHER_BOOK)


def form_label(form: str) -> str:
    """A redemption form as staff read it ("account balance", "service extension", …)."""
    return str(LedgerEntry.Book(form).label) if form in LedgerEntry.Book.values else form


@contextmanager
def report_session():
    """One transaction for a report's GROUP BYs; on PostgreSQL its sorts and hashes get enough
    memory to stay off disk (the server default of 4 MB spills at 100,000 compensations)."""
    # jit: compiling costs ~1 s, more than it saves here. enable_mergejoin: the planner
    # overestimates the breakdowns' joins tenfold (unnest) and then sorts 150,000 wide rows for a
    # merge join; hashing them is twice as fast.
    with transaction.atomic(), planner_settings(work_mem="64MB", jit="off", enable_mergejoin="off"):
        yield


def money(value) -> Decimal:
    """A database sum as Decimal with cents (SQLite hands raw sums back as floats)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)


# --- scoping -----------------------------------------------------------------------------------


def _voucher_id_of_reference():
    rest = Concat(Substr("reference", len(REFERENCE_PREFIX) + 1), Value(":"))
    return Cast(Substr(rest, 1, StrIndex(rest, Value(":")) - 1), BigIntegerField())


class _VoucherId(TypedDict):
    voucher_id: int


def voucher_ledger_entries(incident: Incident | None = None) -> QuerySet[WithAnnotations[LedgerEntry, _VoucherId]]:
    """Ledger entries booked for a voucher, annotated with its ``voucher_id``; only those of the
    incident's vouchers when one is given."""
    entries = LedgerEntry.objects.filter(reference__regex=r"^voucher:[0-9]+(:|$)").annotate(
        voucher_id=_voucher_id_of_reference()
    )
    if incident is not None:
        entries = entries.filter(voucher_id__in=Voucher.objects.filter(compensation__incident=incident).values("id"))
    return entries


def _ledger_scope(incident: Incident | None) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.all() if incident is None else voucher_ledger_entries(incident)


def _vouchers(incident: Incident | None) -> QuerySet[Voucher]:
    return Voucher.objects.all() if incident is None else Voucher.objects.filter(compensation__incident=incident)


# --- ledger totals -----------------------------------------------------------------------------


@dataclass
class LedgerTotals:
    """One currency's movements of the voucher book, all as positive amounts except ``adjusted``."""

    currency: str
    issued: Decimal = ZERO  # issue + topup
    redeemed: Decimal = ZERO  # taken out of the voucher book by redemption
    expired: Decimal = ZERO
    void: Decimal = ZERO
    adjusted: Decimal = ZERO  # signed
    outstanding: Decimal = ZERO  # the voucher book's balance
    redeemed_by_form: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(REDEMPTION_FORMS, ZERO))
    counts: dict[str, int] = field(default_factory=dict)  # voucher-book entries per kind

    @property
    def computed_outstanding(self) -> Decimal:
        return self.issued - self.redeemed - self.expired - self.void + self.adjusted

    @property
    def redeemed_into_forms(self) -> Decimal:
        return sum(self.redeemed_by_form.values(), ZERO)


def fold_ledger_rows(rows) -> dict[str, LedgerTotals]:
    """``(book, kind, currency, total, count)`` rows of a GROUP BY → totals per currency."""
    totals: dict[str, LedgerTotals] = {}
    for book, kind, currency, total, count in rows:
        t = totals.setdefault(currency, LedgerTotals(currency))
        amount = money(total)
        if book == VOUCHER_BOOK:
            t.outstanding += amount
            t.counts[kind] = t.counts.get(kind, 0) + count
            if kind in (Kind.ISSUE, Kind.TOPUP):
                t.issued += amount
            elif kind == Kind.REDEEM:
                t.redeemed -= amount
            elif kind == Kind.EXPIRE:
                t.expired -= amount
            elif kind == Kind.VOID:
                t.void -= amount
            else:
                t.adjusted += amount
        elif kind == Kind.REDEEM:
            t.redeemed_by_form[book] = t.redeemed_by_form.get(book, ZERO) + amount
    return dict(sorted(totals.items()))


def ledger_totals(*, incident: Incident | None = None, day_rows=None) -> dict[str, LedgerTotals]:
    """Totals per currency; from ``ledger_day_rows`` when given (the report reads the ledger once)."""
    if day_rows is not None:
        return fold_ledger_rows(row[1:] for row in day_rows)
    rows = (
        _ledger_scope(incident)
        .values("book", "kind", "currency")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by()
        .values_list("book", "kind", "currency", "total", "n")
    )
    return fold_ledger_rows(rows)


def ledger_totals_by_incident() -> dict[int | None, dict[str, LedgerTotals]]:
    """Per incident (None: entries of vouchers that no longer exist), one GROUP BY. The ledger rows
    join their voucher on the id parsed from the reference, which the ORM cannot join on."""
    entries = voucher_ledger_entries().values("voucher_id", "book", "kind", "currency", "amount")
    inner, params = queryset_sql(entries)
    sql = (
        f"SELECT c.incident_id, le.book, le.kind, le.currency, SUM(le.amount), COUNT(*) FROM ({inner}) le "
        f"LEFT JOIN {Voucher._meta.db_table} v ON v.id = le.voucher_id "
        f"LEFT JOIN {Compensation._meta.db_table} c ON c.id = v.compensation_id "
        "GROUP BY c.incident_id, le.book, le.kind, le.currency"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    grouped: dict[int | None, list] = defaultdict(list)
    for incident_id, *rest in rows:
        grouped[incident_id].append(rest)
    return {incident_id: fold_ledger_rows(group) for incident_id, group in grouped.items()}


# --- voucher and compensation totals -------------------------------------------------------------


@dataclass
class VoucherTotals:
    currency: str
    amount_by_status: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(Voucher.Status.values, ZERO))
    count_by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Voucher.Status.values, 0))
    redeemed_by_form: dict[str, Decimal] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        return sum(self.amount_by_status.values(), ZERO)

    @property
    def count(self) -> int:
        return sum(self.count_by_status.values())


def voucher_totals(*, incident: Incident | None = None) -> dict[str, VoucherTotals]:
    rows = (
        _vouchers(incident)
        .values("currency", "status", "redeemed_form")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by()
        .values_list("currency", "status", "redeemed_form", "total", "n")
    )
    totals: dict[str, VoucherTotals] = {}
    for currency, status, form, total, count in rows:
        t = totals.setdefault(currency, VoucherTotals(currency))
        t.amount_by_status[status] = t.amount_by_status.get(status, ZERO) + money(total)
        t.count_by_status[status] = t.count_by_status.get(status, 0) + count
        if status == Voucher.Status.REDEEMED:
            t.redeemed_by_form[form] = t.redeemed_by_form.get(form, ZERO) + money(total)
    # What a redemption could not turn into whole months or a partner code went to the balance.
    rests = (
        Redemption.objects.filter(voucher__in=_vouchers(incident), rest__gt=0)
        .values("currency", "form")
        .annotate(total=Sum("rest"))
        .order_by()
        .values_list("currency", "form", "total")
    )
    for currency, form, total in rests:
        t = totals.setdefault(currency, VoucherTotals(currency))
        t.redeemed_by_form[form] = t.redeemed_by_form.get(form, ZERO) - money(total)
        t.redeemed_by_form["balance"] = t.redeemed_by_form.get("balance", ZERO) + money(total)
    return dict(sorted(totals.items()))


def compensation_totals(*, incident: Incident | None = None) -> list[dict]:
    """Per currency and status: customers compensated, of them with amount zero, and the sum."""
    scope = Compensation.objects.all() if incident is None else Compensation.objects.filter(incident=incident)
    rows = (
        scope.values("currency", "status")
        .annotate(customers=Count("id"), zero=Count("id", filter=Q(amount=0)), total=Sum("amount"))
        .order_by("currency", "status")
    )
    return [{**row, "total": money(row["total"])} for row in rows]


# --- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    label: str
    currency: str
    ledger: Decimal | int
    other: Decimal | int  # what the vouchers (or the report's arithmetic) say

    @property
    def difference(self) -> Decimal | int:
        return self.other - self.ledger

    @property
    def ok(self) -> bool:
        return self.difference == 0


def reconcile(ledger: dict[str, LedgerTotals], vouchers: dict[str, VoucherTotals]) -> list[Check]:
    """Every identity the books and the vouchers must satisfy, per currency. Pure."""
    checks: list[Check] = []
    for currency in sorted(set(ledger) | set(vouchers)):
        led = ledger.get(currency, LedgerTotals(currency))
        vou = vouchers.get(currency, VoucherTotals(currency))
        status = vou.amount_by_status
        counts = vou.count_by_status
        add = checks.append
        add(Check(_("issued − redeemed − expired − void ± adjustments = voucher book balance"), currency,
                  led.outstanding, led.computed_outstanding))  # fmt: skip
        add(Check(_("taken out of the voucher book = credited to the redemption forms"), currency,
                  led.redeemed, led.redeemed_into_forms))  # fmt: skip
        add(Check(_("vouchers issued = issued in the ledger"), currency, led.issued, vou.amount))
        add(Check(_("open vouchers = voucher book balance"), currency, led.outstanding, status["issued"]))
        add(Check(_("redeemed vouchers = redeemed in the ledger"), currency, led.redeemed, status["redeemed"]))
        add(Check(_("expired vouchers = expired in the ledger"), currency, led.expired, status["expired"]))
        add(Check(_("void vouchers = voided in the ledger"), currency, led.void, status["void"]))
        for form in sorted(set(led.redeemed_by_form) | set(vou.redeemed_by_form)):
            add(Check(_("redeemed as %(form)s") % {"form": form_label(form)}, currency,
                      led.redeemed_by_form.get(form, ZERO), vou.redeemed_by_form.get(form, ZERO)))  # fmt: skip
        add(Check(_("number of vouchers = issue and top-up entries"), currency,
                  led.counts.get(Kind.ISSUE, 0) + led.counts.get(Kind.TOPUP, 0), vou.count))  # fmt: skip
        add(Check(_("number of redeemed vouchers = redeem entries"), currency,
                  led.counts.get(Kind.REDEEM, 0), counts["redeemed"]))  # fmt: skip
        add(Check(_("number of expired vouchers = expire entries"), currency,
                  led.counts.get(Kind.EXPIRE, 0), counts["expired"]))  # fmt: skip
        add(Check(_("number of void vouchers = void entries"), currency, led.counts.get(Kind.VOID, 0), counts["void"]))
    return checks


# --- charts' data --------------------------------------------------------------------------------


def ledger_day_rows(*, incident: Incident | None = None) -> list[tuple]:
    """``(local day, book, kind, currency, total, count)`` of the incident's (or every) ledger entry:
    one scan from which ``ledger_totals``, ``redemptions_by_day`` and ``outstanding_by_day`` all
    fold, instead of one scan each (the voucher scope parses every reference)."""
    return list(
        _ledger_scope(incident)
        .annotate(day=TruncDate("created_at"))
        .values("day", "book", "kind", "currency")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("day", "book", "kind", "currency")
        .values_list("day", "book", "kind", "currency", "total", "n")
    )


def redemptions_by_day(*, incident: Incident | None = None, day_rows=None) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Amounts credited per local day, per ``"{currency} {form}"``."""
    rows = ledger_day_rows(incident=incident) if day_rows is None else day_rows
    per_day: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for day, book, kind, currency, total, _n in rows:
        if kind == Kind.REDEEM and book != VOUCHER_BOOK:
            days = per_day[f"{currency} {book}"]
            days[day] = days.get(day, ZERO) + money(total)
    return {series: list(days.items()) for series, days in per_day.items()}


def outstanding_by_day(*, incident: Incident | None = None, day_rows=None) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """``{currency: [(local day, voucher book balance at its end), …]}`` on the days it changed."""
    rows = ledger_day_rows(incident=incident) if day_rows is None else day_rows
    moves: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for day, book, _kind, currency, total, _n in rows:
        if book == VOUCHER_BOOK:
            days = moves[currency]
            days[day] = days.get(day, ZERO) + money(total)
    series: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for currency, days in moves.items():
        balance = ZERO
        points = series[currency] = []
        for day, amount in days.items():
            balance += amount
            points.append((day, balance))
    return series


def voucher_amount_counts(*, incident: Incident | None = None) -> dict[str, list[tuple[Decimal, int]]]:
    """``{currency: [(amount, how many vouchers), …]}``; amounts are few, vouchers many."""
    rows = (
        _vouchers(incident)
        .values("currency", "amount")
        .annotate(n=Count("id"))
        .order_by("currency", "amount")
        .values_list("currency", "amount", "n")
    )
    counts: dict[str, list[tuple[Decimal, int]]] = defaultdict(list)
    for currency, amount, n in rows:
        counts[currency].append((money(amount), n))
    return dict(counts)


# --- the whole report ----------------------------------------------------------------------------


@dataclass
class FinanceReport:
    incident: Incident | None
    ledger: dict[str, LedgerTotals]
    vouchers: dict[str, VoucherTotals]
    compensations: list[dict]
    checks: list[Check]

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.ledger) | set(self.vouchers))

    @property
    def reconciled(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def differences(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def finance_report(*, incident: Incident | None = None, day_rows=None) -> FinanceReport:
    """Totals and reconciliation of one incident (or all): four queries (three with
    ``ledger_day_rows`` read already)."""
    ledger = ledger_totals(incident=incident, day_rows=day_rows)
    vouchers = voucher_totals(incident=incident)
    return FinanceReport(
        incident=incident,
        ledger=ledger,
        vouchers=vouchers,
        compensations=compensation_totals(incident=incident),
        checks=reconcile(ledger, vouchers),
    )
