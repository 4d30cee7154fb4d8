"""Template filters for money and voucher codes: ``{% load hostnotify %}``.

``{{ amount|money:currency }}`` formats in the active language (Swiss formats);
``{{ code|code }}`` shows a stored voucher code grouped, ``{{ code|masked_code }}`` masked;
``{% translate "Partners" %}{% colon %}`` ends a label as Django's forms do (their label suffix):
``:`` in German, Italian and English, a no-break space and ``:`` in French.
"""

from django import template
from django.utils.translation import get_language, gettext

from accounts.formatting import format_money
from campaigns.compensation.codes import format_code, mask_code

register = template.Library()


@register.filter
def money(amount, currency="CHF"):
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency, get_language() or "de")


@register.filter(name="code")
def code_filter(value):
    return format_code(value) if value else ""


@register.filter
def masked_code(value):
    return mask_code(value) if value else ""


@register.simple_tag
def colon() -> str:
    # Translators: the colon after a label; French puts a no-break space before it
    return gettext(":")
