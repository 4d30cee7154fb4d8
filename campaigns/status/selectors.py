"""Reads for the public status pages: incidents, windows and updates in the reader's language."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, Min, Q

from accounts.models import Server
from campaigns.incidents.models import Incident
from campaigns.status.cache import status_cache_generation, status_cache_seconds
from campaigns.status.models import IncidentUpdate, localized_text

# --- Public status page and incident timeline -----------------------------------------

STATUS_HISTORY_LENGTH = 100  # past incidents listed on /status/ (each keeps its own page and feed)


def _localize_updates(updates, language: str, default_language: str) -> list:

    for update in updates:
        update.text, update.text_language = localized_text(update.texts, language, default_language)
        update.is_fallback = update.text_language != language
    return updates


def incident_updates(incident, language: str) -> list:
    """The incident's updates, newest first, each with ``text`` in ``language`` (or the fallback),
    ``text_language`` and ``is_fallback``; render them with ``templates/status/_updates.html``."""

    updates = list(IncidentUpdate.objects.filter(incident=incident).order_by("-published_at", "-id"))
    return _localize_updates(updates, language, incident.default_language)


def incident_updates_cached(incident, language: str, *, generation: int | None = None) -> list:
    """``incident_updates`` through the status pages' cache: one entry per incident, language and
    cache generation (posting an update starts a new generation), kept ``STATUS_CACHE_SECONDS``.
    The portal shows them to every customer of the incident (``generation``: the one the page's
    key was made with, already fetched)."""
    seconds = status_cache_seconds()
    if not seconds:
        return incident_updates(incident, language)
    if generation is None:
        generation = status_cache_generation()
    key = f"status:updates:{generation}:{incident.pk}:{language}"
    updates = cache.get(key)
    if updates is None:
        updates = incident_updates(incident, language)
        cache.set(key, updates, seconds)
    return updates


@dataclass(frozen=True)
class CurrentIncident:
    """An open public incident as ``/status/`` lists it."""

    incident: Incident  # annotated with first_start, last_end, ongoing_count; windows prefetched
    latest_updates: list[IncidentUpdate]
    affected_targets: list[str]


def status_overview(language: str) -> dict:
    """Public incidents for ``/status/``: open ones (with windows and latest update), then the history.

    A fixed number of queries whatever the number of incidents and windows.
    """
    from django.db.models import Prefetch

    from campaigns.incidents.models import OutageWindow

    public = Incident.objects.filter(public=True).annotate(
        first_start=Min("windows__start"),
        last_end=Max("windows__end"),
        ongoing_count=Count("windows", filter=Q(windows__end__isnull=True), distinct=True),
    )
    open_incidents = (
        public.filter(status=Incident.Status.OPEN)
        .prefetch_related(
            Prefetch(
                "windows", queryset=OutageWindow.objects.select_related("server", "volume").order_by("start", "id")
            ),
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-published_at", "-id")),
        )
        .order_by("-first_start", "-created_at")
    )
    current = [
        CurrentIncident(
            incident=incident,
            latest_updates=_localize_updates(list(incident.updates.all()), language, incident.default_language)[:1],
            # Public names only: internal host names never reach the public pages.
            affected_targets=sorted({w.target.public_name for w in incident.windows.all() if w.target.public_name}),
        )
        for incident in open_incidents
    ]
    history = list(
        public.exclude(status=Incident.Status.OPEN).order_by("-first_start", "-created_at")[:STATUS_HISTORY_LENGTH]
    )
    return {"current": current, "history": history}


def status_incident(incident, language: str) -> dict:
    """One public incident: its windows, affected servers and volumes, and its localized timeline."""
    from campaigns.incidents.models import OutageWindow

    windows = list(
        OutageWindow.objects.filter(incident=incident).select_related("server", "volume").order_by("start", "id")
    )
    volumes = sorted({w.volume for w in windows if w.volume is not None}, key=lambda v: v.name)
    servers = {w.server for w in windows if w.server is not None}
    if volumes:
        servers.update(Server.objects.filter(storage_volume__in=volumes))
    return {
        "windows": windows,
        "ongoing": any(w.end is None for w in windows),
        "servers": sorted(servers, key=lambda s: s.name),
        "volumes": volumes,
        # What the public may read: the names chosen for it (Server/StorageVolume.public_name).
        "server_names": sorted({s.public_name for s in servers if s.public_name}),
        "volume_names": sorted({v.public_name for v in volumes if v.public_name}),
        "updates": incident_updates(incident, language),
    }
