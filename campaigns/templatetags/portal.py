"""Template filters of the customer portal."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def portal_money(amount, currency: str = "") -> str:
    """``Decimal("1234.5"), "CHF"`` → ``CHF 1'234.50`` in the active language's Swiss format."""
    if amount is None or amount == "":
        return ""
    text = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{currency} {text}".strip()


@register.filter
def portal_duration(seconds) -> str:
    """``93600`` → ``1 day 2 hours`` (minutes only below a day)."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts) or ngettext("%(n)d minute", "%(n)d minutes", 0) % {"n": 0}


@register.filter
def format_voucher_code(code: str) -> str:
    from campaigns.codes import format_code

    return format_code(code or "")
