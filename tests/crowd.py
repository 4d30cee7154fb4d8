"""A crowd around one customer, built set-based: an incident of tens of thousands of customers in
a few seconds, for the tests that check that a customer's pages do not grow with the incident.

``crowd_clone`` copies a customer and everything hanging off it (contacts, hosting accounts,
exposures, compensations, vouchers, ledger entries) ``count`` times with one ``INSERT … SELECT``
per table, so the copies look exactly like the original to every query (same incident, same
shapes) and only the unique columns differ. PostgreSQL only.
"""

from __future__ import annotations

from django.db import connection

from accounts.models import Contact, Customer, HostingAccount, LedgerEntry
from campaigns.compensation.models import Compensation, Voucher
from campaigns.incidents.models import Exposure


def _clone(model, *, where: str, source: str, overrides: dict[str, str], params: list) -> int:
    """``INSERT INTO <model's table> SELECT`` every row ``t`` matching ``where`` once per row of
    ``source`` (aliased ``s`` there), with ``overrides`` as SQL expressions over ``t`` and ``s``."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    values = [overrides.get(column, f"t.{connection.ops.quote_name(column)}") for column in columns]
    sql = (
        f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM {table} t CROSS JOIN {source} WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def crowd_clone(customer: Customer, *, count: int, prefix: str) -> int:
    """``count`` copies of ``customer`` numbered ``<prefix>000001`` …; returns how many customers
    were made. Then ANALYZE, as autovacuum would after a bulk load."""
    made = _clone(
        Customer,
        where="t.id = %s",
        source="generate_series(1, %s) AS s(n)",
        overrides={"number": "%s || lpad(s.n::text, 6, '0')", "name": "'Crowd ' || s.n"},
        params=[prefix, count, customer.pk],
    )
    crowd = f"(SELECT id, number FROM {Customer._meta.db_table} WHERE number LIKE %s) s"
    like = prefix.replace("%", r"\%").replace("_", r"\_") + "%"
    _clone(
        Contact,
        where="t.customer_id = %s",
        source=crowd,
        overrides={"customer_id": "s.id", "email": "lower(s.number) || '.' || t.email"},
        params=[like, customer.pk],
    )
    _clone(
        HostingAccount,
        where="t.customer_id = %s",
        source=crowd,
        overrides={"customer_id": "s.id", "name": "s.number || '-' || t.name"},
        params=[like, customer.pk],
    )
    accounts = (
        f"(SELECT a.id, a.customer_id, a.name FROM {HostingAccount._meta.db_table} a "
        f"JOIN {Customer._meta.db_table} c ON c.id = a.customer_id WHERE c.number LIKE %s) s"
    )
    _clone(
        Exposure,
        where="t.customer_id = %s AND s.name = (SELECT number FROM "
        f"{Customer._meta.db_table} WHERE id = s.customer_id) || '-' || "
        f"(SELECT name FROM {HostingAccount._meta.db_table} WHERE id = t.account_id)",
        source=accounts,
        overrides={"customer_id": "s.customer_id", "account_id": "s.id"},
        params=[like, customer.pk],
    )
    _clone(
        Compensation,
        where="t.customer_id = %s",
        source=crowd,
        overrides={"customer_id": "s.id"},
        params=[like, customer.pk],
    )
    compensations = (
        f"(SELECT m.id, m.customer_id, m.incident_id FROM {Compensation._meta.db_table} m "
        f"JOIN {Customer._meta.db_table} c ON c.id = m.customer_id WHERE c.number LIKE %s) s"
    )
    _clone(
        Voucher,
        where="t.customer_id = %s AND s.incident_id = (SELECT incident_id FROM "
        f"{Compensation._meta.db_table} WHERE id = t.compensation_id)",
        source=compensations,
        overrides={
            "customer_id": "s.customer_id",
            "compensation_id": "s.id",
            "code": "upper(substr(md5(t.code || '-' || s.id), 1, 20))",
        },
        params=[like, customer.pk],
    )
    _clone(
        LedgerEntry,
        where="t.customer_id = %s",
        source=crowd,
        overrides={"customer_id": "s.id", "reference": "t.reference || '@' || s.number"},
        params=[like, customer.pk],
    )
    with connection.cursor() as cursor:
        for model in (Customer, Contact, HostingAccount, Exposure, Compensation, Voucher, LedgerEntry):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return made
