"""Finance breakdowns by server, volume, product, language and tier: one GROUP BY each.

A customer belongs to a group through its exposure (server, volume, product) or its compensation
(language, tier). A customer whose accounts sat on two servers appears under both, so the rows of
the server, volume and product breakdowns need not add up to the total; language and tier do.
Plain SQL because the grouping joins on a derived table, which the ORM cannot express; it is
standard SQL that runs on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, HostingAccount, Placement, Server, StorageVolume
from campaigns.models import Compensation, Exposure, Incident, Voucher
from campaigns.reports import money

DIMENSIONS = {
    "server": _("server"),
    "volume": _("storage volume"),
    "product": _("product"),
    "language": _("language"),
    "tier": _("tier"),
}
ADDITIVE = {"language", "tier"}

_T = {
    "exposure": Exposure._meta.db_table,
    "placement": Placement._meta.db_table,
    "server": Server._meta.db_table,
    "volume": StorageVolume._meta.db_table,
    "account": HostingAccount._meta.db_table,
    "customer": Customer._meta.db_table,
    "compensation": Compensation._meta.db_table,
    "voucher": Voucher._meta.db_table,
}

# (incident, customer, label) pairs per dimension; "{where}" limits them to one incident.
_ON_HIT_SERVER = (
    "JOIN {placement} p ON p.account_id = e.account_id "
    "JOIN {server} s ON s.id = p.server_id AND (', ' || e.servers || ', ') LIKE ('%%, ' || s.name || ', %%') "
)
_PAIRS = {
    "server": "SELECT DISTINCT e.incident_id, e.customer_id, s.name AS label FROM {exposure} e "
    + _ON_HIT_SERVER
    + "{where_e}",
    "volume": "SELECT DISTINCT e.incident_id, e.customer_id, COALESCE(sv.name, '') AS label FROM {exposure} e "
    + _ON_HIT_SERVER
    + "LEFT JOIN {volume} sv ON sv.id = s.storage_volume_id {where_e}",
    "product": "SELECT DISTINCT e.incident_id, e.customer_id, a.product AS label FROM {exposure} e "
    "JOIN {account} a ON a.id = e.account_id {where_e}",
    "language": "SELECT c.incident_id, c.customer_id, cu.language AS label FROM {compensation} c "
    "JOIN {customer} cu ON cu.id = c.customer_id {where_c}",
    "tier": "SELECT c.incident_id, c.customer_id, c.tier AS label FROM {compensation} c {where_c}",
}

_SQL = """
SELECT pairs.label, c.currency,
       COUNT(DISTINCT c.id),
       COUNT(v.id),
       SUM(v.amount),
       SUM(CASE WHEN v.status = 'redeemed' THEN v.amount END),
       SUM(CASE WHEN v.status = 'expired' THEN v.amount END),
       SUM(CASE WHEN v.status = 'void' THEN v.amount END),
       SUM(CASE WHEN v.status = 'issued' THEN v.amount END)
FROM ({pairs}) pairs
JOIN {compensation} c ON c.incident_id = pairs.incident_id AND c.customer_id = pairs.customer_id
LEFT JOIN {voucher} v ON v.compensation_id = c.id
GROUP BY pairs.label, c.currency
ORDER BY pairs.label, c.currency
"""


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


def breakdown(*, dimension: str, incident: Incident | None = None) -> list[BreakdownRow]:
    """Compensated customers and their vouchers' amounts by status, per group and currency."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown breakdown {dimension!r}; choose one of {', '.join(DIMENSIONS)}")
    params: list = []
    where_e = where_c = ""
    if incident is not None:
        where_e, where_c = "WHERE e.incident_id = %s", "WHERE c.incident_id = %s"
        params.append(incident.pk)
    pairs = _PAIRS[dimension].format(where_e=where_e, where_c=where_c, **_T)
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(pairs=pairs, **_T), params)
        rows = cursor.fetchall()
    return [
        BreakdownRow(label or "", currency, customers, vouchers, *(money(v) for v in sums))
        for label, currency, customers, vouchers, *sums in rows
    ]


def all_breakdowns(*, incident: Incident | None = None) -> dict[str, list[BreakdownRow]]:
    return {dimension: breakdown(dimension=dimension, incident=incident) for dimension in DIMENSIONS}
