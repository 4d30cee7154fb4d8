"""Finance breakdowns by server, volume, product, language and tier: one SQL statement for all five.

A customer belongs to a group through its exposure (server, volume, product) or its compensation
(language, tier). A customer whose accounts sat on two servers appears under both, so the rows of
the server, volume and product breakdowns need not add up to the total; language and tier do.
Plain SQL because the grouping joins derived tables (CTEs), which the ORM cannot express; standard
SQL on PostgreSQL and SQLite alike, except how the exposure's server list is split (see below).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, HostingAccount, Server, StorageVolume
from campaigns.compensation.models import Compensation, Voucher
from campaigns.finance.reports import money
from campaigns.incidents.models import Exposure, Incident

DIMENSIONS = {
    "server": _("server"),
    "volume": _("storage volume"),
    "product": _("product"),
    "language": _("language"),
    "tier": _("tier"),
}

_T = {
    "exposure": Exposure._meta.db_table,
    "server": Server._meta.db_table,
    "volume": StorageVolume._meta.db_table,
    "account": HostingAccount._meta.db_table,
    "customer": Customer._meta.db_table,
    "compensation": Compensation._meta.db_table,
    "voucher": Voucher._meta.db_table,
}

# One statement for all five breakdowns. "comp": each compensation with its vouchers' sums by
# status. "hits": the same per server (and its volume) and product the customer was hit on — the
# exposure and compensation tables are read once each (both are wide: intervals, explanations).
# Language and tier group "comp"; server, volume and product group the distinct (compensation,
# label) rows of "hits", so a customer counts once per label. "{where_c}"/"{where_e}" limit it to one
# incident. On PostgreSQL "ex" is materialised so that the exposure side is joined by hash before
# the (poorly estimated) two-column join to "comp".
_SUMS = "SUM(vouchers), SUM(issued), SUM(redeemed), SUM(expired), SUM(void), SUM(outstanding)"
_FIGURES = "vouchers, issued, redeemed, expired, void, outstanding"
_MULTI = (
    "SELECT '{dimension}', label, currency, COUNT(*), " + _SUMS + " FROM "
    "(SELECT DISTINCT comp_id, {dimension} AS label, currency, " + _FIGURES + " FROM hits) x "
    "GROUP BY label, currency"
)
_SQL = (
    """
WITH comp AS (
    SELECT c.id, c.incident_id, c.customer_id, c.currency, c.tier,
           COUNT(v.id) AS vouchers,
           SUM(v.amount) AS issued,
           SUM(CASE WHEN v.status = 'redeemed' THEN v.amount END) AS redeemed,
           SUM(CASE WHEN v.status = 'expired' THEN v.amount END) AS expired,
           SUM(CASE WHEN v.status = 'void' THEN v.amount END) AS void,
           SUM(CASE WHEN v.status = 'issued' THEN v.amount END) AS outstanding
    FROM {compensation} c
    LEFT JOIN {voucher} v ON v.compensation_id = c.id
    {where_c}
    GROUP BY c.id  -- the primary key: the other columns of c depend on it
),
ex AS {materialized} (
    SELECT e.incident_id, e.customer_id, s.name AS server, COALESCE(sv.name, '') AS volume, a.product
    FROM {exposure} e
    JOIN {account} a ON a.id = e.account_id
    {hit_servers}
    LEFT JOIN {volume} sv ON sv.id = s.storage_volume_id
    {where_e}
),
hits AS (
    SELECT comp.id AS comp_id, ex.server, ex.volume, ex.product, comp.currency,
           comp.vouchers, comp.issued, comp.redeemed, comp.expired, comp.void, comp.outstanding
    FROM ex JOIN comp ON comp.incident_id = ex.incident_id AND comp.customer_id = ex.customer_id
)
"""
    + "\nUNION ALL\n".join(_MULTI.format(dimension=d) for d in ("server", "volume", "product"))
    + "\nUNION ALL\n"
    + "SELECT 'language', cu.language, comp.currency, COUNT(*), "
    + _SUMS
    + " FROM comp "
    "JOIN {customer} cu ON cu.id = comp.customer_id GROUP BY cu.language, comp.currency"
    + "\nUNION ALL\n"
    + "SELECT 'tier', tier, currency, COUNT(*), "
    + _SUMS
    + " FROM comp GROUP BY tier, currency"
    + "\nORDER BY 1, 2, 3"
)
# The servers an exposure names: a join on the elements of its JSON list.
_HIT_SERVERS_POSTGRES = (
    "CROSS JOIN LATERAL jsonb_array_elements_text(e.servers) AS hit(name) JOIN {server} s ON s.name = hit.name"
)
_HIT_SERVERS_SQLITE = "JOIN json_each(e.servers) AS hit JOIN {server} s ON s.name = hit.value"


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    currency: str
    customers: int
    vouchers: int
    issued: Decimal
    redeemed: Decimal
    expired: Decimal
    void: Decimal
    outstanding: Decimal


def all_breakdowns(*, incident: Incident | None = None) -> dict[str, list[BreakdownRow]]:
    """Compensated customers and their vouchers' amounts by status, per dimension, group and currency."""
    params: list = []
    where_c = where_e = ""
    if incident is not None:
        where_c, where_e, params = "WHERE c.incident_id = %s", "WHERE e.incident_id = %s", [incident.pk, incident.pk]
    hit_servers = (_HIT_SERVERS_POSTGRES if connection.vendor == "postgresql" else _HIT_SERVERS_SQLITE).format(**_T)
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    sql = _SQL.format(hit_servers=hit_servers, where_c=where_c, where_e=where_e, materialized=materialized, **_T)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[str, list[BreakdownRow]] = {dimension: [] for dimension in DIMENSIONS}
    for dimension, label, currency, customers, vouchers, *sums in rows:
        result[dimension].append(
            BreakdownRow(label or "", currency, customers, int(vouchers or 0), *(money(v) for v in sums))
        )
    return result


def breakdown(*, dimension: str, incident: Incident | None = None) -> list[BreakdownRow]:
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown breakdown {dimension!r}; choose one of {', '.join(DIMENSIONS)}")
    return all_breakdowns(incident=incident)[dimension]
