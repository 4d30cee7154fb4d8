"""Set-based writes: one INSERT for any number of rows on PostgreSQL, ``bulk_create`` elsewhere.

On PostgreSQL the rows travel as one binary array per column, bound server-side and unnested by
the server; that is ~8x faster than letting the driver quote 100,000 values into the SQL text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from django.db import connection, models


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """Insert ``rows`` (tuples in ``columns`` order; attnames such as ``customer_id``).

    With ``returning``, the inserted rows' values of those columns come back in no particular
    order (match them on a natural key)."""
    if not rows:
        return []
    fields = {f.attname: f for f in model._meta.concrete_fields}
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [tuple(getattr(obj, c) for c in returning) for obj in objects] if returning else []

    types = [fields[c].db_type(connection) for c in columns]
    arrays = []
    for column, db_type in zip(zip(*rows, strict=True), types, strict=True):
        values = list(column)
        if db_type == "jsonb":
            values = [json.dumps(v) for v in values]
        arrays.append(values)
    quote = connection.ops.quote_name
    names = ", ".join(quote(fields[c].column) for c in columns)
    select = ", ".join(f"u.c{i}::{t}" for i, t in enumerate(types))
    unnest = ", ".join(f"%b::{_array_type(t)}" for t in types)
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {select} FROM unnest({unnest}) AS u({aliases})"
    if returning:
        sql += " RETURNING " + ", ".join(quote(fields[c].column) for c in returning)
    return execute_with_arrays(sql, arrays, fetch=bool(returning))


def execute_with_arrays(sql: str, params: Sequence, *, fetch: bool = False) -> list[tuple]:
    """Run one statement on Django's connection (same transaction) with server-side binding.

    Django's own cursors bind client-side; big array parameters need the server-side kind. The
    statement is added to Django's query log so query counts stay honest."""
    import psycopg

    connection.ensure_connection()
    started = time.monotonic()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if fetch else []
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return rows


def _array_type(db_type: str) -> str:
    base = db_type.split("(")[0].strip()
    if base in {"varchar", "character varying", "jsonb"}:
        base = "text"  # JSON travels as text and is cast per element
    if base == "bigserial":
        base = "bigint"
    return base + "[]"


def lookup_ids(model: type[models.Model], key: str, values) -> dict:
    """``{key value: id}`` for the given natural keys, in one statement whatever their number."""
    values = list(values)
    if not values:
        return {}
    if connection.vendor != "postgresql" or len(values) < 1000:
        found = {}
        for start in range(0, len(values), 900):  # SQLite's variable limit
            chunk = values[start : start + 900]
            found.update(model.objects.filter(**{f"{key}__in": chunk}).values_list(key, "id"))
        return found
    field = model._meta.get_field(key)
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote(field.column)}, id FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(field.column)} = ANY(%b::{_array_type(field.db_type(connection))})"
    )
    return dict(execute_with_arrays(sql, [values], fetch=True))
