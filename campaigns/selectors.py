"""Reads shared by several views and commands."""

from django.db.models import Count, Max, Min, Q, Sum

from accounts.models import Server
from campaigns.models import Exposure, Incident


def incident_list_with_counts():
    return Incident.objects.annotate(
        window_count=Count("windows", distinct=True),
        first_start=Min("windows__start"),
        last_end=Max("windows__end"),
        ongoing_count=Count("windows", filter=Q(windows__end__isnull=True), distinct=True),
    ).order_by("-created_at")


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
        for name in names.split(", "):
            accounts_per_server[name] = accounts_per_server.get(name, 0) + count
    lanes = []
    for volume_id in sorted(volume_ids, key=lambda v: next(w.volume.name for w in windows if w.volume_id == v)):
        spans = [(w.start, w.end) for w in windows if w.volume_id == volume_id]
        name = next(w.volume.name for w in windows if w.volume_id == volume_id)
        on_volume = [s for s in servers.values() if s.storage_volume_id == volume_id]
        lanes.append((name, "volume", spans, f"{len(on_volume)} servers"))
    for server in sorted(servers.values(), key=lambda s: s.name):
        spans = [
            (w.start, w.end)
            for w in windows
            if w.server_id == server.id or (w.volume_id and w.volume_id == server.storage_volume_id)
        ]
        lanes.append((server.name, "server", spans, str(accounts_per_server.get(server.name, 0))))
    return lanes


def exposure_on_server(name: str) -> Q:
    """Exposures whose server list names ``name`` exactly (server1 is not server19)."""
    return (
        Q(servers=name)
        | Q(servers__startswith=f"{name}, ")
        | Q(servers__endswith=f", {name}")
        | Q(servers__contains=f", {name}, ")
    )


# --- Mailing progress ---------------------------------------------------------------
from dataclasses import dataclass  # noqa: E402

from campaigns.models import Delivery, Mailing  # noqa: E402


@dataclass(frozen=True)
class MailingProgress:
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    unknown: int
    bounced: int
    complained: int
    rate: float  # messages per second since the first one went out
    eta_seconds: float | None  # None: nothing left, or no rate yet

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0


def mailing_progress(mailing: Mailing) -> MailingProgress:
    """Counts, rate and ETA of a mailing in one aggregate query."""
    status = Delivery.Status
    counts = Delivery.objects.filter(mailing_id=mailing.pk).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=status.PENDING)),
        sending=Count("pk", filter=Q(status=status.SENDING)),
        sent=Count("pk", filter=Q(status=status.SENT)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
        unknown=Count("pk", filter=Q(status=status.UNKNOWN)),
        bounced=Count("pk", filter=Q(tracking=Delivery.Tracking.BOUNCED)),
        complained=Count("pk", filter=Q(tracking=Delivery.Tracking.COMPLAINED)),
        first_sent=Min("sent_at"),
        last_sent=Max("sent_at"),
    )
    first, last = counts.pop("first_sent"), counts.pop("last_sent")
    elapsed = (last - first).total_seconds() if first and last else 0.0
    rate = counts["sent"] / elapsed if elapsed > 0 else 0.0
    left = counts["pending"] + counts["sending"]
    eta = left / rate if left and rate else None
    return MailingProgress(rate=rate, eta_seconds=eta, **counts)


# --- Public status page and incident timeline -----------------------------------------

STATUS_HISTORY_LENGTH = 100  # past incidents listed on /status/ (each keeps its own page and feed)


def _localize_updates(updates, language: str, default_language: str) -> list:
    from campaigns.models.status import localized_text

    for update in updates:
        update.text, update.text_language = localized_text(update.texts, language, default_language)
        update.is_fallback = update.text_language != language
    return updates


def incident_updates(incident, language: str) -> list:
    """The incident's updates, newest first, each with ``text`` in ``language`` (or the fallback),
    ``text_language`` and ``is_fallback``; render them with ``templates/status/_updates.html``."""
    from campaigns.models import IncidentUpdate

    updates = list(IncidentUpdate.objects.filter(incident=incident).order_by("-published_at", "-id"))
    return _localize_updates(updates, language, incident.default_language)


def status_overview(language: str) -> dict:
    """Public incidents for ``/status/``: open ones (with windows and latest update), then the history.

    A fixed number of queries whatever the number of incidents and windows.
    """
    from django.db.models import Prefetch

    from campaigns.models import IncidentUpdate, OutageWindow

    public = Incident.objects.filter(public=True).annotate(
        first_start=Min("windows__start"),
        last_end=Max("windows__end"),
        ongoing_count=Count("windows", filter=Q(windows__end__isnull=True), distinct=True),
    )
    current = list(
        public.filter(status=Incident.Status.OPEN)
        .prefetch_related(
            Prefetch(
                "windows", queryset=OutageWindow.objects.select_related("server", "volume").order_by("start", "id")
            ),
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-published_at", "-id")),
        )
        .order_by("-first_start", "-created_at")
    )
    for incident in current:
        updates = _localize_updates(list(incident.updates.all()), language, incident.default_language)
        incident.latest_updates = updates[:1]
        incident.affected_targets = sorted({window.target.name for window in incident.windows.all()})
    history = list(
        public.exclude(status=Incident.Status.OPEN).order_by("-first_start", "-created_at")[:STATUS_HISTORY_LENGTH]
    )
    return {"current": current, "history": history}


def status_incident(incident, language: str) -> dict:
    """One public incident: its windows, affected servers and volumes, and its localized timeline."""
    from accounts.models import Server
    from campaigns.models import OutageWindow

    windows = list(
        OutageWindow.objects.filter(incident=incident).select_related("server", "volume").order_by("start", "id")
    )
    volumes = sorted({w.volume for w in windows if w.volume_id}, key=lambda v: v.name)
    servers = {w.server for w in windows if w.server_id}
    if volumes:
        servers.update(Server.objects.filter(storage_volume__in=volumes))
    return {
        "windows": windows,
        "ongoing": any(w.end is None for w in windows),
        "servers": sorted(servers, key=lambda s: s.name),
        "volumes": volumes,
        "updates": incident_updates(incident, language),
    }
