"""The customer credit ledger: append-only bookings, balances as sums."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.models import Customer, LedgerEntry
from accounts.portal_version import portal_changed


class AlreadyBooked(Exception):
    """A booking with this reference exists: the business event was booked before."""


def ledger_book(
    *,
    customer: Customer,
    book: str,
    kind: str,
    amount: Decimal,
    currency: str,
    reference: str,
    memo: str = "",
) -> LedgerEntry:
    """Append one entry. The ``reference`` makes it idempotent: a second booking of the same
    reference raises ``AlreadyBooked`` and leaves the ledger as it was."""
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                customer=customer,
                book=book,
                kind=kind,
                amount=amount,
                currency=currency,
                reference=reference,
                memo=memo[:255],
            )
            portal_changed(customer_ids=[customer.pk])  # balances and history
            return entry
    except IntegrityError as exc:
        if LedgerEntry.objects.filter(reference=reference).exists():
            raise AlreadyBooked(reference) from exc
        raise


def ledger_balances(*, customer: Customer, book: str = LedgerEntry.Book.BALANCE) -> dict[str, Decimal]:
    """Balance of one book per currency, e.g. ``{"CHF": Decimal("25.00")}``."""
    rows = (
        LedgerEntry.objects.filter(customer=customer, book=book)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: row["total"] for row in rows}
