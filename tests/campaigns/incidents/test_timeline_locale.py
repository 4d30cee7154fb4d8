"""Numbers written into SVG markup are the same in every language: a decimal comma or a thousands
separator in a coordinate makes the browser drop the shape (a blank timeline in French)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.incidents.exposure import exposure_recompute
from tests.campaigns.portal.test_views import signed_in, timeline_bars
from tests.factories import (
    AffectedCustomerFactory,
    OutageWindowFactory,
    PlacementFactory,
    ServerFactory,
    StorageVolumeFactory,
    utc,
)
from tests.signin import private_cache

pytestmark = pytest.mark.django_db

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
TAG = re.compile(r"<(rect|line|text|svg|polyline|circle|path|g)\b([^>]*)>")
NUMERIC = {"x", "y", "x1", "x2", "y1", "y2", "width", "height", "cx", "cy", "r", "rx", "ry"}
ATTRIBUTE = re.compile(r'([a-zA-Z-:]+)="([^"]*)"')


def svg_numbers(html: str) -> list[tuple[str, str]]:
    """Every numeric attribute of every shape in the page's SVGs, as written."""
    found = []
    for svg in SVG.findall(html):
        for _tag, attributes in TAG.findall(svg):
            for name, value in ATTRIBUTE.findall(attributes):
                if name in NUMERIC and not value.endswith("%"):
                    found.append((name, value))
                elif name == "viewBox":
                    found.extend((name, part) for part in value.split())
                elif name == "transform":  # Vega places groups and texts by translate(x,y)
                    found.extend(
                        (name, part) for args in re.findall(r"translate\(([^)]*)\)", value) for part in args.split(",")
                    )
                elif name == "points":
                    found.extend((name, part) for pair in value.split() for part in pair.split(","))
    return found


def assert_all_floats(html: str) -> int:
    numbers = svg_numbers(html)
    bad = []
    for name, value in numbers:
        try:
            float(value)
        except ValueError:
            bad.append(f"{name}={value!r}")
    assert not bad, bad
    return len(numbers)


def console_page(user, incident, language: str) -> str:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse("console:incident", args=[incident.slug]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def incident():
    volume = StorageVolumeFactory(name="stor-a")
    s19 = ServerFactory(name="server19", storage_volume=volume)
    window = OutageWindowFactory(
        target_type="volume", server=None, volume=volume, start=utc(2005, 12, 31, 22, 17), end=utc(2006, 1, 2, 18, 3)
    )
    OutageWindowFactory(incident=window.incident, server=s19, start=utc(2006, 1, 3, 9, 41), end=utc(2006, 1, 3, 11))
    PlacementFactory(server=s19, account__name="web-nineteen", account__customer__number="K19")
    exposure_recompute(incident=window.incident, now=utc(2006, 1, 4))
    return window.incident


@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_console_incident_timeline_coordinates_parse_as_numbers_in_every_language(support_user, incident, language):
    html = console_page(support_user, incident, language)
    assert f'lang="{language}' in html
    assert assert_all_floats(html) > 20
    # the bars are drawn where they are in German: no figure of their outline localised
    bars = timeline_bars(html)
    assert len(bars) == 3 and all(re.fullmatch(r"[MLCZ0-9.,\- ]+", d) for d in bars)
    assert bars == timeline_bars(console_page(support_user, incident, "de"))
    # the text alternative names every lane and window in Swiss local time
    desc = re.search(r'<desc id="timeline-desc">([^<]*)</desc>', html).group(1)
    assert desc.startswith("stor-a (") and "31.12.2005 23:17 – 02.01.2006 19:03" in desc
    assert "server19 (" in desc and "03.01.2006 10:41 – 03.01.2006 12:00." in desc
    assert 'aria-labelledby="timeline-title timeline-desc"' in html


@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_portal_incident_timeline_coordinates_parse_as_numbers_in_every_language(settings, language):
    private_cache(settings)
    world = AffectedCustomerFactory(language=language, with_voucher=True, pdf=True)
    response = signed_in(world.contact, language).get(reverse("portal:incident", args=["christmas-2005"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert assert_all_floats(html) > 10
    assert len(timeline_bars(html)) == 1
