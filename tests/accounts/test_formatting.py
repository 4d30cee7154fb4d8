from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.formatting import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1234.5", "CHF", "de", "CHF 1\u2019234.50"),
        ("1234.5", "CHF", "it", "CHF 1\u2019234.50"),
        ("1234.5", "EUR", "en", "EUR 1\u2019234.50"),
        ("1234.5", "CHF", "fr", "1\u202f234,50 CHF"),
        ("5", "CHF", "de", "CHF 5.00"),
        ("1234567.005", "CHF", "de", "CHF 1\u2019234\u2019567.01"),
        ("999.99", "CHF", "fr", "999,99 CHF"),
        ("-12.30", "CHF", "de", "CHF -12.30"),
    ],
)
def test_format_money_in_swiss_formats(amount, currency, language, expected):
    assert format_money(Decimal(amount), currency, language) == expected


def test_template_filters_follow_the_active_language():
    template = Template("{% load hostnotify %}{{ amount|money:currency }} {{ code|code }} {{ code|masked_code }}")
    context = Context({"amount": Decimal("1500"), "currency": "CHF", "code": "ABCD2345EFGH6789"})

    with translation.override("fr"):
        assert template.render(context) == "1\u202f500,00 CHF ABCD-2345-EFGH-6789 ABCD-••••-••••-6789"
    with translation.override("de"):
        assert template.render(context).startswith("CHF 1\u2019500.00 ")
