"""Replays the ledger findings: TRUNCATE emptied it, `flush` emptied it, and the application
connected as a role that could disable the trigger. Now the application role of
deploy/postgres/init-roles.sql (run here as shipped, with psql) can add bookings and nothing else."""

import secrets
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import LedgerEntry
from accounts.services.ledger import ledger_book
from tests.factories import CustomerFactory

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "init-roles.sql"


def _book(reference: str = "t:1") -> LedgerEntry:
    return ledger_book(
        customer=CustomerFactory(), book="voucher", kind="issue", amount=Decimal("25.00"), currency="CHF",
        reference=reference,
    )  # fmt: skip


@pytest.mark.postgres
def test_truncate_is_refused_while_the_ledger_holds_rows(db):
    _book()
    refused = pytest.raises(DatabaseError, match="append-only: TRUNCATE refused")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the booking's deferred checks done first
        cursor.execute("TRUNCATE accounts_ledgerentry CASCADE")
    assert LedgerEntry.objects.count() == 1


def test_flush_is_refused_while_the_ledger_holds_rows(db):
    _book()
    with pytest.raises(CommandError, match="flush refused: the credit ledger holds bookings"):
        call_command("flush", interactive=False, verbosity=0)
    assert LedgerEntry.objects.count() == 1


@pytest.fixture
def app_role(transactional_db):
    """The application role, created by the shipped script on the test database."""
    if not shutil.which("psql"):
        pytest.fail("psql is needed to run deploy/postgres/init-roles.sql as shipped")
    db = connection.settings_dict
    role, password = f"hn_app_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    env = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    command = [
        "psql", "-X", "-q", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"],
        "-d", db["NAME"], "-v", f"app_role={role}", "-v", f"app_password={password}", "-f", str(SCRIPT),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    yield {**db, "USER": role, "PASSWORD": password}
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def _as(role: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=role["HOST"] or "127.0.0.1", port=role["PORT"] or 5432, dbname=role["NAME"], user=role["USER"],
        password=role["PASSWORD"], autocommit=True,
    )  # fmt: skip


@pytest.mark.postgres
def test_the_application_role_books_but_cannot_rewrite_empty_or_unguard_the_ledger(app_role):
    entry = _book()
    refused = {}
    with _as(app_role) as conn:
        # it is a working application role: it reads and appends
        assert conn.execute("SELECT count(*) FROM accounts_ledgerentry").fetchone() == (1,)
        conn.execute(
            "INSERT INTO accounts_ledgerentry (customer_id, book, kind, amount, currency, reference, memo, created_at) "
            "VALUES (%s, 'voucher', 'adjust', 1.00, 'CHF', 't:2', '', now())",
            [entry.customer_id],
        )
        attempts = {
            "update": "UPDATE accounts_ledgerentry SET amount = 1000",
            "delete": "DELETE FROM accounts_ledgerentry",
            "truncate": "TRUNCATE accounts_ledgerentry",
            "disable trigger": "ALTER TABLE accounts_ledgerentry DISABLE TRIGGER USER",
            "replica mode": "SET session_replication_role = replica",
            "drop trigger": "DROP TRIGGER accounts_ledger_append_only ON accounts_ledgerentry",
        }
        for name, sql in attempts.items():
            with pytest.raises(psycopg.Error) as error:
                conn.execute(sql)
            refused[name] = type(error.value).__name__
    assert refused == {
        "update": "InsufficientPrivilege",  # the trigger
        "delete": "InsufficientPrivilege",  # the trigger
        "truncate": "InsufficientPrivilege",  # no privilege (and the trigger)
        "disable trigger": "InsufficientPrivilege",  # must be owner
        "replica mode": "InsufficientPrivilege",  # superuser only
        "drop trigger": "InsufficientPrivilege",  # must be owner
    }
    assert sorted(LedgerEntry.objects.values_list("reference", "amount")) == [
        ("t:1", Decimal("25.00")),
        ("t:2", Decimal("1.00")),
    ]
