"""Every use of a library's private or undocumented API, in one place.

An upgrade of Django, psycopg, PostgreSQL or WeasyPrint has this one module to check; each
function has a test of its own (``tests/accounts/test_private_apis.py``) that fails when the
internal it leans on changes. The rest of the code calls these functions and nothing behind them.
It lives in ``accounts`` because both ``accounts`` and ``campaigns`` use it and ``accounts`` may
not import ``campaigns``.

- Django's query compiler: a queryset's SQL to embed in a larger statement, and Django's value
  conversions applied to rows fetched by such a statement.
- Django's connection internals: the raw psycopg connection (binary parameters), the backend's
  datetime adaptation, the queries log.
- PostgreSQL planner settings and statistics: ``SET LOCAL`` for a report's transaction,
  ``ANALYZE`` of tables whose statistics are stale.
- WeasyPrint: the user-agent stylesheet hook.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# --- Django's query compiler ---------------------------------------------------------------------


def queryset_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters Django would send for ``queryset``, to embed as a subquery.

    Public ``str(queryset.query)`` interpolates the parameters; this keeps them apart."""
    return queryset.query.sql_with_params()


class EmbeddedQuery:
    """A ``values_list`` queryset compiled once, for a statement that embeds it and reads its rows.

    ``sql``/``params``: the compiled query. ``convert(rows)``: Django's conversions (JSON, decimals,
    SQLite datetimes, …) applied to rows fetched by the embedding statement, in the column order of
    the queryset; columns after those pass through unchanged."""

    def __init__(self, queryset: QuerySet):
        self._compiler = queryset.query.get_compiler(connection=connection)
        self.sql, self.params = self._compiler.as_sql()

    def convert(self, rows: list) -> list:
        return list(self._compiler.results_iter(results=[rows]))


# --- Django's connection internals ---------------------------------------------------------------


def db_datetime(value: dt.datetime) -> Any:
    """An aware datetime as this backend stores it, for a parameter of hand-written SQL."""
    return connection.ops.adapt_datetimefield_value(value)


def execute_binary(sql: str, params: Sequence[Any], *, fetch: bool = False) -> list[tuple]:
    """One statement with binary parameters on Django's PostgreSQL connection (same transaction).

    Django's cursor binds parameters client-side, quoting every array element in Python (~70 µs
    a text value); binary parameters of a psycopg cursor on the raw connection cost ~1 µs. Errors
    surface as Django's (``IntegrityError``, …) and the statement is logged like Django's own, so
    ``assertNumQueries`` and the debug toolbar still count it."""
    import psycopg

    connection.ensure_connection()
    start = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        rows = [tuple(row) for row in cursor.fetchall()] if fetch else []
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
    return rows


# --- PostgreSQL planner settings and statistics --------------------------------------------------


@contextmanager
def planner_settings(**values: str) -> Iterator[None]:
    """``SET LOCAL name = value`` for the rest of the current transaction (PostgreSQL only; a no-op
    elsewhere). Call inside ``transaction.atomic()``: outside a transaction SET LOCAL does nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name, value in values.items():
                # set_config(…, true) is SET LOCAL with the value as a parameter.
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield


def analyze_stale(tables: Sequence[str], *, growing: dict[str, int] | None = None) -> list[str]:
    """ANALYZE those of ``tables`` whose planner statistics are missing or more than 10 % out of date;
    return their names (PostgreSQL only; elsewhere nothing).

    The activity counters lag (a backend reports them at most once a second): ``growing`` names
    tables that just got rows, with their number, judged against the table's size at its last
    ANALYZE."""
    if connection.vendor != "postgresql":
        return []
    growing = growing or {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "LEFT JOIN unnest(%s::text[], %s::bigint[]) AS g(relname, added) ON g.relname = s.relname "
            "WHERE s.relname = ANY(%s) AND ((s.last_analyze IS NULL AND s.last_autoanalyze IS NULL) "
            "OR s.n_mod_since_analyze > 0.1 * GREATEST(s.n_live_tup, 1000) "
            "OR COALESCE(g.added, 0) > 0.1 * GREATEST(c.reltuples, 1000)) ORDER BY s.relname",
            [list(growing), list(growing.values()), list(tables)],
        )
        stale = [name for (name,) in cursor.fetchall()]
        if stale:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(name) for name in stale))
    return stale


# --- WeasyPrint ------------------------------------------------------------------------------


def html_class_with_user_agent_css(user_agent_css: Any) -> type:
    """A ``weasyprint.HTML`` subclass that uses ``user_agent_css`` (a ``weasyprint.CSS``) instead of
    WeasyPrint's default user-agent stylesheet, whose thousands of rules cost a third of a small
    document's rendering. WeasyPrint (pinned 70.0) has no public option for it; should the private
    hook go away, the default stylesheet applies again and only speed is lost."""
    from weasyprint import HTML

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [user_agent_css]

    return LeanHTML
