"""Server-rendered SVG charts and histogram binning: pure functions, no ORM, no clock.

The console and the PDF summary embed the same SVG, so a report looks alike in both and needs no
JavaScript. Labels are escaped; the returned markup is safe to put into a template as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

NICE_STEPS = (Decimal("1"), Decimal("2"), Decimal("2.5"), Decimal("5"))
PALETTE = ("#c8102e", "#1d2430", "#1a7f37", "#b35900", "#5b6573", "#7a4bc2")


@dataclass(frozen=True)
class Bin:
    low: Decimal  # inclusive
    high: Decimal  # exclusive, except for the last bin
    count: int


def nice_width(span: Decimal, bins: int) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^k that covers ``span`` in ``bins`` bins (at least 0.05)."""
    raw = span / bins if span > 0 else Decimal("0.05")
    exponent = Decimal(10) ** (raw.adjusted())
    for step in NICE_STEPS + (Decimal("10"),):
        width = step * exponent
        if width >= raw:
            return max(width, Decimal("0.05"))
    raise AssertionError("unreachable")  # pragma: no cover


def histogram(value_counts: list[tuple[Decimal, int]], *, bins: int = 10) -> list[Bin]:
    """Bin ``(amount, how many)`` pairs, as a GROUP BY amount returns them, into equal-width bins
    with round boundaries. Empty input gives no bins."""
    pairs = [(Decimal(value), count) for value, count in value_counts if count]
    if not pairs:
        return []
    low = min(value for value, _ in pairs)
    high = max(value for value, _ in pairs)
    width = nice_width(high - low, bins)
    start = (low / width).to_integral_value(rounding=ROUND_FLOOR) * width
    count = max(1, int(((high - start) / width).to_integral_value(rounding=ROUND_FLOOR)) + 1)
    counts = [0] * count
    for value, how_many in pairs:
        index = min(int(((value - start) / width).to_integral_value(rounding=ROUND_FLOOR)), count - 1)
        counts[index] += how_many
    return [Bin(start + i * width, start + (i + 1) * width, n) for i, n in enumerate(counts)]


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def histogram_svg(bins: list[Bin], *, title: str, width: int = 640, height: int = 220) -> SafeString:
    """A bar per bin, its count above it and its range below."""
    return bar_chart_svg(
        [(f"{_fmt(b.low)}–{_fmt(b.high)}", b.count) for b in bins], title=title, width=width, height=height
    )


def bar_chart_svg(bars: list[tuple[str, int]], *, title: str, width: int = 640, height: int = 220) -> SafeString:
    """A bar per ``(label, count)``, the count above it and the label below."""
    if not bars:
        return mark_safe("")
    left, bottom, top = 40, 40, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(count for _, count in bars) or 1
    bar_w = plot_w / len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#5b6573"/>',
    ]
    for i, (label, count) in enumerate(bars):
        h = plot_h * count / peak
        x = left + i * bar_w
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bar_w - 4:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">{count}</text>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" font-size="9" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def timeline_svg(
    series: dict[str, list[tuple[dt.date, Decimal]]], *, title: str, width: int = 640, height: int = 220
) -> SafeString:
    """Cumulative lines, one per series (e.g. ``"CHF balance"``), over days."""
    points = [p for values in series.values() for p in values]
    if not points:
        return mark_safe("")
    left, bottom, top, right = 60, 40, 20, 130
    plot_w, plot_h = width - left - right, height - bottom - top
    first = min(day for day, _ in points)
    last = max(day for day, _ in points)
    days = max((last - first).days, 1)
    cumulative = {name: _cumulate(values) for name, values in series.items()}
    peak = max((v for values in cumulative.values() for _, v in values), default=Decimal(1)) or Decimal(1)

    def xy(day: dt.date, value: Decimal) -> str:
        x = left + plot_w * (day - first).days / days
        y = top + plot_h - plot_h * float(value / peak)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#5b6573"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#5b6573"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{_fmt(peak)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
        f'<text x="{left}" y="{top + plot_h + 14}" font-size="10">{first.isoformat()}</text>',
        f'<text x="{left + plot_w}" y="{top + plot_h + 14}" font-size="10" text-anchor="end">{last.isoformat()}</text>',
    ]
    for i, (name, values) in enumerate(sorted(cumulative.items())):
        colour = PALETTE[i % len(PALETTE)]
        steps = [xy(first, Decimal(0))]
        for day, value in values:
            steps.append(xy(day, value))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(steps)}"/>')
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{top + 12 + 14 * i}" font-size="10" fill="{colour}">'
            f"{escape(name)}: {_fmt(values[-1][1])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def _cumulate(values: list[tuple[dt.date, Decimal]]) -> list[tuple[dt.date, Decimal]]:
    total = Decimal(0)
    out = []
    for day, value in sorted(values):
        total += value
        out.append((day, total))
    return out
