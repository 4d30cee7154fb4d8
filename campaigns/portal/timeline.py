"""The small outage timeline of the portal: pure layout, no ORM, no clock.

``timeline_layout`` turns rows of intervals into coordinates for a server-rendered SVG: one row
per hosting account, one bar per merged interval, ticks at local midnights (or whole local hours
for short outages). The template draws it; nothing here formats text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

HOUR_STEPS = (1, 2, 3, 6, 12)
DAY_STEPS = (1, 2, 7, 14, 30)


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass(frozen=True)
class Tick:
    x: float
    at: dt.datetime
    daily: bool


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    left: int
    right: int
    row_height: int
    axis_y: float
    rows: list[Row]
    ticks: list[Tick]
    start: dt.datetime
    end: dt.datetime


def _ticks(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo, max_ticks: int) -> tuple[list[dt.datetime], bool]:
    hours = (end - start).total_seconds() / 3600
    for step in HOUR_STEPS:
        if hours / step <= max_ticks:
            first = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
            ticks, at = [], first
            while at <= end:
                if at >= start and at.astimezone(tz).hour % step == 0:
                    ticks.append(at)
                at = (at.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(tz)
            return ticks, False
    days = hours / 24
    step = next((s for s in DAY_STEPS if days / s <= max_ticks), DAY_STEPS[-1])
    day = start.astimezone(tz).date()
    ticks = []
    while True:
        at = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        if at > end:
            break
        if at >= start and day.toordinal() % step == 0:
            ticks.append(at)
        day += dt.timedelta(days=1)
    return ticks, True


def timeline_layout(
    rows: list[tuple[str, list[tuple[dt.datetime, dt.datetime]]]],
    *,
    tz: dt.tzinfo,
    width: int = 480,
    left: int = 100,
    right: int = 12,
    row_height: int = 22,
    max_ticks: int = 7,
) -> Timeline | None:
    """Coordinates for ``rows`` of ``(label, [(start, end), ...])``; None when there is nothing to draw."""
    spans = [interval for _, intervals in rows for interval in intervals]
    if not spans:
        return None
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    pad = max((last - first) * 0.04, dt.timedelta(minutes=30))
    start, end = first - pad, last + pad
    scale = (width - left - right) / (end - start).total_seconds()

    def x_of(at: dt.datetime) -> float:
        return round(left + (at - start).total_seconds() * scale, 1)

    laid_out = []
    for index, (label, intervals) in enumerate(rows):
        bars = [Bar(x=x_of(s), width=max(round(x_of(e) - x_of(s), 1), 1.5), start=s, end=e) for s, e in intervals]
        laid_out.append(Row(label=label, y=index * row_height + 4, bars=bars))
    tick_times, daily = _ticks(start, end, tz, max_ticks)
    axis_y = len(rows) * row_height + 4
    return Timeline(
        width=width,
        height=axis_y + 22,
        left=left,
        right=right,
        row_height=row_height,
        axis_y=axis_y,
        rows=laid_out,
        ticks=[Tick(x=x_of(at), at=at, daily=daily) for at in tick_times],
        start=start,
        end=end,
    )
