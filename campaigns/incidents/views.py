"""Staff console: incidents overview and one incident's windows and exposure."""

import math
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.languages import LANGUAGE_CODES, LANGUAGES
from accounts.roles import staff_required
from campaigns.incidents.models import Incident
from campaigns.incidents.selectors import (
    customer_downtimes,
    incident_exposure_totals,
    incident_exposures,
    incident_list_with_counts,
    incident_timeline_lanes,
)
from campaigns.incidents.timeline import Lane, timeline_svg


@staff_required
def home(request):
    return render(request, "console/home.html", {"incidents": incident_list_with_counts()})


@staff_required
def incident_detail(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    lanes = incident_timeline_lanes(incident)
    query = request.GET.get("q", "").strip()
    server = request.GET.get("server", "")
    language = request.GET.get("language", "")
    try:
        min_hours = float(request.GET.get("min_hours") or 0)
    except ValueError:
        min_hours = 0
    if not math.isfinite(min_hours):
        min_hours = 0
    sort = request.GET.get("sort", "-hours")
    exposures = incident_exposures(
        incident,
        query=query,
        server=server,
        language=language if language in LANGUAGE_CODES else "",
        min_seconds=int(min_hours * 3600),
        sort=sort,
    )
    page = Paginator(exposures, 50).get_page(request.GET.get("page"))
    # Beside each account's own duration, its customer's downtime (the union over all its accounts).
    downtimes = customer_downtimes(incident_ids=[incident.pk], customer_ids={e.customer_id for e in page})
    for exposure in page:
        setattr(exposure, "customer_downtime", downtimes.get((incident.pk, exposure.customer_id), 0))  # noqa: B010
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "console/incident_detail.html",
        {
            "incident": incident,
            "totals": incident_exposure_totals(incident),
            "timeline_svg": timeline_svg(
                [Lane(label, tuple(spans), kind, note) for label, kind, spans, note in lanes],
                tz=ZoneInfo(settings.TIME_ZONE),
                title=_("Outage windows per storage volume and server"),
                kinds={"volume": capfirst(_("storage volume")), "server": _("Server")},
                now=timezone.now(),
                width=760,
            ),
            "server_names": [lane[0] for lane in lanes if lane[1] == "server"],
            "languages": LANGUAGES,
            "page": page,
            "filters": filters.urlencode(),
            "query": query,
            "server": server,
            "language": language,
            "min_hours": request.GET.get("min_hours", ""),
            "sort": sort,
        },
    )
