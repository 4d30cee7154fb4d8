"""Finance console (finance role only): reports with reconciliation, exports, voids, audit log."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import finance_required
from campaigns.audit.models import AuditEntry
from campaigns.audit.sentences import audit_action_label
from campaigns.compensation.codes import normalize_code
from campaigns.compensation.models import Voucher
from campaigns.compensation.release import VoidReasonMissing, VoucherNotVoidable, voucher_void
from campaigns.finance.export import FORMATS, ExportRefused, finance_export
from campaigns.finance.reports import REDEMPTION_FORMS, form_label
from campaigns.finance.tables import SECTION_KEYS, report_data, report_sections
from campaigns.incidents.models import Incident

AUDIT_PAGE_SIZE = 50


@finance_required
def report(request, slug=None):
    incident = get_object_or_404(Incident, slug=slug) if slug else None
    data = report_data(incident=incident)
    sections = report_sections(data)
    context = {
        "incident": incident,
        "data": data,
        "report": data.report,
        "charts": data.charts(),
        "sections": [s for s in sections if s.key not in ("totals", "reconciliation")],
        "csv_sections": [s for s in sections if s.key in SECTION_KEYS],
        "incidents": Incident.objects.order_by("slug").only("slug", "title"),
        "forms": [form_label(form) for form in REDEMPTION_FORMS],
    }
    return render(request, "console/finance/report.html", context)


def _date_param(request, name):
    value = request.GET.get(name) or ""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise Http404(f"bad date {value!r}") from exc


@finance_required
def export(request):
    slug = request.GET.get("incident") or ""
    incident = get_object_or_404(Incident, slug=slug) if slug else None
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404("unknown format")
    try:
        file = finance_export(
            fmt=fmt,
            incident=incident,
            section=request.GET.get("section", "totals"),
            since=_date_param(request, "since"),
            until=_date_param(request, "until"),
            by=request.user,
            csv_style=request.GET.get("csv") or "comma",
        )
    except ExportRefused as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@finance_required
@require_POST
def void(request):
    code = normalize_code(request.POST.get("code", ""))
    reason = request.POST.get("reason", "")
    voucher = Voucher.objects.select_related("compensation__incident").filter(code=code).first() if code else None
    if voucher is None:
        messages.error(request, _("No voucher has this code."))
    else:
        try:
            voucher_void(voucher=voucher, by=request.user, reason=reason)
        except VoidReasonMissing:
            messages.error(request, _("Say why the voucher is voided."))
        except VoucherNotVoidable as exc:
            messages.error(request, _("This voucher cannot be voided: it is %(status)s.") % {"status": exc})
        else:
            messages.success(request, _("Voucher voided; its amount is released in the ledger."))
    if voucher is not None:
        return redirect("console:finance_incident", slug=voucher.compensation.incident.slug)
    return redirect("console:finance")


@finance_required
def audit_log(request):
    entries = AuditEntry.objects.select_related("actor", "incident").order_by("-created_at", "-id")
    action = request.GET.get("action", "")
    slug = request.GET.get("incident", "")
    if action:
        entries = entries.filter(action=action)
    if slug:
        entries = entries.filter(incident__slug=slug)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request,
        "console/finance/audit.html",
        {
            "page": page,
            "actions": sorted(((a, audit_action_label(a)) for a in actions), key=lambda pair: pair[1]),
            "action": action,
            "incident_slug": slug,
        },
    )
