"""The one outage-timeline geometry: pure layout, no ORM, no clock.

``timeline_layout`` turns rows of intervals into coordinates for a server-rendered SVG: one row
per hosting account (the portal) or per storage volume and server (the console), one bar per
interval, ticks at local midnights (or whole local hours for short outages). An interval without
an end is ongoing and drawn up to ``now``. The templates draw it; nothing here formats text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

HOUR_STEPS = (1, 2, 3, 6, 12)
DAY_STEPS = (1, 2, 7, 14, 30)


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    start: dt.datetime
    end: dt.datetime
    ongoing: bool = False  # no end yet: drawn up to ``now``


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    bars: list[Bar] = field(default_factory=list)
    kind: str = ""  # e.g. "volume" or "server" in the console
    note: str = ""  # e.g. the number of affected accounts


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
    rows: Sequence[tuple],
    *,
    tz: dt.tzinfo,
    now: dt.datetime | None = None,
    width: int = 480,
    left: int = 100,
    right: int = 12,
    row_height: int = 22,
    max_ticks: int = 7,
) -> Timeline | None:
    """Coordinates for ``rows`` of ``(label, [(start, end or None), ...])``, optionally followed by
    a kind and a note; None when there is nothing to draw. ``now`` is needed for ongoing intervals."""

    def until(end: dt.datetime | None) -> dt.datetime:
        if end is not None:
            return end
        if now is None:
            raise ValueError("an ongoing interval needs now")
        return now

    spans = [(start, until(end)) for _, intervals, *_ in rows for start, end in intervals]
    if not spans:
        return None
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    pad = max((last - first) * 0.04, dt.timedelta(minutes=30))
    start, end = first - pad, last + pad
    scale = (width - left - right) / (end - start).total_seconds()

    def x_of(at: dt.datetime) -> float:
        return round(left + (at - start).total_seconds() * scale, 1)

    laid_out = []
    for index, (label, intervals, *extra) in enumerate(rows):
        bars = []
        for s, e in intervals:
            stop = until(e)
            bars.append(
                Bar(x=x_of(s), width=max(round(x_of(stop) - x_of(s), 1), 1.5), start=s, end=stop, ongoing=e is None)
            )
        kind, note = (list(extra) + ["", ""])[:2]
        laid_out.append(Row(label=label, y=index * row_height + 4, bars=bars, kind=kind, note=note))
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
