"""Template helpers of the finance pages: ``{% load finance %}``."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import get_language

from accounts.formatting import format_amount
from accounts.roles import is_finance, is_support

register = template.Library()


@register.filter
def finance_role(user) -> bool:
    return is_finance(user)


@register.filter
def support_role(user) -> bool:
    return is_support(user)


@register.filter
def cell(value):
    """A report cell for pages and PDFs: amounts and counts with Swiss separators, dates localised."""
    if isinstance(value, Decimal):
        return format_amount(value, get_language() or "de")
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return value


@register.filter
def zip_with(first, second) -> list[tuple]:
    """Pairs of two lists of the same length, e.g. a section's headers and its numeric columns."""
    return list(zip(first, second, strict=False))
