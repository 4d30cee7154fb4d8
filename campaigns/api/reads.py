"""Read endpoints: incidents, their windows and exposure, a customer's outcome, mailings."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema
from pydantic import Field

from campaigns.api import selectors
from campaigns.api.auth import has_scope, scoped
from campaigns.api.problems import errors
from campaigns.api.schemas import (
    CustomerIncidentOut,
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
        "name": mailing.display_name,
        "kind": mailing.kind,
        "status": mailing.status,
        "launched_at": mailing.launched_at,
        "finished_at": mailing.finished_at,
        **{
            name: getattr(progress, name)
            for name in ("total", "pending", "sending", "sent", "failed", "unknown", "bounced", "complained")
        },
    }
