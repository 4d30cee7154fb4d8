"""The portal's timeline SVG, written in Python: labels escaped and shortened, ticks and bar titles
in the customer's time zone and language, coordinates unlocalised."""

import datetime as dt
import zoneinfo

from django.utils import timezone, translation

from campaigns.incidents.timeline import timeline_layout
from campaigns.portal.timeline_svg import timeline_svg

ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


def _svg(language: str) -> str:
    rows = [
        ("<mail>&web-account", [(dt.datetime(2006, 1, 1, 1, tzinfo=dt.UTC), dt.datetime(2006, 1, 1, 5, tzinfo=dt.UTC))])
    ]
    with translation.override(language), timezone.override(ZURICH):
        return str(timeline_svg(timeline_layout(rows, tz=ZURICH)))


def test_labels_are_escaped_and_shortened_and_times_are_local():
    svg = _svg("de")
    assert "&lt;mail&gt;&amp;web-ac…" in svg and "<mail>" not in svg
    assert "<title>01.01.2006 02:00 – 01.01.2006 06:00</title>" in svg  # 01:00 UTC is 02:00 in Zurich
    assert '<title id="timeline-title">' in svg


def test_coordinates_are_the_same_in_every_language():
    shapes = {
        language: [line for line in _svg(language).splitlines() if "<rect" in line or "<line" in line]
        for language in ("de", "fr", "it", "en")
    }
    assert shapes["fr"] == shapes["de"] == shapes["it"] == shapes["en"]
    assert all("," not in line.split("<title>")[0] for line in shapes["fr"])
