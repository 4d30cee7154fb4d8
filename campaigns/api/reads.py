"""Read endpoints: incidents, their windows and exposure, a customer's outcome, mailings."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema
from pydantic import Field

from campaigns.api import selectors
from campaigns.api.auth import has_scope, scoped
from campaigns.api.problems import errors
from campaigns.api.schemas import (
    CustomerIncidentOut,
    ExposurePage,
    IncidentDetailOut,
    IncidentPage,
    Instant,
    MailingOut,
)
from campaigns.mailings.models import Mailing
from campaigns.mailings.selectors import mailing_progress

router = Router(tags=["read"], auth=scoped("read"))
AUTH_ERRORS = (401, 403, 429)


class Paging(Schema):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10_000_000)
    updated_since: Instant | None = Field(None, description="Only what changed at or after this instant")


@router.get("/incidents/", response={200: IncidentPage, **errors(*AUTH_ERRORS, 422)})
def list_incidents(request, paging: Query[Paging]):
    """Incidents in order of their last change: sync with ``updated_since`` and ``offset``."""
    result = selectors.page(selectors.incidents_since(paging.updated_since), limit=paging.limit, offset=paging.offset)
    result["items"] = [selectors.incident_dict(i) for i in result["items"]]
    return result


@router.get("/incidents/{slug}/", response={200: IncidentDetailOut, **errors(*AUTH_ERRORS, 404)})
def get_incident(request, slug: str):
    return selectors.incident_detail(slug)


@router.get("/incidents/{slug}/exposures/", response={200: ExposurePage, **errors(*AUTH_ERRORS, 404, 422)})
def list_exposures(request, slug: str, paging: Query[Paging]):
    """Every affected account of the incident, with its merged intervals and servers."""
    queryset = selectors.incident_exposures(slug, paging.updated_since)
    result = selectors.page(queryset, limit=paging.limit, offset=paging.offset)
    result["items"] = [selectors.exposure_dict(e) for e in result["items"]]
    return result


@router.get(
    "/customers/{number}/incidents/{slug}/",
    response={200: CustomerIncidentOut, **errors(*AUTH_ERRORS, 404)},
)
def get_customer_incident(request, number: str, slug: str):
    """What hit one customer: downtime, each account's intervals, compensation with its explanation,
    vouchers (full codes only for a token with the vouchers scope)."""
    return selectors.customer_incident(number=number, slug=slug, with_codes=has_scope(request, "vouchers"))


@router.get("/mailings/{mailing_id}/", response={200: MailingOut, **errors(*AUTH_ERRORS, 404, 422)})
def get_mailing(request, mailing_id: int = Path(..., ge=1, le=2**63 - 1)):
    """A mailing's state and its deliveries counted by state."""
    mailing = get_object_or_404(Mailing.objects.select_related("incident"), pk=mailing_id)
    progress = mailing_progress(mailing)
    return {
        "id": mailing.pk,
        "incident": mailing.incident.slug,
        "name": mailing.name,
        "kind": mailing.kind,
        "status": mailing.status,
        "launched_at": mailing.launched_at,
        "finished_at": mailing.finished_at,
        **{
            name: getattr(progress, name)
            for name in ("total", "pending", "sending", "sent", "failed", "unknown", "bounced", "complained")
        },
    }
