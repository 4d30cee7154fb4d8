"""Histogram binning and the SVG charts: pure functions."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import translation

from campaigns.compensation.charts import (
    Bin,
    balance_line_svg,
    category_bars_svg,
    daily_bars_svg,
    histogram,
    histogram_svg,
    nice_width,
)

D = Decimal


@pytest.mark.parametrize(
    ("span", "bins", "width"),
    [
        (D("45"), 10, D("5")),
        (D("450"), 10, D("50")),
        (D("12"), 10, D("2")),
        (D("0"), 10, D("0.05")),
        (D("0.3"), 10, D("0.05")),
        (D("95"), 10, D("10")),
    ],  # fmt: skip
)
def test_nice_width(span, bins, width):
    assert nice_width(span, bins) == width


def test_histogram_counts_every_voucher_once():
    bins = histogram([(D("5.00"), 3), (D("20.00"), 1), (D("50.00"), 2)])

    assert len(bins) == 10
    assert bins[0] == Bin(D("5"), D("10"), 3)
    assert bins[3] == Bin(D("20"), D("25"), 1)
    assert bins[-1] == Bin(D("50"), D("55"), 2)
    assert sum(b.count for b in bins) == 6


def test_histogram_edge_cases():
    assert histogram([]) == []
    assert histogram([(D("7.50"), 4)]) == [Bin(D("7.50"), D("7.55"), 4)]


def test_histogram_svg_is_accessible_escaped_and_formatted_in_the_readers_swiss_format():
    bins = [Bin(D("0"), D("2000"), 3), Bin(D("2000"), D("4000"), 1)]

    with translation.override("fr"):
        french = histogram_svg(bins, title="A & <B>", currency="CHF", counted="Bons")
    with translation.override("de"):
        german = histogram_svg(bins, title="Gutscheine", currency="EUR", counted="Gutscheine")

    assert french.startswith("<svg") and 'role="img"' in french
    assert "<title id=" in french and "A &amp; &lt;B&gt;</title>" in french and "<B>" not in french
    assert "2\u202f000,00–4\u202f000,00" in french  # the bin labels, Swiss French
    assert "Montant en CHF" in french  # the axis title names the currency
    assert "2’000.00–4’000.00" in german and "Betrag in EUR" in german
    assert "CHF 2’000.00–4’000.00: 1" not in german
    assert "EUR 2’000.00–4’000.00: 1" in german  # the text alternative lists every bin
    assert histogram_svg([], title="x", currency="CHF", counted="y") == ""


def test_daily_bars_write_days_as_swiss_dates_and_amounts_with_swiss_separators():
    points = [(dt.date(2026, 12, 2), "Guthaben", D("11546.80")), (dt.date(2026, 12, 1), "Guthaben", D("5"))]

    with translation.override("de"):
        svg = daily_bars_svg(points, title="Eingelöst", currency="CHF", legend="Form")

    assert "01.12.2026" in svg and "02.12.2026" in svg and "2026-12-01" not in svg
    assert "11’546.80" in svg  # in the text alternative
    assert "Guthaben" in svg  # the legend
    assert "NaN" not in svg


def test_balance_line_draws_swiss_days_and_french_amounts_without_decimal_commas_in_coordinates():
    points = [(dt.date(2026, 12, 1), D("1234.50")), (dt.date(2026, 12, 3), D("200.00"))]

    with translation.override("fr"):
        svg = balance_line_svg(points, title="Encore dû", currency="CHF")

    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "01.12.2026" in labels and "Montant en CHF" in labels
    assert "1\u202f000,00" in labels  # the axis in Swiss French
    assert "1\u202f234,50 CHF" in svg  # the text alternative
    assert not re.search(r'\s(?:x|y|x1|x2|y1|y2|width|height)="-?\d+,\d', svg)
    assert balance_line_svg([], title="x", currency="CHF") == ""


def test_category_bars_stack_the_series_and_list_them_in_the_text_alternative():
    rows = [("10%", "eingelöst", D("50.00")), ("10%", "offen", D("20.00")), ("25%", "offen", D("0"))]

    with translation.override("de"):
        svg = category_bars_svg(rows, title="Nach Stufe", currency="EUR", category="Stufe", legend="Status")

    assert "Nach Stufe</title>" in svg and "Betrag in EUR" in svg
    assert "10% eingelöst: 50.00 EUR; 10% offen: 20.00 EUR." in svg
    assert "25%" not in svg  # an empty bar is left out
    assert category_bars_svg([("a", "b", D("0"))], title="x", currency="CHF", category="c", legend="l") == ""
