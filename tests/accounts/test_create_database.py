"""``create_database`` (run by ``make demo`` before ``migrate``): the database ``DATABASE_URL``
names is created when PostgreSQL lacks it, left alone when it exists; a server that does not
answer is one line, not a traceback."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@pytest.fixture
def missing_database():
    name = f"test_create_database_{uuid.uuid4().hex[:12]}"
    yield name
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_creates_the_missing_database_once(missing_database, monkeypatch, capsys):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "NAME", missing_database)
    assert not _exists(missing_database)

    call_command("create_database")
    call_command("create_database")  # exists now: nothing to do, nothing printed

    assert _exists(missing_database)
    assert capsys.readouterr().out == f"created the PostgreSQL database {missing_database}\n"


def test_a_server_that_does_not_answer_is_one_line(monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "PORT", 1)
    with pytest.raises(CommandError, match=r"^cannot create the database '.+': connection failed: .+$"):
        call_command("create_database")
