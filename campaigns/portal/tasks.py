"""Portal timelines drawn ahead, without anyone having to remember the command: a periodic job
(Celery beat, or ``run_periodic`` in the embedded default) draws the timelines of every incident
whose exposure changed since it last drew them, so that the customers a mailing sends to the
portal find their drawing in the cache. Runs on the ``pdf`` queue with the other rendering work; needs a shared
cache (Redis)."""

from celery import shared_task
from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef

from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.timeline import DRAWING_SECONDS
from campaigns.mailings.liveness import cache_is_shared
from campaigns.portal.timelines import portal_timelines_draw


def _drawn_key(incident_id: int) -> str:
    return f"portal-timelines-drawn:{incident_id}"


def portal_timelines_draw_changed() -> dict[str, int]:
    """Draw the timelines of each incident whose exposure (its rows and when they were computed)
    differs from what was drawn last; an unchanged incident costs one aggregate query. Nothing
    with a cache of this process's own (the embedded default without Redis): the web server would
    never see the drawings."""
    incidents = drawings = 0
    if not cache_is_shared():
        return {"incidents": incidents, "drawings": drawings}
    with_exposure = Incident.objects.filter(Exists(Exposure.objects.filter(incident=OuterRef("pk"))))
    for incident in with_exposure.order_by("pk"):
        seen = Exposure.objects.filter(incident=incident).aggregate(rows=Count("pk"), at=Max("computed_at"))
        fingerprint = f"{seen['rows']}:{seen['at'].isoformat() if seen['at'] else ''}"
        if cache.get(_drawn_key(incident.pk)) == fingerprint:
            continue
        drawn = portal_timelines_draw(incident=incident)
        # No longer than the drawings themselves are kept, so that evicted ones are drawn again.
        cache.set(_drawn_key(incident.pk), fingerprint, DRAWING_SECONDS)
        incidents += 1
        drawings += drawn.drawings
    return {"incidents": incidents, "drawings": drawings}


@shared_task(name="campaigns.portal.tasks.draw_portal_timelines", acks_late=True)
def draw_portal_timelines() -> dict[str, int]:
    return portal_timelines_draw_changed()
