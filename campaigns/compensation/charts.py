"""The finance charts of the console and the finance PDF (amounts per bin, per day, per category,
balances over time) as Vega-Lite specifications, rendered by ``hostnotify.vega``, and the one
histogram binning that the compensation page and the finance report share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

import altair as alt
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.formatting import format_amount
from hostnotify.vega import PALETTE, chart_base, chart_language, render_svg

NICE_STEPS = (Decimal("1"), Decimal("2"), Decimal("2.5"), Decimal("5"))


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


def bin_label(low: Decimal, high: Decimal, language: str) -> str:
    return f"{format_amount(low, language)}–{format_amount(high, language)}"


def histogram_svg(
    bins: Sequence[Bin], *, title: str, currency: str, counted: str, width: int = 560, height: int = 200
) -> SafeString:
    """A bar per bin of amounts in ``currency``; ``counted`` names what the bars count
    ("Vouchers", "Customers")."""
    if not bins:
        return mark_safe("")
    language = chart_language()
    ranges = [bin_label(b.low, b.high, language) for b in bins]
    rows = [{"range": label, "count": b.count} for label, b in zip(ranges, bins, strict=True)]
    x_title = _("Amount in %(currency)s") % {"currency": currency}
    chart = (
        chart_base(rows, title=title, width=width, height=height)
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X("range:O", sort=ranges, title=x_title, axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("count:Q", title=counted, axis=alt.Axis(format=",d", tickMinStep=1)),
        )
    )
    description = "; ".join(f"{currency} {row['range']}: {row['count']}" for row in rows)
    return render_svg(chart, title=title, description=f"{x_title}, {counted}: {description}.")


def daily_bars_svg(
    points: Sequence[tuple[dt.date, str, Decimal]],
    *,
    title: str,
    currency: str,
    legend: str,
    width: int = 560,
    height: int = 200,
) -> SafeString:
    """Amounts in ``currency`` per local day, stacked by series (e.g. the form of redemption);
    one chart per currency, so that each axis carries one currency."""
    if not points:
        return mark_safe("")
    language = chart_language()
    days = sorted({day for day, _series, _amount in points})
    labels = {day: formats.date_format(day, "SHORT_DATE_FORMAT") for day in days}
    rows = [{"day": labels[day], "series": series, "amount": float(amount)} for day, series, amount in points]
    y_title = _("Amount in %(currency)s") % {"currency": currency}
    chart = (
        chart_base(rows, title=title, width=alt.Step(min(48, width // len(days))), height=height)
        .mark_bar()
        .encode(
            x=alt.X("day:O", sort=[labels[day] for day in days], title=_("Day"), axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("sum(amount):Q", title=y_title, axis=alt.Axis(format=",.2f")),
            color=alt.Color("series:N", title=legend, scale=alt.Scale(range=PALETTE)),
        )
    )
    description = "; ".join(
        f"{labels[day]} {series}: {format_amount(amount, language)} {currency}" for day, series, amount in points
    )
    return render_svg(chart, title=title, description=f"{y_title}: {description}.")


def balance_line_svg(
    points: Sequence[tuple[dt.date, Decimal]],
    *,
    title: str,
    currency: str,
    width: int = 560,
    height: int = 200,
) -> SafeString:
    """A balance in ``currency`` at the end of each local day, as a step line (e.g. what is still
    owed on vouchers). The days are dates without a zone, drawn on a UTC scale so that no browser
    or renderer shifts them."""
    if not points:
        return mark_safe("")
    language = chart_language()
    rows = [{"day": day.isoformat(), "amount": float(amount)} for day, amount in points]
    y_title = _("Amount in %(currency)s") % {"currency": currency}
    chart = (
        chart_base(rows, title=title, width=width, height=height)
        .mark_line(interpolate="step-after", point=alt.OverlayMarkDef(color=PALETTE[0]), color=PALETTE[0])
        .encode(
            x=alt.X(
                "day:T", title=_("Day"), scale=alt.Scale(type="utc"), axis=alt.Axis(format="%d.%m.%Y", labelAngle=-30)
            ),
            y=alt.Y("amount:Q", title=y_title, axis=alt.Axis(format=",.2f")),
        )
    )
    description = "; ".join(
        f"{formats.date_format(day, 'SHORT_DATE_FORMAT')}: {format_amount(amount, language)} {currency}"
        for day, amount in points
    )
    return render_svg(chart, title=title, description=f"{y_title}: {description}.")


def category_bars_svg(
    rows: Sequence[tuple[str, str, Decimal]],
    *,
    title: str,
    currency: str,
    category: str,
    legend: str,
    width: int = 460,
) -> SafeString:
    """Horizontal bars of amounts in ``currency`` per category (a tier, a form of compensation),
    stacked by series (e.g. redeemed, expired, still open) in the order the series first appear."""
    rows = [row for row in rows if row[2]]
    if not rows:
        return mark_safe("")
    language = chart_language()
    categories = list(dict.fromkeys(name for name, _series, _amount in rows))
    series = list(dict.fromkeys(name for _category, name, _amount in rows))
    data = [
        {"category": name, "series": part, "amount": float(amount), "order": series.index(part)}
        for name, part, amount in rows
    ]
    x_title = _("Amount in %(currency)s") % {"currency": currency}
    chart = (
        chart_base(data, title=title, width=width, height=alt.Step(26))
        .mark_bar()
        .encode(
            y=alt.Y("category:N", sort=categories, title=category),
            x=alt.X("sum(amount):Q", title=x_title, axis=alt.Axis(format=",.2f")),
            color=(
                alt.Color("series:N", title=legend, sort=series, scale=alt.Scale(range=PALETTE))
                if len(series) > 1
                else alt.value(PALETTE[0])  # one series needs no legend
            ),
            order=alt.Order("order:Q"),
        )
    )
    description = "; ".join(
        f"{name} {part}: {format_amount(amount, language)} {currency}" for name, part, amount in rows
    )
    return render_svg(chart, title=title, description=f"{x_title}: {description}.")
