"""Staff console: incidents overview and one incident's windows and exposure."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.models import Language
from accounts.roles import staff_required
from campaigns.incidents import charts
from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.selectors import (
    exposure_on_servers,
    incident_exposure_totals,
    incident_list_with_counts,
    incident_timeline_lanes,
)

SORTS = {
    "-hours": "-affected_seconds",
    "hours": "affected_seconds",
    "customer": "customer__number",
    "account": "account__name",
}


@staff_required
def home(request):
    return render(request, "console/home.html", {"incidents": incident_list_with_counts()})


@staff_required
def incident_detail(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    lanes = incident_timeline_lanes(incident)
    exposures = (
        Exposure.objects.filter(incident=incident)
        .select_related("customer", "account")
        .only(
            "affected_seconds",
            "servers",
            "intervals",
            "customer__number",
            "customer__name",
            "customer__language",
            "account__name",
            "account__product",
        )
    )
    query = request.GET.get("q", "").strip()
    if query:
        exposures = exposures.filter(
            Q(customer__number__iexact=query) | Q(customer__name__icontains=query) | Q(account__name__icontains=query)
        )
    server = request.GET.get("server", "")
    if server:
        exposures = exposures.filter(exposure_on_servers([server]))
    language = request.GET.get("language", "")
    if language in Language.values:
        exposures = exposures.filter(customer__language=language)
    try:
        min_hours = float(request.GET.get("min_hours") or 0)
    except ValueError:
        min_hours = 0
    if min_hours > 0:
        exposures = exposures.filter(affected_seconds__gte=int(min_hours * 3600))
    sort = request.GET.get("sort", "-hours")
    exposures = exposures.order_by(SORTS.get(sort, "-affected_seconds"), "id")
    page = Paginator(exposures, 50).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "console/incident_detail.html",
        {
            "incident": incident,
            "totals": incident_exposure_totals(incident),
            "timeline": charts.timeline(lanes, now=timezone.now()),
            "server_names": [lane[0] for lane in lanes if lane[1] == "server"],
            "languages": Language.choices,
            "page": page,
            "filters": filters.urlencode(),
            "query": query,
            "server": server,
            "language": language,
            "min_hours": request.GET.get("min_hours", ""),
            "sort": sort,
        },
    )
