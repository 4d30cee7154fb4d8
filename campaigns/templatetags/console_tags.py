import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.utils import formats

from campaigns.audit.sentences import audit_action_label, audit_actor_label, audit_object_label, audit_sentence
from campaigns.mailings.models import Delivery

register = template.Library()


@register.filter
def hours(seconds) -> str:
    """Affected seconds as hours with one decimal in the reader's Swiss format: ``1’234.5`` (de, it,
    en), ``1 234,5`` (fr)."""
    value = Decimal(int(seconds or 0)) / 3600
    return formats.number_format(value.quantize(Decimal("0.1")), 1, use_l10n=True, force_grouping=True)


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
