"""Geometry for server-rendered SVG charts. Pure: data in, coordinates out; templates draw them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    ongoing: bool
    title: str


@dataclass(frozen=True)
class Lane:
    label: str
    kind: str
    y: float
    bars: list[Bar]
    note: str = ""


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    label_width: int
    lanes: list[Lane]
    ticks: list[Tick]
    lane_height: int


def timeline(
    lanes: list[tuple[str, str, list[tuple[dt.datetime, dt.datetime | None]], str]],
    *,
    now: dt.datetime,
    tz: str = "Europe/Zurich",
    width: int = 900,
    label_width: int = 150,
    lane_height: int = 26,
) -> Timeline | None:
    """Lanes of ``(label, kind, [(start, end or None)], note)`` on one time axis with day ticks."""
    spans = [(s, e or now) for _, _, windows, _ in lanes for s, e in windows]
    if not spans:
        return None
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    local = ZoneInfo(tz)
    start_day = start.astimezone(local).replace(hour=0, minute=0, second=0, microsecond=0)
    end_local = end.astimezone(local)
    end_day = end_local.replace(hour=0, minute=0, second=0, microsecond=0)
    if end_day < end_local:
        end_day = (end_day + dt.timedelta(days=1, hours=2)).replace(hour=0)
    total = (end_day - start_day).total_seconds() or 1
    plot = width - label_width - 24

    def x(moment: dt.datetime) -> float:
        return round(label_width + plot * (moment - start_day).total_seconds() / total, 1)

    fmt = "%d.%m.%Y %H:%M"
    out_lanes = []
    for index, (label, kind, windows, note) in enumerate(lanes):
        bars = []
        for s, e in windows:
            stop = e or now
            title = f"{s.astimezone(local).strftime(fmt)} – " + (stop.astimezone(local).strftime(fmt) if e else "…")
            bars.append(Bar(x(s), max(round(x(stop) - x(s), 1), 1.5), e is None, title))
        out_lanes.append(Lane(label, kind, 24 + index * lane_height, bars, note))
    days = max(int(round(total / 86400)), 1)
    every = max(1, days // 10)
    ticks = []
    day = start_day
    while day <= end_day:
        ticks.append(Tick(x(day), day.strftime("%d.%m.")))
        day = (day + dt.timedelta(days=every, hours=2)).replace(hour=0)
    return Timeline(width, 24 + len(lanes) * lane_height + 10, label_width, out_lanes, ticks, lane_height)
