"""Template filters of the customer portal (money and codes: ``{% load hostnotify %}``)."""

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def portal_duration(seconds) -> str:
    """``93600`` → ``1 day 2 hours``; minutes only below a day."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)
