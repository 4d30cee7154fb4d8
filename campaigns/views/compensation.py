"""Finance console: an incident's compensation — preview, prepare, four-eyes approval, exports."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import finance_required
from campaigns.models import Incident
from campaigns.services.compensation import (
    ApprovalRefused,
    NothingToApprove,
    compensation_approve,
    compensation_prepare,
    compensation_preview,
)
from campaigns.services.compensation_export import FORMATS, compensation_export, compensation_summary

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@finance_required
def overview(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    summary = compensation_summary(incident)
    preview = None if summary["by_status"] else compensation_preview(incident=incident)
    return render(
        request,
        "console/compensation.html",
        {
            "incident": incident,
            "summary": summary,
            "preview": preview,
            # A Counter answers 0 to the template's ``.items`` lookup: hand over plain pairs.
            "preview_tiers": sorted(preview.per_tier.items()) if preview else [],
            "formats": FORMATS,
        },
    )


@finance_required
@require_POST
def prepare(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    result = compensation_prepare(incident=incident, by=request.user)
    messages.success(
        request,
        _("%(created)s created, %(recomputed)s recomputed, %(unchanged)s unchanged, %(topups)s top-ups.")
        % {
            "created": result.created,
            "recomputed": result.recomputed,
            "unchanged": result.unchanged,
            "topups": result.topups,
        },
    )
    return redirect("console:compensation", slug=slug)


@finance_required
@require_POST
def approve(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    try:
        result = compensation_approve(incident=incident, by=request.user)
    except ApprovalRefused as exc:
        messages.error(request, _("Approval refused: %(reason)s") % {"reason": exc})
    except NothingToApprove:
        messages.warning(request, _("There is no draft compensation to approve."))
    else:
        messages.success(
            request,
            _("%(approved)s compensations approved, %(vouchers)s vouchers issued.")
            % {"approved": result.approved, "vouchers": result.vouchers},
        )
    return redirect("console:compensation", slug=slug)


@finance_required
def export(request, slug, fmt):
    incident = get_object_or_404(Incident, slug=slug)
    if fmt not in FORMATS:
        return HttpResponse(status=404)
    response = HttpResponse(compensation_export(incident=incident, fmt=fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="compensation-{incident.slug}.{fmt}"'
    return response
