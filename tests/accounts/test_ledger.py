"""The ledger is append-only at the database on PostgreSQL."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import LedgerEntry
from accounts.services.ledger import ledger_book
from tests.factories import CustomerFactory


@pytest.mark.postgres
def test_trigger_refuses_update_and_delete(db):
    entry = ledger_book(
        customer=CustomerFactory(),
        book="voucher",
        kind="issue",
        amount=Decimal("25.00"),
        currency="CHF",
        reference="t:1",
    )

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1000.00"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_ledgerentry WHERE id = %s", [entry.pk])

    entry.refresh_from_db()
    assert entry.amount == Decimal("25.00")


def test_amount_zero_is_refused_by_a_check_constraint(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_book(
            customer=CustomerFactory(),
            book="voucher",
            kind="issue",
            amount=Decimal("0"),
            currency="CHF",
            reference="t:0",
        )

    assert not LedgerEntry.objects.exists()
