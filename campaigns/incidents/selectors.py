"""Reads shared by several views and commands."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.formats import number_format
from django.utils.translation import ngettext

from accounts.models import Placement, Server
from campaigns.incidents import impact
from campaigns.incidents.models import Exposure, Incident


def incident_list_with_counts():
    return Incident.objects.annotate(
        window_count=Count("windows", distinct=True),
        first_start=Min("windows__start"),
        last_end=Max("windows__end"),
        ongoing_count=Count("windows", filter=Q(windows__end__isnull=True), distinct=True),
    ).order_by("-created_at")


def customer_downtimes(
    *, incident_ids: Iterable[int] | None = None, customer_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], int]:
    """``{(incident_id, customer_id): seconds}``: each customer's downtime in each incident, the
    union of all their accounts' intervals (``impact.downtime_seconds``), from one query. Letters,
    portal, voucher PDFs, console and exports all show this figure (letters compute it with the
    same function from the exposure rows their batch query already read)."""
    exposures = Exposure.objects.all()
    if incident_ids is not None:
        exposures = exposures.filter(incident_id__in=list(incident_ids))
    if customer_ids is not None:
        exposures = exposures.filter(customer_id__in=list(customer_ids))
    pieces: dict[tuple[int, int], list] = defaultdict(list)
    rows = exposures.order_by().values_list("incident_id", "customer_id", "intervals")
    for incident_id, customer_id, intervals in rows.iterator(chunk_size=20_000):
        pieces[(incident_id, customer_id)].extend(intervals)
    return {key: impact.downtime_seconds(items) for key, items in pieces.items()}


def incident_exposure_totals(incident: Incident) -> dict:
    """Affected customers, accounts and account-hours of an incident (one query)."""
    totals = Exposure.objects.filter(incident=incident).aggregate(
        accounts=Count("id"), customers=Count("customer_id", distinct=True), seconds=Sum("affected_seconds")
    )
    totals["hours"] = (totals["seconds"] or 0) / 3600
    return totals


def incident_timeline_lanes(incident: Incident) -> list[tuple]:
    """Lanes for the timeline chart: each targeted volume, then each server hit directly or through
    its volume, with the number of affected accounts on it. A fixed number of queries."""
    windows = list(incident.windows.select_related("server", "volume").order_by("start"))
    volume_ids = {w.volume_id for w in windows if w.volume_id}
    servers = {
        s.id: s
        for s in Server.objects.filter(
            Q(id__in={w.server_id for w in windows if w.server_id}) | Q(storage_volume_id__in=volume_ids)
        )
    }
    # Exposure.servers lists the servers an account was down on; few distinct combinations exist.
    accounts_per_server: dict[str, int] = {}
    for names, count in (
        Exposure.objects.filter(incident=incident).values_list("servers").annotate(n=Count("id")).order_by()
    ):
        for name in names:
            accounts_per_server[name] = accounts_per_server.get(name, 0) + count
    lanes = []
    volume_names = {w.volume.pk: w.volume.name for w in windows if w.volume is not None}
    for volume_id in sorted(volume_ids, key=volume_names.__getitem__):
        spans = [(w.start, w.end) for w in windows if w.volume_id == volume_id]
        name = volume_names[volume_id]
        on_volume = [s for s in servers.values() if s.storage_volume_id == volume_id]
        count = len(on_volume)
        lanes.append(
            (
                name,
                "volume",
                spans,
                ngettext("%(count)s server", "%(count)s servers", count)
                % {"count": number_format(count, force_grouping=True)},
            )
        )
    for server in sorted(servers.values(), key=lambda s: s.name):
        spans = [
            (w.start, w.end)
            for w in windows
            if w.server_id == server.id or (w.volume_id and w.volume_id == server.storage_volume_id)
        ]
        count = accounts_per_server.get(server.name, 0)
        lanes.append(
            (
                server.name,
                "server",
                spans,
                ngettext("%(count)s account", "%(count)s accounts", count)
                % {"count": number_format(count, force_grouping=True)},
            )
        )
    return lanes


EXPOSURE_SORTS = {
    "-hours": "-affected_seconds",
    "hours": "affected_seconds",
    "customer": "customer__number",
    "account": "account__name",
}


def incident_exposures(
    incident: Incident,
    *,
    query: str = "",
    server: str = "",
    language: str = "",
    min_seconds: int = 0,
    sort: str = "-hours",
):
    """An incident's exposure rows with their customer and account, as the console lists them and
    ``report_exposure`` writes them: narrowed by a customer number, name or account fragment, a
    server, a language and a minimum duration; ordered by an ``EXPOSURE_SORTS`` key (then id)."""
    exposures = (
        Exposure.objects.filter(incident=incident)
        .select_related("customer", "account")
        .only(
            "affected_seconds",
            "servers",
            "intervals",
            "customer__number",
            "customer__name",
            "customer__language",
            "account__name",
            "account__product",
        )
    )
    if query:
        exposures = exposures.filter(
            Q(customer__number__iexact=query) | Q(customer__name__icontains=query) | Q(account__name__icontains=query)
        )
    if server:
        exposures = exposures.filter(exposure_on_servers([server]))
    if language:
        exposures = exposures.filter(customer__language=language)
    if min_seconds > 0:
        exposures = exposures.filter(affected_seconds__gte=min_seconds)
    return exposures.order_by(EXPOSURE_SORTS.get(sort, "-affected_seconds"), "id")


def exposure_on_servers(names: list[str]) -> Q:
    """Exposures whose servers include any of ``names``, matched whole (server1 is not server19)."""
    return Q(servers__overlap=list(names))


# --- Mailing progress ---------------------------------------------------------------


def window_reach(*, servers: Iterable[Server], start, end, now, incident: Incident | None = None) -> dict[str, int]:
    """How many customers and accounts a window on ``servers`` during ``[start, end)`` (no end:
    until ``now``) would hit, and how many of those customers ``incident`` does not reach yet.
    Placements only: the live count of the incident editor before the window is saved."""
    until = end or now
    placements = Placement.objects.filter(server__in=list(servers), active_from__lt=until).filter(
        Q(active_until__isnull=True) | Q(active_until__gt=start)
    )
    reach = placements.aggregate(
        customers=Count("account__customer_id", distinct=True), accounts=Count("account_id", distinct=True)
    )
    reach["new_customers"] = reach["customers"]
    if incident is not None:
        exposed = Exposure.objects.filter(incident=incident).values("customer_id")
        reach["new_customers"] = placements.exclude(account__customer_id__in=exposed).aggregate(
            n=Count("account__customer_id", distinct=True)
        )["n"]
    return reach
