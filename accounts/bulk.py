"""Set-based writes: one INSERT for any number of rows on PostgreSQL (arrays unnested on the
server), ``bulk_create`` in batches elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """Insert ``rows`` (tuples in ``columns`` order; attnames such as ``customer_id``).

    With ``returning``, the inserted rows' values of those columns are returned in no particular
    order (match them on a natural key)."""
    if not rows:
        return []
    fields = {f.attname: f for f in model._meta.concrete_fields}
    if connection.vendor == "postgresql":
        types = [fields[c].db_type(connection) for c in columns]
        arrays = [list(values) for values in zip(*rows, strict=True)]
        placeholders = ", ".join(f"%s::{_array_type(t)}" for t in types)
        names = ", ".join(connection.ops.quote_name(fields[c].column) for c in columns)
        select = ", ".join(f"u.c{i}::{t}" for i, t in enumerate(types))
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        sql = (
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) "
            f"SELECT {select} FROM unnest({placeholders}) AS u({aliases})"
        )
        if returning:
            sql += " RETURNING " + ", ".join(connection.ops.quote_name(fields[c].column) for c in returning)
        with connection.cursor() as cursor:
            cursor.execute(sql, arrays)
            return cursor.fetchall() if returning else []
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=1000)
    return [tuple(getattr(obj, c) for c in returning) for obj in objects] if returning else []


def _array_type(db_type: str) -> str:
    base = db_type.split("(")[0].strip()
    if base in {"varchar", "character varying"}:
        base = "text"
    if base == "bigserial":
        base = "bigint"
    if base.startswith("numeric"):
        base = "numeric"
    if base == "jsonb":
        base = "text"  # sent as JSON text, cast per element in the SELECT
    return base + "[]"
