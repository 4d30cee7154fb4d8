"""Finance console: an incident's per-customer compensation export (CSV, XLSX, PDF).

Dry run, preparation and the four-eyes approval are in ``campaigns.compensation.views``."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from accounts.roles import finance_required
from campaigns.compensation.export import FORMATS, compensation_export
from campaigns.incidents.models import Incident

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@finance_required
def export(request, slug, fmt):
    incident = get_object_or_404(Incident, slug=slug)
    if fmt not in FORMATS:
        return HttpResponse(status=404)
    response = HttpResponse(
        compensation_export(incident=incident, fmt=fmt, by=request.user), content_type=CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="compensation-{incident.slug}.{fmt}"'
    return response
