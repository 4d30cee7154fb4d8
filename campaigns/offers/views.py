"""Console pages of the forms of compensation (finance only): what an incident offers, proposed
by one finance user and approved by another; the partner code pools with their uploads; the
billing and donation exports."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.csv_rows import ImportRejected
from accounts.roles import finance_required
from campaigns.incidents.models import Incident
from campaigns.offers.billing import donation_totals
from campaigns.offers.configuration import (
    APPROVE,
    REJECT,
    WITHDRAW,
    DecisionRefused,
    OffersInvalid,
    offer_decide,
    offer_in_force,
    offer_may,
    offer_pending,
    offer_propose,
)
from campaigns.offers.forms import PoolUploadForm, ProposalForm
from campaigns.offers.pools import pool_states, pool_upload
from campaigns.offers.sentences import FORM_LABELS


def _labels(forms) -> list[str]:
    return [str(FORM_LABELS.get(form, form)) for form in forms]


@finance_required
def incident_offers(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    offer, pending = offer_in_force(incident), offer_pending(incident)
    form = ProposalForm(
        request.POST or None,
        initial={"forms_offered": list(offer.forms), "default": offer.forms[0], "partners": list(offer.partners),
                 "organisation": offer.organisation},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            offer_propose(
                incident=incident,
                forms=form.ordered_forms(),
                partners=form.cleaned_data["partners"],
                organisation=form.cleaned_data["organisation"],
                by=request.user,
            )
        except OffersInvalid as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Proposal saved. Another person with the finance role must approve it."))
            return redirect("console:incident_offers", slug=incident.slug)
    context = {
        "incident": incident,
        "offer": offer,
        "offer_labels": _labels(offer.forms),
        "pending": pending,
        "pending_labels": _labels(pending.forms) if pending else [],
        "may_approve": offer_may(request.user, pending, APPROVE),
        "may_reject": offer_may(request.user, pending, REJECT),
        "may_withdraw": offer_may(request.user, pending, WITHDRAW),
        "form": form,
    }
    return render(request, "console/offers/incident.html", context, status=400 if form.errors else 200)


DONE = {
    APPROVE: gettext_lazy("The forms of compensation are in force: the portal offers them now."),
    REJECT: gettext_lazy("The proposal was rejected; the forms in force stay as they were."),
    WITHDRAW: gettext_lazy("The proposal was withdrawn; the forms in force stay as they were."),
}


@finance_required
@require_POST
def incident_offers_decide(request, slug, decision):
    incident = get_object_or_404(Incident, slug=slug)
    pending = offer_pending(incident)
    if pending is None:
        messages.error(request, _("There is no proposal to approve."))
        return redirect("console:incident_offers", slug=incident.slug)
    try:
        offer_decide(proposal=pending, by=request.user, decision=decision)
    except DecisionRefused as exc:
        messages.error(request, _("Refused: %(reason)s.") % {"reason": exc})
    else:
        messages.success(request, str(DONE[decision]))
    return redirect("console:incident_offers", slug=incident.slug)


@finance_required
def partners(request):
    form = PoolUploadForm(request.POST or None, request.FILES or None)
    errors: list = []
    if request.method == "POST" and form.is_valid():
        try:
            result = pool_upload(
                partner=form.cleaned_data["partner"],
                source=form.cleaned_data["file"],
                low_threshold=form.cleaned_data["low_threshold"],
                by=request.user,
            )
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s code added for %(partner)s; %(unchanged)s were in the pool already.",
                    "%(count)s codes added for %(partner)s; %(unchanged)s were in the pool already.",
                    result.total_added,
                )
                % {"count": result.total_added, "partner": result.partner, "unchanged": result.unchanged},
            )
            return redirect("console:partners")
    states = pool_states()
    context = {
        "states": states,
        "low": [state for state in states if state.low],
        "form": form,
        "errors": errors,
        "donations": donation_totals(),
    }
    return render(request, "console/offers/partners.html", context, status=400 if errors or form.errors else 200)
