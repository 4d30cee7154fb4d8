"""The outage timeline chart of the console and the portal: one lane per storage volume and server
(the console's incident page, the portal) or per hosting account (a customer's story), one bar
per window, drawn by Vega-Lite (``hostnotify.vega``) as server-side SVG.

Times are drawn as wall-clock times of ``tz`` on a UTC scale, so that neither the renderer's zone
nor daylight saving moves a bar; the axis writes a date at midnight and ``HH:MM`` otherwise, the
same in every language. A window without an end is ongoing and drawn, dashed, up to ``now``. The
``<desc>`` lists every lane and window for screen readers.

The drawing is cached under a key made of everything it shows (lanes, windows, zone, legend),
computed before any chart is built, and holds nothing of the reader's language: the title and the
``<desc>`` are written into it per reader, a string operation. The same lanes give the same key for
every customer on the same servers, whatever their language, and a changed window gives a new key
— the portal draws a timeline once per set of servers (and time zone), not once per customer;
``campaigns.portal.timelines`` draws them all ahead of the first visit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
from django.utils.safestring import SafeString, mark_safe

from hostnotify.vega import GRID, MUTED, PALETTE, chart_base, svg_cached, vega_svg, with_text_alternative

VERSION = 3  # part of the cache key: change it when the drawing changes
# A drawing is named by what it shows, so it never goes stale: kept as long as the cache keeps it.
DRAWING_SECONDS = 30 * 24 * 3600
KIND_COLOURS = {"volume": "#7a0a1c", "server": "#c8102e"}  # dark: the volume, red: its servers
DESC_FORMAT = "%d.%m.%Y %H:%M"


@dataclass(frozen=True)
class Lane:
    label: str
    spans: tuple[tuple[dt.datetime, dt.datetime | None], ...]  # (start, end or None while ongoing)
    kind: str = ""  # a key of ``kinds`` (e.g. "volume", "server"): the lane's colour and legend
    note: str = ""  # e.g. "12 accounts", written after the label


def _wall(at: dt.datetime, tz: dt.tzinfo) -> str:
    """``at`` as the wall-clock time of ``tz``, written as if it were UTC (the chart's scale)."""
    return at.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _lane_name(lane: Lane) -> str:
    return f"{lane.label} · {lane.note}" if lane.note else lane.label


def timeline_description(lanes: Sequence[Lane], tz: dt.tzinfo) -> str:
    """Every lane and its windows in ``tz``: ``stor-a (3 servers): 31.12.2005 23:30 – 02.01.2006
    19:00; server19 (2 accounts): 03.01.2006 10:00 – ….``"""
    parts = []
    for lane in lanes:
        windows = ", ".join(
            f"{start.astimezone(tz).strftime(DESC_FORMAT)} – "
            + (end.astimezone(tz).strftime(DESC_FORMAT) if end is not None else "…")
            for start, end in lane.spans
        )
        parts.append(f"{lane.label}{f' ({lane.note})' if lane.note else ''}: {windows}")
    return "; ".join(parts) + "." if parts else ""


def timeline_svg(
    lanes: Sequence[Lane],
    *,
    tz: dt.tzinfo,
    title: str,
    ident: str = "timeline",
    kinds: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    width: int = 640,
) -> SafeString:
    """The timeline of ``lanes`` as an accessible SVG (``<title id="{ident}-title">``, ``<desc
    id="{ident}-desc">``), empty when no lane has a window. ``kinds`` names the lane kinds for the
    legend (none with one kind); ``now`` is needed for ongoing windows."""
    lanes = [lane for lane in lanes if lane.spans]
    if not lanes:
        return mark_safe("")
    drawing = timeline_drawing(lanes, tz=tz, kinds=kinds, now=now, width=width)
    svg = with_text_alternative(drawing, ident=ident, title=title, description=timeline_description(lanes, tz))
    return mark_safe(svg)  # noqa: S308 - vl-convert's SVG; our own texts in it are escaped


def timeline_drawing(
    lanes: Sequence[Lane],
    *,
    tz: dt.tzinfo,
    kinds: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    width: int = 640,
) -> str:
    """vl-convert's SVG of ``lanes`` (with a window each), from the cache when drawn before. It
    holds no text of the reader's language but the ``kinds`` given: axis labels are digits the
    same in every language, so the drawing is shared by every language and only the title and the
    text alternative (``timeline_svg``) are written per reader."""
    ongoing = any(end is None for lane in lanes for _start, end in lane.spans)
    if ongoing and now is None:
        raise ValueError("an ongoing window needs now")
    until = now.replace(second=0, microsecond=0) if ongoing and now is not None else None
    kinds = dict(kinds or {})
    key_parts = [
        VERSION,
        str(tz),
        width,
        sorted(kinds.items()),
        until.isoformat() if until else "",
        [
            [lane.label, lane.kind, lane.note, [[s.isoformat(), e.isoformat() if e else ""] for s, e in lane.spans]]
            for lane in lanes
        ],
    ]
    key = "timeline-svg:" + hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()

    def build() -> str:
        # Not validated against the Vega-Lite schema per drawing (jsonschema: 20 ms, more than the
        # chart takes to build): tests validate every shape _chart builds.
        spec = _chart(lanes, tz=tz, kinds=kinds, until=until, width=width).to_dict(validate=False)
        return vega_svg(spec, language="de")  # nothing in it is language-dependent (see above)

    return svg_cached(key, build, seconds=DRAWING_SECONDS)


def _chart(
    lanes: Sequence[Lane],
    *,
    tz: dt.tzinfo,
    kinds: dict[str, str],
    until: dt.datetime | None,
    width: int,
) -> alt.Chart:
    rows = []
    for lane in lanes:
        for start, end in lane.spans:
            stop = end if end is not None else until
            assert stop is not None  # timeline_svg checked it
            rows.append(
                {
                    "lane": _lane_name(lane),
                    "kind": kinds.get(lane.kind, lane.kind),
                    "start": _wall(start, tz),
                    "end": _wall(max(stop, start + dt.timedelta(minutes=1)), tz),
                    "ongoing": end is None,
                }
            )
    starts = [start for lane in lanes for start, _end in lane.spans]
    stops = [end or until for lane in lanes for _start, end in lane.spans]
    first, last = min(starts), max(s for s in stops if s is not None)
    pad = max((last - first) * 0.04, dt.timedelta(minutes=30))
    midnight_or_hour = (
        "utcFormat(datum.value, '%H:%M') == '00:00'"
        " ? utcFormat(datum.value, '%d.%m.') : utcFormat(datum.value, '%H:%M')"
    )
    shown = [kind for kind in dict.fromkeys(lane.kind for lane in lanes) if kind in kinds]
    legend_kinds = [kinds[kind] for kind in shown]
    colour: Any = (  # an encoding, or one colour for every lane
        alt.Color(
            "kind:N",
            title=None,
            sort=legend_kinds,
            scale=alt.Scale(
                domain=legend_kinds, range=[KIND_COLOURS.get(kind, PALETTE[i]) for i, kind in enumerate(shown)]
            ),
            legend=alt.Legend(orient="bottom", direction="horizontal"),
        )
        if len(legend_kinds) > 1
        else alt.ColorValue(PALETTE[0])
    )
    return (
        chart_base(rows, title="", width=width, height=alt.Step(24))
        .mark_bar(cornerRadius=2, height=16)
        .encode(
            x=alt.X(
                "start:T",
                title=None,
                scale=alt.Scale(type="utc", domain=[_wall(first - pad, tz), _wall(last + pad, tz)]),
                axis=alt.Axis(
                    labelExpr=midnight_or_hour, tickCount=max(2, width // 90), labelColor=MUTED, labelFontSize=11
                ),
            ),
            x2="end:T",
            y=alt.Y(
                "lane:N",
                title=None,
                sort=[_lane_name(lane) for lane in lanes],
                axis=alt.Axis(labelLimit=220, labelFontSize=12, domain=False, ticks=False, grid=True, gridColor=GRID),
            ),
            color=colour,
            # Channel objects, not alt.condition()'s dicts: encode() would match each dict against
            # the schema (jsonschema, ~40 ms a chart); these are the same specification.
            opacity=alt.OpacityValue(1, condition={"test": "datum.ongoing", "value": 0.55}),
            strokeDash=alt.StrokeDashValue([1, 0], condition={"test": "datum.ongoing", "value": [3, 2]}),
            stroke=alt.StrokeValue(None, condition={"test": "datum.ongoing", "value": PALETTE[0]}),
        )
    )
