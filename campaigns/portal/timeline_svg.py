"""The portal's outage timeline as SVG markup, written in Python.

The same markup ``portal/_timeline.html`` drew from ``campaigns.incidents.timeline``'s geometry;
the template engine took about a tenth of an incident page's render time for a dozen shapes, and
the morning after a mailing every customer's first visit renders it. Coordinates are written
unlocalised (a decimal comma would make the browser drop the shape); labels and titles in the
customer's language and time zone, as the ``date`` filter writes them.
"""

from __future__ import annotations

from django.template.defaultfilters import add, truncatechars
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext

from campaigns.incidents.timeline import Bar, Row, Tick, Timeline


def timeline_svg(timeline: Timeline) -> SafeString:
    parts = [
        format_html(
            '<svg viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="timeline-title"'
            ' preserveAspectRatio="xMinYMin meet">\n  <title id="timeline-title">{}</title>',
            timeline.width,
            timeline.height,
            gettext("When your services were down"),
        ),
        format_html_join("", "{}", ((_tick(timeline, tick),) for tick in timeline.ticks)),
        format_html_join("", "{}", ((_row(timeline, row),) for row in timeline.rows)),
        SafeString("\n</svg>"),
    ]
    return SafeString("".join(parts))


def _tick(timeline: Timeline, tick: Tick) -> SafeString:
    at = localtime(tick.at)
    hour = date_format(at, "H:i")
    label = date_format(at, "d.m.") if tick.daily or hour == "00:00" else hour
    return format_html(
        '\n  <line x1="{x}" x2="{x}" y1="0" y2="{axis}" class="tick"/>'
        '\n  <text x="{x}" y="{y}" text-anchor="middle" class="tick-label">{label}</text>',
        x=tick.x,
        axis=timeline.axis_y,
        y=add(timeline.height, "-6"),
        label=label,
    )


def _row(timeline: Timeline, row: Row) -> SafeString:
    return format_html(
        '\n  <text x="4" y="{}" class="row-label">{}</text>'
        '\n  <line x1="{}" x2="{}" y1="{lane}" y2="{lane}" class="lane"/>{}',
        add(row.y, 14),
        truncatechars(row.label, 14),
        timeline.left,
        add(timeline.width, -12),
        format_html_join("", "{}", ((_bar(row, bar),) for bar in row.bars)),
        lane=add(row.y, 9),
    )


def _bar(row: Row, bar: Bar) -> SafeString:
    return format_html(
        '\n  <rect x="{}" y="{}" width="{}" height="18" rx="2" class="down"><title>{} – {}</title></rect>',
        bar.x,
        row.y,
        bar.width,
        date_format(localtime(bar.start), "SHORT_DATETIME_FORMAT"),
        date_format(localtime(bar.end), "SHORT_DATETIME_FORMAT"),
    )
