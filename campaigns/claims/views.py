"""Console pages of claims: support's queue, one claim with the customer's whole story, and the
answers (assign to oneself, accept with downtime or goodwill, reject with a reason)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Contact
from accounts.portal_session import customer_time_zone
from accounts.roles import support_required
from campaigns.claims import answers
from campaigns.claims.models import Claim
from campaigns.claims.rules import ClaimInvalid, parse_local
from campaigns.claims.selectors import (
    attachment_for_staff,
    attachment_response,
    claim_age_state,
    claim_for_staff,
    claim_queue,
)
from campaigns.claims.services import claim_accept, claim_assign, claim_reject
from campaigns.claims.story import customer_search, customer_story
from campaigns.claims.support_actions import customer_sign_in_link_send
from campaigns.compensation.code_access import code_shown_record, code_visible_to
from campaigns.incidents.models import Incident
from campaigns.mailings.models import Delivery
from campaigns.mailings.services import MailingError, mailing_resend


def _int(value, default=0) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


@support_required
def queue(request):
    now = timezone.now()
    params = request.GET
    status = params.get("status", "open")
    claims = claim_queue(
        incident_id=_int(params.get("incident")) or None,
        kind=params.get("kind", ""),
        status=status,
        older_than_hours=_int(params.get("older_than")),
        mine=request.user if params.get("mine") else None,
        now=now,
    )
    page = Paginator(claims, 50).get_page(params.get("page"))
    for claim in page:
        setattr(claim, "age_state", claim_age_state(claim, now))  # noqa: B010
    filters = params.copy()
    filters.pop("page", None)
    context = {
        "page": page,
        "incidents": Incident.objects.filter(claims__isnull=False).distinct().order_by("-created_at"),
        "kinds": Claim.Kind.choices,
        "statuses": Claim.Status.choices,
        "selected": {key: params.get(key, "") for key in ("incident", "kind", "older_than", "mine")}
        | {"status": status},
        "filters": filters.urlencode(),
        "now": now,
    }
    return render(request, "console/claims/queue.html", context)


def _detail(request, claim: Claim, *, errors: dict | None = None, posted=None, status: int = 200):
    tz = customer_time_zone(claim.customer)
    posted = posted or {}
    templates = answers.answer_templates(claim, goodwill_amount=posted.get("amount", ""))
    story = customer_story(number=claim.customer.number)
    context = {
        "story": story,
        "claim": claim,
        "age_state": claim_age_state(claim, timezone.now()),
        "templates": {decision: posted.get(f"answer_{decision}") or text for decision, text in templates.items()},
        "errors": errors or {},
        "posted": posted,
        "customer_tz": tz.key,
        "period_start": posted.get("period_start") or _local_input(claim.period_start, tz),
        "period_end": posted.get("period_end") or _local_input(claim.period_end, tz),
        "show_codes": _codes_shown(request, story, "claim-page"),
    }
    return render(request, "console/claims/detail.html", context, status=status)


def _codes_shown(request, story, where: str) -> bool:
    """Finance sees the customer's codes whole, and the audit log records it; support sees them masked."""
    if not code_visible_to(request.user):
        return False
    code_shown_record(user=request.user, where=where, voucher_ids=[voucher.pk for voucher in story.vouchers])
    return True


def _local_input(value, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if value else ""


@support_required
def detail(request, pk):
    return _detail(request, claim_for_staff(pk))


@support_required
@require_POST
def assign(request, pk):
    try:
        claim_assign(claim_id=claim_for_staff(pk).pk, by=request.user)
    except ClaimInvalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The claim is assigned to you."))
    return redirect("console:claim", pk=pk)


@support_required
@require_POST
def answer(request, pk):
    claim = claim_for_staff(pk)
    decision = request.POST.get("decision", "")
    text = request.POST.get(f"answer_{decision}", "")
    try:
        if decision == "reject":
            if answers.answer_adds_nothing(claim, text):
                raise ClaimInvalid(_("A rejection needs a reason the customer can read."), "answer")
            claim_reject(claim_id=claim.pk, by=request.user, reason=text)
        elif decision == "adjustment":
            tz = customer_time_zone(claim.customer)
            period = (
                parse_local(request.POST.get("period_start", ""), tz, label=_("Down from")),
                parse_local(request.POST.get("period_end", ""), tz, label=_("Down until")),
            )
            claim = claim_accept(
                claim_id=claim.pk, by=request.user, resolution="adjustment", answer=text, period=period
            )
        elif decision == "goodwill":
            amount = request.POST.get("amount", "")
            claim = claim_accept(claim_id=claim.pk, by=request.user, resolution="goodwill", answer=text, amount=amount)
        else:
            raise ClaimInvalid(_("Choose how to answer the claim."))
    except ClaimInvalid as exc:
        errors = {"decision": decision, "message": exc.message}
        return _detail(request, claim_for_staff(pk), errors=errors, posted=request.POST, status=400)
    if decision == "reject":
        messages.success(request, _("The claim is rejected; the customer is told by e-mail."))
    else:
        messages.success(
            request,
            _("The claim is accepted; the customer is told by e-mail. Finance approves the changed amount."),
        )
    return redirect("console:claim", pk=pk)


@support_required
def attachment(request, pk, attachment):
    return attachment_response(attachment_for_staff(claim_pk=pk, pk=attachment))


@support_required
def customers(request):
    query = request.GET.get("q", "")
    found = customer_search(query=query, with_codes=code_visible_to(request.user))
    if len(found) == 1 and query:
        return redirect("console:customer", number=found[0].number)
    return render(request, "console/customers/search.html", {"query": query, "customers": found})


@support_required
def customer(request, number):
    story = customer_story(number=number)
    context = {"story": story, "show_codes": _codes_shown(request, story, "customer-story")}
    return render(request, "console/customers/story.html", context)


@support_required
@require_POST
def customer_resend(request, number, delivery):
    found = get_object_or_404(Delivery.objects.select_related("mailing"), pk=delivery, customer__number=number)
    try:
        mailing_resend(delivery=found, by=request.user)
    except MailingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sending again to %(email)s.") % {"email": found.email})
    return redirect(reverse("console:customer", kwargs={"number": number}) + "#letters")


@support_required
@require_POST
def customer_sign_in_link(request, number, contact):
    found = get_object_or_404(Contact.objects.select_related("customer"), pk=contact, customer__number=number)
    customer_sign_in_link_send(contact=found, by=request.user)
    messages.success(request, _("A new sign-in link is on its way to %(email)s.") % {"email": found.email})
    return redirect(reverse("console:customer", kwargs={"number": number}) + "#contacts")
