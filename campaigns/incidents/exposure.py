"""Computing and storing exposure: set-based, a fixed number of SQL statements per incident."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.bulk import bulk_insert
from accounts.models import Placement, Server
from accounts.portal_version import portal_changed
from campaigns.incidents import impact
from campaigns.incidents.models import Exposure, ExposureAdjustment, Incident


class ExposureFrozen(Exception):
    """Exposure of an incident whose compensation was approved cannot change any more."""


@dataclass(frozen=True)
class ExposureResult:
    accounts: int
    customers: int
    affected_seconds: int


def exposure_is_frozen(incident: Incident) -> bool:
    # Through the reverse relation: compensation is a later step that this one does not import.
    return incident.compensations.filter(status="approved").exists()


def exposure_recompute(*, incident: Incident, now: dt.datetime | None = None, force: bool = False) -> ExposureResult:
    """Replace the incident's exposure with a fresh computation from its windows and placements.

    Idempotent: the same windows and placements give the same rows. Ongoing windows count up to
    ``now``. Refused once compensation for the incident is approved, unless ``force`` (an explicit
    ``compensate`` run after windows were corrected: approved amounts then only ever grow).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the incident row: two recomputations of one incident run one after the other.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not force and exposure_is_frozen(incident):
            raise ExposureFrozen(f"compensation for {incident.slug} is approved: its exposure is frozen")
        rows = list(_compute_rows(incident, now))
        Exposure.objects.filter(incident=incident).delete()
        _insert(rows)
        portal_changed()  # the customers of the incident, before and after
    return ExposureResult(
        accounts=len(rows),
        customers=len({row[2] for row in rows}),
        affected_seconds=sum(row[3] for row in rows),
    )


def _adjustments(incident: Incident) -> dict[int, tuple[int, list[tuple]]]:
    """account id → (customer id, [(start, end, server id or 0)]): downtime added by people."""
    added: dict[int, tuple[int, list[tuple]]] = {}
    for account_id, customer_id, server_id, start, end in ExposureAdjustment.objects.filter(
        incident=incident
    ).values_list("account_id", "account__customer_id", "server_id", "start", "end"):
        added.setdefault(account_id, (customer_id, []))[1].append((start, end, server_id or 0))
    return added


def _compute_rows(incident: Incident, now: dt.datetime):
    added = _adjustments(incident)
    windows = list(incident.windows.values_list("server_id", "volume_id", "start", "end"))
    volume_ids = {volume for _, volume, _, _ in windows if volume is not None}
    servers_of_volume: dict[int, list[int]] = {}
    for server_id, volume_id in Server.objects.filter(storage_volume_id__in=volume_ids).values_list(
        "id", "storage_volume_id"
    ):
        servers_of_volume.setdefault(volume_id, []).append(server_id)
    windows_by_server = impact.windows_per_server(
        ((server, volume, start, end or max(now, start)) for server, volume, start, end in windows),
        servers_of_volume,
    )
    added_servers = {piece[2] for _, pieces in added.values() for piece in pieces}
    server_names = dict(Server.objects.filter(id__in={*windows_by_server, *added_servers}).values_list("id", "name"))
    server_names[0] = ""
    computed_at = timezone.now()
    if windows_by_server:
        earliest = min(spans[0][0] for spans in windows_by_server.values())
        latest = max(spans[-1][1] for spans in windows_by_server.values())
        placements = (
            Placement.objects.filter(server_id__in=windows_by_server, active_from__lt=latest)
            .filter(Q(active_until__isnull=True) | Q(active_until__gt=earliest))
            .order_by("account_id", "active_from")
            .values_list("account_id", "account__customer_id", "server_id", "active_from", "active_until")
            .iterator(chunk_size=20_000)
        )
        for (account_id, customer_id), group in groupby(placements, key=itemgetter(0, 1)):
            pieces = impact.account_pieces(((p[2], p[3], p[4]) for p in group), windows_by_server)
            extra = added.pop(account_id, (customer_id, []))[1]
            row = _row(incident, account_id, customer_id, impact.with_added(pieces, extra), server_names, computed_at)
            if row is not None:
                yield row
    for account_id, (customer_id, extra) in sorted(added.items()):  # accounts no window reached
        row = _row(incident, account_id, customer_id, impact.with_added([], extra), server_names, computed_at)
        if row is not None:
            yield row


def _row(incident: Incident, account_id: int, customer_id: int, pieces, server_names: dict, computed_at):
    if not pieces:
        return None
    seconds = impact.affected_seconds(pieces)
    if seconds <= 0:
        return None
    names = [name for name in dict.fromkeys(server_names[server] for _, _, server in pieces) if name]
    intervals = [[s.isoformat(), e.isoformat(), server_names[server]] for s, e, server in pieces]
    return (incident.pk, account_id, customer_id, seconds, intervals, names, computed_at)


_COLUMNS = ("incident_id", "account_id", "customer_id", "affected_seconds", "intervals", "servers", "computed_at")


def _insert(rows: list[tuple]) -> None:
    bulk_insert(Exposure, [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
