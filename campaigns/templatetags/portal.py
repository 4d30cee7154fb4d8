"""Template filters of the customer portal (money and codes: ``{% load hostnotify %}``)."""

from django import template

from accounts.formatting import format_duration

register = template.Library()


@register.filter
def portal_duration(seconds) -> str:
    """``295200`` → ``82 h 00 min``: the figure the letter and the voucher PDF print for the same downtime
    (``accounts.formatting.format_duration``), so a customer reads one number everywhere."""
    return format_duration(int(seconds or 0))
