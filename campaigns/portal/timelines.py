"""The portal's outage timeline: one lane per server the customer's accounts were down on, and the
drawings of an incident made ahead of the customers' first visits.

A lane per server, not per account, makes the chart the same for every customer on the same
servers (in the same time zone); ``campaigns.incidents.timeline`` caches each drawing under a key
of what it shows. ``portal_timelines_draw`` draws every distinct one of an incident, so that the
morning after a mailing no customer's first visit waits for vl-convert.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.timeline import Lane, timeline_drawing

PORTAL_WIDTH = 520


def portal_lanes(intervals: Iterable[tuple[dt.datetime, dt.datetime, str]]) -> list[Lane]:
    """A lane per server of ``(start, end, server)`` intervals, each window once, in order."""
    per_server: dict[str, dict[tuple[dt.datetime, dt.datetime], None]] = {}
    for start, end, server in intervals:
        per_server.setdefault(server, {})[(start, end)] = None
    return [Lane(server, tuple(sorted(spans))) for server, spans in sorted(per_server.items())]


@dataclass(frozen=True)
class DrawnTimelines:
    customers: int
    drawings: int  # distinct timelines among them


def portal_timelines_draw(*, incident: Incident) -> DrawnTimelines:
    """Draw (or find in the cache) the timeline of every customer of ``incident``: one pass over
    its exposure, one vl-convert call per distinct timeline not drawn before."""
    per_customer: dict[int, list[tuple[dt.datetime, dt.datetime, str]]] = {}
    zones: dict[int, str] = {}
    rows = (
        Exposure.objects.filter(incident=incident)
        .values_list("customer_id", "customer__time_zone", "intervals")
        .iterator(chunk_size=2000)
    )
    for customer_id, time_zone, intervals in rows:
        zones[customer_id] = time_zone or settings.DEFAULT_CUSTOMER_TIME_ZONE
        per_customer.setdefault(customer_id, []).extend(
            (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), server)
            for start, end, server in intervals
        )
    distinct: dict[tuple, list[Lane]] = {}
    for customer_id, intervals in per_customer.items():
        lanes = [lane for lane in portal_lanes(intervals) if lane.spans]
        if lanes:
            distinct[(zones[customer_id], tuple(lanes))] = lanes
    for (zone, _lanes), lanes in distinct.items():
        timeline_drawing(lanes, tz=_zone(zone), width=PORTAL_WIDTH)
    return DrawnTimelines(customers=len(per_customer), drawings=len(distinct))


def _zone(name: str) -> dt.tzinfo:
    """The zone the portal draws in for a customer's ``time_zone`` (``customer_time_zone``'s rule)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.DEFAULT_CUSTOMER_TIME_ZONE)
