"""draw_portal_timelines [INCIDENT ...]: draw the portal's outage timeline of every affected customer
ahead of their first visit (one drawing per distinct set of servers and time zone, cached). Run it
after the windows are final and before the mailing goes out; a window changed later gives new
drawings, which the periodic job ``draw-portal-timelines`` (``campaigns.portal.tasks``) draws within
a minute, or the first visit, or running this again."""

import time

from django.core.management.base import BaseCommand, CommandError

from campaigns.incidents.models import Incident
from campaigns.mailings.liveness import cache_is_shared
from campaigns.portal.timelines import portal_timelines_draw


class Command(BaseCommand):
    help = "Draw the portal timelines of an incident's customers into the cache (all incidents with exposure when none is named)."

    def add_arguments(self, parser):
        parser.add_argument("incidents", nargs="*", metavar="INCIDENT", help="incident slug")

    def handle(self, *args, incidents, **options):
        found = (
            Incident.objects.filter(slug__in=incidents)
            if incidents
            else Incident.objects.filter(exposures__isnull=False).distinct()
        )
        missing = sorted(set(incidents) - {incident.slug for incident in found})
        if missing:
            raise CommandError(f"unknown incident(s): {', '.join(missing)}")
        if not cache_is_shared():
            self.stderr.write(
                "nothing drawn: the cache is this process's own (no REDIS_URL), so the web server would "
                "not see the drawings; each server process draws a timeline on its first visit instead"
            )
            return
        for incident in found.order_by("pk"):
            started = time.process_time()
            drawn = portal_timelines_draw(incident=incident)
            self.stdout.write(
                f"{incident.slug}: {drawn.drawings} timeline(s) for {drawn.customers} customer(s), "
                f"{time.process_time() - started:.1f} s CPU"
            )
