"""The outage timeline chart (console and portal): Vega-Lite SVG with a title, a text alternative,
the same geometry in every language, local wall-clock times, and one render per distinct chart."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.core.cache import cache
from django.utils import translation

from campaigns.incidents import timeline
from campaigns.incidents.timeline import Lane, timeline_description, timeline_svg
from tests.campaigns.portal.test_views import timeline_bars

ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


VOLUME = Lane("stor-a", ((utc(2005, 12, 31, 22, 30), utc(2006, 1, 2, 18)),), "volume", "1 server")
SERVER = Lane("server19", ((utc(2005, 12, 31, 22, 30), utc(2006, 1, 2, 18)), (utc(2006, 1, 3, 9), None)), "server")
KINDS = {"volume": "Speichervolumen", "server": "Server"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _svg(language="de", lanes=(VOLUME, SERVER), tz=ZURICH, **extra) -> str:
    with translation.override(language):
        return str(timeline_svg(list(lanes), tz=tz, title="Ausfälle", kinds=KINDS, now=utc(2006, 1, 4), **extra))


def test_nothing_to_draw_gives_no_markup():
    assert timeline_svg([], tz=ZURICH, title="t") == ""
    assert timeline_svg([Lane("web1", ())], tz=ZURICH, title="t") == ""


def test_an_ongoing_window_needs_now():
    with pytest.raises(ValueError, match="needs now"):
        timeline_svg([SERVER], tz=ZURICH, title="t")


def test_title_and_text_alternative_list_every_lane_and_window_in_local_time():
    svg = _svg()
    assert svg.startswith("<svg") and 'role="img" aria-labelledby="timeline-title timeline-desc"' in svg
    assert '<title id="timeline-title">Ausfälle</title>' in svg
    assert (
        '<desc id="timeline-desc">stor-a (1 server): 31.12.2005 23:30 – 02.01.2006 19:00; '
        "server19: 31.12.2005 23:30 – 02.01.2006 19:00, 03.01.2006 10:00 – ….</desc>"
    ) in svg
    # three bars, the lanes named on the axis, a legend of the kinds, midnight as a date
    assert len(timeline_bars(svg)) == 3
    assert ">stor-a · 1 server<" in svg and ">server19<" in svg
    assert ">Speichervolumen<" in svg and ">Server<" in svg
    assert ">01.01.<" in svg and ">02.01.<" in svg
    assert svg.count('stroke-dasharray="3,2"') == 1  # the ongoing window, dashed


def test_labels_are_escaped():
    svg = _svg(lanes=[Lane("<mail>&web", ((utc(2006, 1, 1, 1), utc(2006, 1, 1, 5)),))])
    assert "<mail>" not in svg and "&lt;mail&gt;&amp;web" in svg


def test_the_geometry_is_the_same_in_every_language_and_only_the_legend_changes():
    bars = {language: timeline_bars(_svg(language)) for language in ("de", "fr", "it", "en")}
    assert bars["de"] == bars["fr"] == bars["it"] == bars["en"]
    assert all(re.fullmatch(r"[MLCZ0-9., \-]+", d) for d in bars["fr"])


def test_times_are_the_wall_clock_of_the_zone():
    # a window of 01:00-05:00 UTC: 02:00-06:00 in Zurich, 20:00-00:00 the evening before in New York
    lanes = [Lane("web1", ((utc(2006, 1, 1, 1), utc(2006, 1, 1, 5)),))]
    assert timeline_description(lanes, ZURICH) == "web1: 01.01.2006 02:00 – 01.01.2006 06:00."
    assert timeline_description(lanes, NEW_YORK) == "web1: 31.12.2005 20:00 – 01.01.2006 00:00."
    assert ">31.12.<" not in _svg(lanes=lanes) and ">01.01.<" in _svg(lanes=lanes, tz=NEW_YORK)


def test_one_render_per_distinct_chart(monkeypatch):
    renders = []
    real = timeline.vega_svg
    monkeypatch.setattr(timeline, "vega_svg", lambda spec, **kw: renders.append(1) or real(spec, **kw))
    first = _svg()
    assert _svg() == first and len(renders) == 1  # the same lanes, language and zone: from the cache
    assert _svg("fr") == first and len(renders) == 1  # another language: the same drawing (digits only)
    moved = Lane("server19", ((utc(2005, 12, 31, 22, 30), utc(2006, 1, 2, 19)), (utc(2006, 1, 3, 9), None)), "server")
    assert _svg(lanes=(VOLUME, moved)) != first and len(renders) == 2  # a window changed: drawn again
    assert _svg() == first and len(renders) == 2
    titled = str(timeline_svg([VOLUME, SERVER], tz=ZURICH, title="Pannes", kinds=KINDS, now=utc(2006, 1, 4)))
    assert len(renders) == 2 and '<title id="timeline-title">Pannes</title>' in titled  # texts written per reader


@pytest.mark.parametrize("kinds", [KINDS, {}], ids=["legend", "one colour"])
@pytest.mark.parametrize("until", [utc(2006, 1, 4), None], ids=["ongoing", "ended"])
def test_every_shape_of_chart_is_valid_vega_lite(kinds, until):
    """Drawings skip the schema check for speed; every shape of specification is checked here."""
    lanes = [VOLUME, SERVER] if until else [VOLUME, Lane("server19", VOLUME.spans, "server")]
    spec = timeline._chart(lanes, tz=ZURICH, kinds=kinds, until=until, width=520)
    assert spec.to_dict(validate=True) == spec.to_dict(validate=False)  # raises on a schema error
