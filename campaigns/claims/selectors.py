"""Reads of claims: a customer's own (another customer's answer 404), and support's queue."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpResponse

from accounts.models import Customer, HostingAccount
from campaigns.claims.models import Claim, ClaimAttachment
from campaigns.incidents.models import Incident


def claims_of_customer(*, customer: Customer, incident: Incident | None = None) -> QuerySet[Claim]:
    claims = Claim.objects.filter(customer=customer).select_related("incident", "account")
    if incident is not None:
        claims = claims.filter(incident=incident)
    return claims.prefetch_related("attachments").order_by("-created_at", "-id")


def claim_of_customer(*, customer: Customer, pk: int) -> Claim:
    claim = claims_of_customer(customer=customer).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def attachment_of_customer(*, customer: Customer, claim_pk: int, pk: int) -> ClaimAttachment:
    attachment = ClaimAttachment.objects.filter(pk=pk, claim_id=claim_pk, claim__customer=customer).first()
    if attachment is None:
        raise Http404
    return attachment


def claimable_accounts(*, customer: Customer) -> list[tuple[int, str]]:
    return list(HostingAccount.objects.filter(customer=customer).order_by("name").values_list("pk", "name"))


def claim_age_state(claim: Claim, now: dt.datetime) -> str:
    """ "ok", "due" (past three quarters of the target answer time) or "late" (past it); "" once answered."""
    if claim.status != Claim.Status.OPEN:
        return ""
    target = dt.timedelta(hours=settings.HOSTNOTIFY["CLAIM_TARGET_ANSWER_HOURS"])
    age = now - claim.created_at
    if age > target:
        return "late"
    return "due" if age > target * 3 / 4 else "ok"


def claim_queue(
    *,
    incident_id: int | None = None,
    kind: str = "",
    status: str = "",
    older_than_hours: int = 0,
    mine=None,
    now: dt.datetime,
) -> QuerySet[Claim]:
    """Support's queue, oldest open claims first."""
    claims = Claim.objects.select_related("customer", "incident", "account", "assigned_to")
    if incident_id:
        claims = claims.filter(incident_id=incident_id)
    if kind in Claim.Kind.values:
        claims = claims.filter(kind=kind)
    if status in Claim.Status.values:
        claims = claims.filter(status=status)
    if older_than_hours > 0:
        claims = claims.filter(created_at__lte=now - dt.timedelta(hours=older_than_hours))
    if mine is not None:
        claims = claims.filter(assigned_to=mine)
    return claims.order_by("created_at", "id")


def claim_for_staff(pk: int) -> Claim:
    claim = (
        Claim.objects.select_related(
            "customer", "incident", "account", "contact", "assigned_to", "adjustment", "goodwill"
        )
        .prefetch_related("attachments")
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


def attachment_for_staff(*, claim_pk: int, pk: int) -> ClaimAttachment:
    attachment = ClaimAttachment.objects.filter(pk=pk, claim_id=claim_pk).first()
    if attachment is None:
        raise Http404
    return attachment


def attachment_response(found: ClaimAttachment) -> HttpResponse:
    """The stored bytes as a download with the type found by content; never rendered inline."""
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(found.content_type, "bin")
    response["Content-Disposition"] = f'attachment; filename="claim-{found.claim_id}-{found.pk}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
