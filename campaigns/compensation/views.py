"""Compensation approval in the console: support runs the dry run and prepares the drafts,
finance approves them (a second person) and the vouchers are issued."""

from django.contrib import messages
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.formatting import format_money
from accounts.roles import finance_required, is_finance, support_required
from campaigns.audit.models import AuditEntry
from campaigns.compensation.charts import histogram, histogram_svg
from campaigns.compensation.export import FORMATS as EXPORT_FORMATS
from campaigns.compensation.models import Compensation, CompensationPolicy, CompensationTopUp
from campaigns.compensation.policies import policy_default
from campaigns.compensation.services import (
    ApprovalRefused,
    NothingToApprove,
    compensation_approve,
    compensation_can_approve,
    compensation_prepare,
    compensation_preview,
)
from campaigns.incidents.models import Incident

RECENT_AUDIT = 10


def _policy(value) -> CompensationPolicy:
    if value and str(value).isdigit():
        policy = CompensationPolicy.objects.filter(pk=value).first()
        if policy is not None:
            return policy
    return policy_default()


def _totals_text(totals: dict, language: str) -> str:
    return ", ".join(format_money(amount, currency, language) for currency, amount in sorted(totals.items())) or "–"


@support_required
def compensation(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    policy = _policy(request.GET.get("policy"))
    preview = compensation_preview(incident=incident, policy=policy)
    existing = [
        {**row, "status_label": Compensation.Status(row["status"]).label}
        for row in Compensation.objects.filter(incident=incident)
        .values("status", "currency")
        .annotate(customers=Count("id"), total=Sum("amount"))
        .order_by("status", "currency")
    ]
    drafts = Compensation.objects.filter(incident=incident, status=Compensation.Status.DRAFT)
    # One line per person (the model's ordering would otherwise make every draft its own group)
    preparers = list(
        drafts.order_by("prepared_by__username")
        .values_list("prepared_by_id", "prepared_by__username")
        .annotate(drafts=Count("id"))
    )
    # Raises of approved amounts (claims, corrections) wait for the same approval as drafts.
    topups = CompensationTopUp.objects.filter(
        compensation__incident=incident, status=CompensationTopUp.Status.PENDING
    ).order_by("currency")
    pending_topups = list(topups.values("currency").annotate(count=Count("id"), total=Sum("amount")))
    preparer_ids = {pk for pk, _name, _n in preparers} | set(topups.values_list("prepared_by_id", flat=True))
    context = {
        "incident": incident,
        "policy": policy,
        "policies": CompensationPolicy.objects.filter(is_current=True).order_by("name"),
        "preview": preview,
        "tiers": preview.per_tier.most_common(),
        # binned like the finance report's vouchers per amount (charts.histogram), per currency
        "charts": {
            currency: histogram_svg(
                histogram(sorted(counts.items())),
                title=_("Customers per amount in %(currency)s") % {"currency": currency},
                currency=currency,
                counted=_("Customers"),
            )
            for currency, counts in sorted(preview.amounts.items())
        },
        "existing": existing,
        "has_drafts": bool(preparers) or bool(pending_topups),
        "pending_topups": pending_topups,
        "preparers": [
            ngettext("%(name)s (%(count)s draft)", "%(name)s (%(count)s drafts)", count)
            % {"name": name or _("command line"), "count": count}
            for _user_id, name, count in preparers
        ],
        "may_approve": compensation_can_approve(request.user, incident=incident),
        "is_preparer": request.user.pk in preparer_ids,
        "audit": AuditEntry.objects.filter(incident=incident).select_related("actor")[:RECENT_AUDIT],
        "export_formats": EXPORT_FORMATS if is_finance(request.user) else (),
    }
    return render(request, "console/finance/compensation.html", context)


@support_required
@require_POST
def prepare(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    policy = _policy(request.POST.get("policy"))
    result = compensation_prepare(incident=incident, policy=policy, by=request.user)
    if not (result.created or result.recomputed or result.removed or result.topups):
        messages.info(
            request,
            _("Nothing changed: the stored compensation already matches %(policy)s. Total: %(totals)s.")
            % {"policy": policy, "totals": _totals_text(result.totals, request.LANGUAGE_CODE)},
        )
        return redirect("console:compensation", slug=incident.slug)
    changes = [
        ngettext("%(count)s new", "%(count)s new", result.created) % {"count": result.created},
        ngettext("%(count)s recomputed", "%(count)s recomputed", result.recomputed) % {"count": result.recomputed},
        ngettext("%(count)s removed", "%(count)s removed", result.removed) % {"count": result.removed},
        ngettext("%(count)s top-up", "%(count)s top-ups", result.topups) % {"count": result.topups},
    ]
    messages.success(
        request,
        _("Compensation prepared with %(policy)s: %(changes)s. Total: %(totals)s. Finance must now approve it.")
        % {
            "policy": policy,
            "changes": ", ".join(changes),
            "totals": _totals_text(result.totals, request.LANGUAGE_CODE),
        },
    )
    return redirect("console:compensation", slug=incident.slug)


@finance_required
@require_POST
def approve(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    try:
        result = compensation_approve(incident=incident, by=request.user)
    except ApprovalRefused as exc:
        messages.error(request, _("Approval refused: %(reason)s.") % {"reason": exc})
    except NothingToApprove:
        messages.error(request, _("There is no prepared compensation to approve."))
    else:
        messages.success(
            request,
            " ".join(
                (
                    ngettext("%(count)s compensation approved.", "%(count)s compensations approved.", result.approved)
                    % {"count": result.approved},
                    ngettext("%(count)s voucher issued.", "%(count)s vouchers issued.", result.vouchers)
                    % {"count": result.vouchers},
                    _("Total: %(totals)s.") % {"totals": _totals_text(result.totals, request.LANGUAGE_CODE)},
                )
            ),
        )
    return redirect("console:compensation", slug=incident.slug)
