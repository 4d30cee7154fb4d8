import datetime as dt
from zoneinfo import ZoneInfo

from django import template

from campaigns.audit.sentences import audit_action_label, audit_actor_label, audit_object_label, audit_sentence
from campaigns.mailings.models import Delivery

register = template.Library()


@register.filter
def hours(seconds) -> str:
    """Affected seconds as hours with one decimal: 7.5 h."""
    return f"{(seconds or 0) / 3600:,.1f}".replace(",", "\u2019")


@register.filter
def local_intervals(intervals, tz_name="Europe/Zurich"):
    """Stored ``[start_iso, end_iso, server]`` triples as local ``(start, end, server)`` datetimes."""
    tz = ZoneInfo(tz_name or "Europe/Zurich")
    return [
        (dt.datetime.fromisoformat(s).astimezone(tz), dt.datetime.fromisoformat(e).astimezone(tz), server)
        for s, e, server in intervals or []
    ]


@register.filter
def audit_action(entry) -> str:
    """``{{ entry|audit_action }}``: the action's name in the reader's language."""
    return audit_action_label(entry.action)


@register.filter
def audit_details(entry) -> str:
    """``{{ entry|audit_details }}``: the details as a sentence ("" when none is known)."""
    return audit_sentence(entry.action, entry.data or {})


@register.filter
def audit_actor(entry) -> str:
    return audit_actor_label(entry.actor_label)


@register.filter
def audit_object(entry) -> str:
    return audit_object_label(entry.object_type, entry.object_id)


@register.filter
def event_label(event_type: str) -> str:
    """A delivery event ("bounced") as the reader says it; an event type of no tracking state keeps its code."""
    return str(Delivery.Tracking(event_type).label) if event_type in Delivery.Tracking.values else event_type
