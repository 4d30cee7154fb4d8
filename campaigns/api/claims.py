"""Claims for a CRM or ticket system: list and read customers' claims, answer them (accept with
downtime or goodwill, or reject with a reason) through the same services as the console; every
answer is in the audit log under the token's name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.db.models import Count
from django.http import Http404
from ninja import Path, Query, Router, Schema
from pydantic import Field

from campaigns.api.auth import actor, scoped
from campaigns.api.problems import Conflict, Invalid, errors
from campaigns.api.reads import Paging
from campaigns.api.schemas import InSchema, Instant, PageMeta
from campaigns.api.selectors import page
from campaigns.claims.models import Claim
from campaigns.claims.rules import ClaimInvalid
from campaigns.claims.services import claim_accept, claim_reject

router = Router(tags=["claims"], auth=scoped("claims"))
AUTH_ERRORS = (401, 403, 429)
ClaimId = Path(..., ge=1, le=2**63 - 1)


class ClaimOut(Schema):
    id: int
    incident: str
    customer_number: str
    account: str
    kind: str
    status: str
    language: str
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    text: str
    attachments: int
    created_at: dt.datetime
    updated_at: dt.datetime
    answered_at: dt.datetime | None
    answered_by: str
    answer: str
    resolution: str
    amount_added: Decimal | None = Field(description="What accepting changed in the compensation (before approval)")
    currency: str


class ClaimPage(PageMeta):
    items: list[ClaimOut]


class ClaimFilters(Paging):
    status: Literal["open", "accepted", "rejected"] | None = None
    incident: str | None = Field(None, max_length=100, description="An incident's slug")


class AnswerIn(InSchema):
    decision: Literal["accept", "reject"]
    resolution: Literal["adjustment", "goodwill"] | None = Field(None, description="How to accept: required to accept")
    start: Instant | None = Field(None, description="Adjustment: downtime to add from (default: the claimed period)")
    end: Instant | None = None
    amount: Decimal | None = Field(None, gt=0, le=100000, decimal_places=2, description="Goodwill, customer's currency")
    answer: str = Field(..., min_length=1, max_length=8000, description="What the customer reads, in their language")


def _queryset():
    return Claim.objects.select_related("incident", "customer", "account").order_by("updated_at", "id")


def _out(claim: Claim, attachments: int | None = None) -> dict:
    return {
        "id": claim.pk,
        "incident": claim.incident.slug,
        "customer_number": claim.customer.number,
        "account": claim.account.name,
        "kind": claim.kind,
        "status": claim.status,
        "language": claim.language,
        "period_start": claim.period_start,
        "period_end": claim.period_end,
        "text": claim.text,
        "attachments": attachments if attachments is not None else claim.attachments.count(),
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "answered_at": claim.answered_at,
        "answered_by": claim.answered_by_label,
        "answer": claim.answer,
        "resolution": claim.resolution,
        "amount_added": claim.amount_added,
        "currency": claim.currency,
    }


def _claim(claim_id: int) -> Claim:
    claim = _queryset().filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    return claim


@router.get("/claims/", response={200: ClaimPage, **errors(*AUTH_ERRORS, 422)})
def list_claims(request, filters: Query[ClaimFilters]):
    """Claims changed at or after ``updated_since``, oldest change first."""
    claims = _queryset()
    if filters.updated_since is not None:
        claims = claims.filter(updated_at__gte=filters.updated_since)
    if filters.status:
        claims = claims.filter(status=filters.status)
    if filters.incident:
        claims = claims.filter(incident__slug=filters.incident)
    result = page(claims.annotate(files=Count("attachments")), limit=filters.limit, offset=filters.offset)
    result["items"] = [_out(claim, claim.files) for claim in result["items"]]
    return result


@router.get("/claims/{claim_id}/", response={200: ClaimOut, **errors(*AUTH_ERRORS, 404, 422)})
def get_claim(request, claim_id: int = ClaimId):
    """One claim with its answer."""
    return _out(_claim(claim_id))


@router.post("/claims/{claim_id}/answer/", response={200: ClaimOut, **errors(400, *AUTH_ERRORS, 404, 409, 422)})
def answer_claim(request, payload: AnswerIn, claim_id: int = ClaimId):
    """Accept (``resolution`` adjustment: downtime added to the account, or goodwill: ``amount``) or
    reject an open claim. An accepted claim changes the compensation through the policy; finance
    approves the new amount before a voucher is issued. The customer is told by mail."""
    claim = _claim(claim_id)
    by = actor(request)
    try:
        if payload.decision == "reject":
            claim_reject(claim_id=claim.pk, by=by, reason=payload.answer, actor_label=by.get_username())
        else:
            period = (payload.start, payload.end) if payload.start and payload.end else None
            if (payload.start is None) != (payload.end is None):
                raise ClaimInvalid("Give both start and end, or neither.")
            claim_accept(
                claim_id=claim.pk,
                by=by,
                actor_label=by.get_username(),
                resolution=payload.resolution or "",
                answer=payload.answer,
                period=period,
                amount=payload.amount,
            )
    except ClaimInvalid as exc:
        if claim.status != Claim.Status.OPEN:
            raise Conflict(exc.message) from None
        raise Invalid(exc.message) from None
    return _out(_claim(claim_id))
