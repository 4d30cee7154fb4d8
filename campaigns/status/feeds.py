"""Atom feeds of incident updates, overall and per incident, in the reader's language."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import linebreaks
from django.utils.translation import gettext

from campaigns.incidents.models import Incident
from campaigns.status.models import IncidentUpdate, localized_text
from campaigns.status.views import status_cacheable

FEED_LENGTH = 50


def update_entry_id(update: IncidentUpdate) -> str:
    """A stable Atom id (RFC 4151 tag URI) that does not change when the update is edited."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{update.published_at:%Y-%m-%d}:status/updates/{update.pk}"


class _UpdatesFeed(Feed):
    feed_type = Atom1Feed

    def _localized(self, updates):
        language = translation.get_language()
        for update in updates:
            update.text = localized_text(update.texts, language, update.incident.default_language)[0]
        return updates

    def item_title(self, item):
        return f"{item.incident.title}: {item.get_phase_display()}"

    def item_description(self, item):
        return linebreaks(item.text, autoescape=True)

    def item_link(self, item):
        return reverse("status:incident", args=[item.incident.slug]) + f"#update-{item.pk}"

    def item_guid(self, item):
        return update_entry_id(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.edited_at or item.published_at


class StatusFeed(_UpdatesFeed):
    def title(self):
        return gettext("%(brand)s: status updates") % {"brand": settings.HOSTNOTIFY["BRAND_NAME"]}

    def link(self):
        return reverse("status:index")

    def subtitle(self):
        return gettext("Updates on every public incident")

    def items(self):
        updates = IncidentUpdate.objects.filter(incident__public=True).select_related("incident")
        return self._localized(list(updates.order_by("-published_at", "-id")[:FEED_LENGTH]))


class IncidentFeed(_UpdatesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Incident, slug=slug, public=True)

    def title(self, obj):
        return obj.title

    def link(self, obj):
        return reverse("status:incident", args=[obj.slug])

    def subtitle(self, obj):
        return gettext("Updates on this incident")

    def items(self, obj):
        updates = list(IncidentUpdate.objects.filter(incident=obj).order_by("-published_at", "-id")[:FEED_LENGTH])
        for update in updates:
            update.incident = obj  # one query for the whole feed
        return self._localized(updates)


status_feed = status_cacheable(StatusFeed())
incident_feed = status_cacheable(IncidentFeed())
