"""Publishing is a decision: an incident from CSV, the API or monitoring is not on the public
status pages until support publishes it (and support can take it down again)."""

from __future__ import annotations

from django.db import transaction

from campaigns.audit.services import audit_record
from campaigns.incidents.models import Incident
from campaigns.status.cache import status_cache_bump


def incident_publish(*, incident: Incident, public: bool, by) -> bool:
    """Show (``public``) or hide ``incident`` on /status/; returns whether anything changed."""
    with transaction.atomic():
        changed = Incident.objects.filter(pk=incident.pk).exclude(public=public).update(public=public)
        if changed:
            incident.public = public
            audit_record(
                actor=by, action="incident.publish" if public else "incident.unpublish", incident=incident, obj=incident
            )
            status_cache_bump()
    return bool(changed)
