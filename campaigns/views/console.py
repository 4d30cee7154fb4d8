"""Staff console: incidents overview and one incident's windows and exposure."""

from django.shortcuts import get_object_or_404, render

from accounts.roles import staff_required
from campaigns.models import Incident
from campaigns.selectors import incident_list_with_counts


@staff_required
def home(request):
    return render(request, "console/home.html", {"incidents": incident_list_with_counts()})


@staff_required
def incident_detail(request, slug):
    incident = get_object_or_404(Incident, slug=slug)
    return render(request, "console/incident_detail.html", {"incident": incident})
