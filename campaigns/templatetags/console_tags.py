import datetime as dt
from zoneinfo import ZoneInfo

from django import template

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
