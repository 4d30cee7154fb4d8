"""Reads shared by several views and commands."""

from django.db.models import Count, Max, Min, Q

from campaigns.models import Incident


def incident_list_with_counts():
    return Incident.objects.annotate(
        window_count=Count("windows", distinct=True),
        first_start=Min("windows__start"),
        last_end=Max("windows__end"),
        ongoing_count=Count("windows", filter=Q(windows__end__isnull=True), distinct=True),
    ).order_by("-created_at")
