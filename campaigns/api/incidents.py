"""Incidents and windows: create, update, publish, end; exposure recomputed after every change."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status
from pydantic import Field

from campaigns.api import selectors
from campaigns.api.auth import actor, scoped
from campaigns.api.problems import Conflict, Invalid, errors
from campaigns.api.reads import Paging
from campaigns.api.schemas import ExposurePage, IncidentDetailOut, IncidentPage, InSchema, Instant, WindowOut
from campaigns.incidents.exposure import ExposureFrozen, exposure_is_frozen
from campaigns.incidents.models import Incident, OutageWindow
from campaigns.status.editing import (
    IncidentExists,
    IncidentInvalid,
    incident_create,
    incident_end,
    incident_update,
    window_add,
    window_target,
    window_update,
)
from campaigns.status.publishing import incident_publish
from campaigns.status.services import WindowEndInvalid, window_mark_ended

router = Router(tags=["incidents"])
READ_ERRORS = (401, 403, 429)
WRITE = scoped("incidents")
WRITE_ERRORS = (400, 401, 403, 404, 409, 422, 429)
Slug = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class IncidentIn(InSchema):
    slug: str = Slug
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    default_language: str | None = Field(None, pattern="^(de|fr|it|en)$")
    redemption_options: list[str] | None = Field(None, min_length=1, max_length=3)
    public: bool = False


class IncidentPatch(InSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    default_language: str | None = Field(None, pattern="^(de|fr|it|en)$")
    redemption_options: list[str] | None = Field(None, min_length=1, max_length=3)
    status: str | None = Field(None, pattern="^(open|resolved|closed)$")


class WindowIn(InSchema):
    target_type: str = Field(pattern="^(server|volume)$")
    target: str = Field(min_length=1, max_length=64, description="The server's or storage volume's name")
    start: Instant
    end: Instant | None = None
    title: str = Field("", max_length=200)


class WindowPatch(InSchema):
    start: Instant | None = None
    end: Instant | None = None
    title: str | None = Field(None, max_length=200)


class EndIn(InSchema):
    end: Instant


def _incident(slug: str) -> Incident:
    return get_object_or_404(Incident, slug=slug)


def _window(slug: str, window_id: int) -> OutageWindow:
    return get_object_or_404(OutageWindow, pk=window_id, incident__slug=slug)


def _domain(call):
    """Run a service call; its refusals become problems."""
    try:
        return call()
    except ExposureFrozen as exc:
        raise Conflict(str(exc)) from None
    except IncidentExists as exc:
        raise Conflict(str(exc)) from None
    except (IncidentInvalid, WindowEndInvalid) as exc:
        raise Invalid(str(exc)) from None


WindowId = Path(..., ge=1, le=2**63 - 1)


@router.get("/incidents/", response={200: IncidentPage, **errors(*READ_ERRORS, 422)}, auth=scoped("read"))
def list_incidents(request, paging: Query[Paging]):
    """Incidents in order of their last change: sync with ``updated_since`` and ``offset``."""
    result = selectors.page(selectors.incidents_since(paging.updated_since), limit=paging.limit, offset=paging.offset)
    result["items"] = [selectors.incident_dict(i) for i in result["items"]]
    return result


@router.get("/incidents/{slug}/", response={200: IncidentDetailOut, **errors(*READ_ERRORS, 404)}, auth=scoped("read"))
def get_incident(request, slug: str):
    return selectors.incident_detail(slug)


@router.get(
    "/incidents/{slug}/exposures/", response={200: ExposurePage, **errors(*READ_ERRORS, 404, 422)}, auth=scoped("read")
)
def list_exposures(request, slug: str, paging: Query[Paging]):
    """Every affected account of the incident, with its merged intervals and servers."""
    queryset = selectors.incident_exposures(slug, paging.updated_since)
    result = selectors.page(queryset, limit=paging.limit, offset=paging.offset)
    result["items"] = [selectors.exposure_dict(e) for e in result["items"]]
    return result


@router.post("/incidents/", response={201: IncidentDetailOut, **errors(*WRITE_ERRORS)}, auth=WRITE)
def create_incident(request, payload: IncidentIn):
    """A new incident, not public unless ``public`` is true."""
    incident = _domain(lambda: incident_create(by=actor(request), **payload.model_dump()))
    return Status(201, selectors.incident_detail(incident.slug))


@router.patch("/incidents/{slug}/", response={200: IncidentDetailOut, **errors(*WRITE_ERRORS)}, auth=WRITE)
def update_incident(request, slug: str, payload: IncidentPatch):
    incident = _incident(slug)
    _domain(lambda: incident_update(incident=incident, by=actor(request), **payload.model_dump()))
    return selectors.incident_detail(slug)


@router.post("/incidents/{slug}/publish/", response={200: IncidentDetailOut, **errors(*WRITE_ERRORS)}, auth=WRITE)
def publish_incident(request, slug: str):
    """Show the incident on the public status page."""
    incident_publish(incident=_incident(slug), public=True, by=actor(request))
    return selectors.incident_detail(slug)


@router.post("/incidents/{slug}/end/", response={200: IncidentDetailOut, **errors(*WRITE_ERRORS)}, auth=WRITE)
def end_incident(request, slug: str, payload: EndIn):
    """Resolve the incident: every ongoing window ends at ``end``."""
    incident = _incident(slug)
    _domain(lambda: incident_end(incident=incident, end=payload.end, by=actor(request)))
    return selectors.incident_detail(slug)


@router.post("/incidents/{slug}/windows/", response={201: WindowOut, **errors(*WRITE_ERRORS)}, auth=WRITE)
def add_window(request, slug: str, payload: WindowIn):
    """A window on a server or a whole storage volume; no ``end`` while it is ongoing."""
    incident = _incident(slug)

    def add():
        server, volume = window_target(payload.target_type, payload.target)
        return window_add(
            incident=incident,
            target_type=payload.target_type,
            server=server,
            volume=volume,
            start=payload.start,
            end=payload.end,
            title=payload.title,
            by=actor(request),
        )

    return Status(201, selectors.window_dict(_domain(add)))


@router.patch("/incidents/{slug}/windows/{window_id}/", response={200: WindowOut, **errors(*WRITE_ERRORS)}, auth=WRITE)
def update_window(request, slug: str, payload: WindowPatch, window_id: int = WindowId):
    window = _window(slug, window_id)
    fields = payload.model_dump()
    window = _domain(lambda: window_update(window=window, by=actor(request), **fields))
    return selectors.window_dict(window)


@router.post(
    "/incidents/{slug}/windows/{window_id}/end/", response={200: WindowOut, **errors(*WRITE_ERRORS)}, auth=WRITE
)
def end_window(request, slug: str, payload: EndIn, window_id: int = WindowId):
    """The window ended at ``end``; exposure is recomputed unless the incident is frozen (409)."""
    window = _window(slug, window_id)
    if exposure_is_frozen(window.incident):
        raise Conflict(f"compensation for {slug} is approved: its windows are frozen")
    change = _domain(lambda: window_mark_ended(window=window, end=payload.end, by=actor(request)))
    return selectors.window_dict(change.window)
