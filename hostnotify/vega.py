"""Charts as server-side SVG: Vega-Lite specifications (built with Vega-Altair) rendered by
vl-convert, the same markup on pages and in WeasyPrint PDFs, no JavaScript in the browser.

Numbers on axes are formatted by d3 with the reader's Swiss locale (``1’234.50``, in French
``1 234,50``); dates and labels are written by Django's formats before they reach the chart, so
nothing in the markup is localised twice. Every chart carries a ``<title>`` and a ``<desc>`` (its
figures for screen readers) and ``role="img"``. A render costs a V8 call (tens of milliseconds of
CPU): callers cache the SVG — ``render_svg`` by the specification, a caller that knows what its
chart depends on by a cheaper key of its own (``svg_cached``), before building any specification.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import altair as alt
import vl_convert
from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accounts.formatting import APOSTROPHE, NARROW_NBSP

PALETTE = ["#c8102e", "#1d2430", "#1a7f37", "#b35900", "#5b6573", "#7a4bc2"]
CACHE_SECONDS = 24 * 3600
# d3-format locales as hostnotify.formats writes numbers (de-CH, fr-CH, it-CH, en-CH).
FORMAT_LOCALES = {
    "fr": {"decimal": ",", "thousands": NARROW_NBSP, "grouping": [3], "currency": ["", " CHF"]},
    "other": {"decimal": ".", "thousands": APOSTROPHE, "grouping": [3], "currency": ["CHF ", ""]},
}
TIME_LOCALES: dict[str, Any] = {"de": "de-CH", "fr": "fr-FR", "it": "it-IT", "en": "en-GB"}
FONT = "DejaVu Sans, Verdana, sans-serif"
INK, MUTED, GRID = "#1d2430", "#5b6573", "#dde1e6"


def chart_language() -> str:
    return (get_language() or "de")[:2]


def chart_base(data: list[dict], *, title: str, width: int | alt.Step, height: int | alt.Step) -> alt.Chart:
    """A chart of ``data`` in the house style: the title at the start, muted axis titles, no frame."""
    return (
        alt.Chart(alt.Data(values=data))
        .properties(title=title, width=width, height=height)
        .configure(font=FONT, aria=False)
        .configure_mark(aria=False)  # the <svg role="img"> names the chart; marks are not images of their own
        .configure_title(anchor="start", fontSize=14, color=INK)
        .configure_axis(labelColor=INK, titleColor=MUTED, gridColor=GRID)
        .configure_legend(labelColor=INK, titleColor=MUTED)
        .configure_view(stroke=None)
    )


def vega_svg(spec: dict, *, language: str) -> str:
    """vl-convert's SVG of ``spec``, numbers and dates in ``language``'s Swiss formats."""
    return vl_convert.vegalite_to_svg(
        spec,
        format_locale=FORMAT_LOCALES["fr" if language == "fr" else "other"],
        time_format_locale=TIME_LOCALES.get(language, "de-CH"),
    )


def with_text_alternative(svg: str, *, ident: str, title: str, description: str) -> str:
    """``svg`` named by ``<title id="{ident}-title">`` and ``<desc id="{ident}-desc">`` (both
    escaped here), ``role="img"``."""
    opening, rest = svg.split(">", 1)
    return (
        f'{opening} role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        f"{rest}"
    )


def svg_from_spec(spec: dict, *, ident: str, title: str, description: str) -> str:
    """The accessible SVG of ``spec`` in the active language."""
    svg = vega_svg(spec, language=chart_language())
    return with_text_alternative(svg, ident=ident, title=title, description=description)


def svg_cached(key: str, build: Callable[[], str], *, seconds: int = CACHE_SECONDS) -> SafeString:
    """The SVG cached under ``key`` (which must name everything it depends on), built on a miss."""
    svg = cache.get(key)
    if svg is None:
        svg = build()
        cache.set(key, svg, seconds)
    return mark_safe(svg)  # noqa: S308 - vl-convert's SVG; our own texts in it are escaped


def render_svg(chart: alt.TopLevelMixin, *, title: str, description: str) -> SafeString:
    """The chart as an accessible SVG, cached by its specification, language and texts."""
    spec = chart.to_dict()
    digest = hashlib.sha256(
        json.dumps([spec, chart_language(), title, description], sort_keys=True, default=str).encode()
    ).hexdigest()
    return svg_cached(
        f"chart-svg:{digest}",
        lambda: svg_from_spec(spec, ident=f"chart-{digest[:10]}", title=title, description=description),
    )
