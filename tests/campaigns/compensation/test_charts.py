"""Histogram binning and the SVG charts: pure functions."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.compensation.charts import Bin, bar_chart_svg, histogram, histogram_svg, nice_width, timeline_svg

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


def test_svg_escapes_labels_and_draws_a_bar_per_bin():
    svg = bar_chart_svg([("<script>", 2), ("b", 1)], title="A & B")

    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 2
    assert 'aria-label="A &amp; B"' in svg
    assert histogram_svg([], title="x") == "" and timeline_svg({}, title="x") == ""


def test_timeline_is_cumulative():
    svg = timeline_svg({"CHF balance": [(dt.date(2026, 1, 2), D("5")), (dt.date(2026, 1, 1), D("10"))]}, title="t")

    assert "CHF balance: 15" in svg
    assert "2026-01-01" in svg and "2026-01-02" in svg
