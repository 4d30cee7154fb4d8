"""Filing a claim (the customer) and answering it (support): accept or reject.

Accepting goes through the normal machinery: an exposure adjustment or a goodwill credit, then
the incident's exposure and compensation are prepared again with its policy
(``compensation_recompute``): a draft changes, or an approved compensation gets a top-up that
waits for a second person with the finance role; only that approval issues the voucher and
books the ledger. Rejecting changes no amount. Either way the customer is told by mail (queued
on commit) and in the portal, and the audit log says who did what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.formatting import format_money
from accounts.models import Contact, Customer, HostingAccount, Placement
from accounts.portal_version import portal_changed
from campaigns.audit.services import audit_record
from campaigns.claims import rules
from campaigns.claims.models import Claim, ClaimAttachment
from campaigns.claims.rules import ClaimInvalid
from campaigns.compensation.models import Compensation, CompensationTopUp, GoodwillCredit
from campaigns.compensation.services import compensation_recompute
from campaigns.incidents.exposure import exposure_is_frozen, exposure_recompute
from campaigns.incidents.models import ExposureAdjustment, Incident

__all__ = ["ClaimInvalid", "claim_accept", "claim_assign", "claim_file", "claim_reject"]

GOODWILL_MAX = Decimal("100000")


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def incident_span(incident: Incident, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """From the first window's start to the last window's end (now while one is ongoing)."""
    span = incident.windows.aggregate(first=Min("start"), last=Max("end"))
    if span["first"] is None:
        return None
    ongoing = incident.windows.filter(end__isnull=True).exists()
    return span["first"], now if ongoing or span["last"] is None else span["last"]


def _checked_uploads(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    limit, most = settings.HOSTNOTIFY["CLAIM_ATTACHMENT_MAX_BYTES"], settings.HOSTNOTIFY["CLAIM_ATTACHMENTS_MAX"]
    if len(uploads) > most:
        raise ClaimInvalid(_("Please attach at most %(count)d files.") % {"count": most}, "attachments")
    checked = []
    for upload in uploads:
        if len(upload.data) > limit:
            raise ClaimInvalid(
                _("%(name)s is larger than %(size)d MB.") % {"name": upload.name, "size": limit // (1024 * 1024)},
                "attachments",
            )
        found = rules.attachment_type(upload.data)
        if found is None:
            raise ClaimInvalid(_("%(name)s is not a PDF, PNG or JPEG file.") % {"name": upload.name}, "attachments")
        checked.append((upload, found[0]))
    return checked


def claim_file(
    *,
    customer: Customer,
    contact: Contact | None,
    incident: Incident,
    account_id: int | None,
    kind: str,
    period: tuple[dt.datetime, dt.datetime] | None,
    text: str,
    uploads: list[Upload],
    now: dt.datetime | None = None,
) -> Claim:
    """Store the customer's claim with its attachments, or raise ``ClaimInvalid`` and store nothing."""
    now = now or timezone.now()
    if kind not in Claim.Kind.values:
        raise ClaimInvalid(_("Please choose what your claim is about."), "kind")
    account = HostingAccount.objects.filter(pk=account_id, customer=customer).first() if account_id else None
    if account is None:
        raise ClaimInvalid(_("Please choose one of your hosting accounts."), "account")
    if period is None and kind != Claim.Kind.DAMAGE:
        raise ClaimInvalid(_("Please enter when your account was down."), "period_start")
    if period is not None:
        rules.check_period(*period, incident_span=incident_span(incident, now), now=now)
    text = text.strip()
    if not text or "\x00" in text or len(text) > 4000:
        raise ClaimInvalid(_("Please describe your claim in at most 4000 characters."), "text")
    checked = _checked_uploads(uploads)
    duplicate = ClaimInvalid(
        _("You already have an open claim for this account in this incident; we will answer it first."), "account"
    )
    if Claim.objects.filter(incident=incident, account=account, status=Claim.Status.OPEN).exists():
        raise duplicate
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                customer=customer,
                incident=incident,
                account=account,
                contact=contact,
                kind=kind,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
                text=text,
                language=(contact.effective_language if contact else customer.language),
                currency=customer.currency,
            )
            ClaimAttachment.objects.bulk_create(
                ClaimAttachment(
                    claim=claim,
                    name=upload.name[:200],
                    content_type=content_type,
                    size=len(upload.data),
                    data=upload.data,
                )
                for upload, content_type in checked
            )
            audit_record(
                actor=None,
                actor_label=contact.email if contact else "system",
                action="claim.file",
                incident=incident,
                obj=claim,
                customer=customer.number,
                account=account.name,
                kind=kind,
                attachments=len(checked),
            )
            portal_changed(customer_ids=[customer.pk])  # the claim on the customer's incident page
    except IntegrityError:  # a second request for the same account won the race
        raise duplicate from None
    return claim


def _open_claim(claim_id: int) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",)).select_related("customer", "incident", "account").get(pk=claim_id)
    )
    if claim.status != Claim.Status.OPEN:
        raise ClaimInvalid(_("This claim has been answered already."))
    portal_changed(customer_ids=[claim.customer_id])  # assigned, accepted or rejected: its state shows
    return claim


def _actor(by, actor_label: str) -> dict:
    return {"actor": by} if getattr(by, "pk", None) else {"actor": None, "actor_label": actor_label or "system"}


def claim_assign(*, claim_id: int, by) -> Claim:
    """``by`` takes the open claim over (from whoever had it)."""
    with transaction.atomic():
        claim = _open_claim(claim_id)
        previous = claim.assigned_to.get_username() if claim.assigned_to else ""
        claim.assigned_to = by
        claim.save(update_fields=["assigned_to", "updated_at"])
        audit_record(actor=by, action="claim.assign", incident=claim.incident, obj=claim, previous=previous)
    return claim


def _customer_amount(claim: Claim) -> Decimal:
    """What the customer's compensation is or will be once pending top-ups are approved."""
    row = (
        Compensation.objects.filter(incident=claim.incident, customer=claim.customer)
        .values_list("pk", "amount")
        .first()
    )
    if row is None:
        return Decimal("0.00")
    pending = CompensationTopUp.objects.filter(compensation_id=row[0], status=CompensationTopUp.Status.PENDING)
    return row[1] + (pending.values_list("amount", flat=True).first() or Decimal("0.00"))


def _prepare_again(incident: Incident, by) -> None:
    """The exposure (while not frozen) and the compensation again, with the policy the incident's
    compensation was prepared with; before anything was prepared, only the exposure."""
    if not exposure_is_frozen(incident):
        exposure_recompute(incident=incident)
    compensations = Compensation.objects.filter(incident=incident).select_related("policy").order_by("-computed_at")
    latest = compensations.filter(status=Compensation.Status.DRAFT).first() or compensations.first()
    if latest is not None:
        compensation_recompute(incident=incident, policy=latest.policy, by=by if getattr(by, "pk", None) else None)


def _parse_goodwill(amount) -> Decimal:
    try:
        value = Decimal(str(amount).strip().replace("'", "").replace("\u2019", ""))
    except (InvalidOperation, ValueError):
        value = Decimal("-1")
    if not value.is_finite() or value <= 0 or value > GOODWILL_MAX or value != value.quantize(Decimal("0.01")):
        raise ClaimInvalid(_("Enter a goodwill amount above zero with at most two decimals."), "amount")
    return value


def claim_accept(
    *,
    claim_id: int,
    by,
    resolution: str,
    answer: str,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    amount=None,
    actor_label: str = "",
) -> Claim:
    """Accept the claim: add ``period`` (default: the claimed one) to the account's exposure, or
    ``amount`` as goodwill; prepare the incident's compensation again; tell the customer."""
    if not answer.strip():
        raise ClaimInvalid(_("Please write the answer the customer will read."), "answer")
    now = timezone.now()
    with transaction.atomic():
        claim = _open_claim(claim_id)
        before = _customer_amount(claim)
        reference = f"claim:{claim.pk}"
        creator = by if getattr(by, "pk", None) else None
        if resolution == Claim.Resolution.ADJUSTMENT:
            start, end = period or (claim.period_start, claim.period_end)
            if start is None or end is None or end <= start:
                raise ClaimInvalid(_("Enter the period of downtime to add."), "period_start")
            placement = (
                Placement.objects.filter(account=claim.account, active_from__lte=start)
                .filter(Q(active_until__isnull=True) | Q(active_until__gt=start))
                .first()
            )
            claim.adjustment = ExposureAdjustment.objects.create(
                incident=claim.incident,
                account=claim.account,
                server=placement.server if placement else None,
                start=start,
                end=end,
                reference=reference,
                noted_at=claim.created_at,
                created_by=creator,
            )
        elif resolution == Claim.Resolution.GOODWILL:
            claim.goodwill = GoodwillCredit.objects.create(
                incident=claim.incident,
                customer=claim.customer,
                amount=_parse_goodwill(amount),
                currency=claim.customer.currency,
                reference=reference,
                noted_at=claim.created_at,
                created_by=creator,
            )
        else:
            raise ClaimInvalid(_("Choose how to accept the claim."), "resolution")
        _prepare_again(claim.incident, by)
        claim.amount_added = _customer_amount(claim) - before
        claim.currency = claim.customer.currency
        _answer(claim, by, actor_label, Claim.Status.ACCEPTED, answer, now, resolution=resolution)
        detail = (
            {"start": claim.adjustment.start.isoformat(), "end": claim.adjustment.end.isoformat()}
            if claim.adjustment
            else {"goodwill": format_money(claim.goodwill.amount, claim.goodwill.currency) if claim.goodwill else ""}
        )
        audit_record(
            **_actor(by, actor_label),
            action="claim.accept_downtime" if claim.adjustment else "claim.accept_goodwill",
            incident=claim.incident,
            obj=claim,
            customer=claim.customer.number,
            amount=str(claim.amount_added),
            currency=claim.currency,
            **detail,
        )
    return claim


def claim_reject(*, claim_id: int, by, reason: str, actor_label: str = "") -> Claim:
    """Reject the claim with a reason the customer reads; no amount changes."""
    if not reason.strip():
        raise ClaimInvalid(_("A rejection needs a reason the customer can read."), "answer")
    with transaction.atomic():
        claim = _open_claim(claim_id)
        _answer(claim, by, actor_label, Claim.Status.REJECTED, reason, timezone.now(), resolution="")
        audit_record(
            **_actor(by, actor_label),
            action="claim.reject",
            incident=claim.incident,
            obj=claim,
            customer=claim.customer.number,
        )
    return claim


def _answer(claim: Claim, by, actor_label: str, status: str, answer: str, now: dt.datetime, *, resolution: str):
    from campaigns.claims.tasks import send_claim_answer

    claim.status = status
    claim.answer = answer.strip()[:8000]
    claim.resolution = resolution
    claim.answered_at = now
    claim.answered_by = by if getattr(by, "pk", None) else None
    claim.answered_by_label = by.get_username() if getattr(by, "pk", None) else actor_label
    claim.save()
    claim_id = claim.pk
    transaction.on_commit(lambda: send_claim_answer.delay(claim_id))
