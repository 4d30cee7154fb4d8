"""The Atom feeds in the reader's language: the feed's own title and subtitle, each entry's title
(the incident's title in that language and the phase), and the incident's default language where
a title is missing — the same feed URL with another ``?lang`` is another, separately cached feed."""

import xml.etree.ElementTree as ET

import pytest

from tests.factories import IncidentFactory, IncidentUpdateFactory, utc

ATOM = "{http://www.w3.org/2005/Atom}"
TITLES = {
    "de": "Speicherausfall Weihnachten 2005",
    "fr": "Panne de stockage Noël 2005",
    "it": "Guasto dello storage Natale 2005",
    "en": "Storage outage Christmas 2005",
}
# What the feed says in each language (the catalogues' translations, written out).
FEED = {
    "de": ("Hostnotify Hosting AG: Statusmeldungen", "wird untersucht", "behoben"),
    "fr": ("Hostnotify Hosting AG : mises à jour de statut", "analyse en cours", "résolu"),
    "it": ("Hostnotify Hosting AG: aggiornamenti di stato", "in analisi", "risolto"),
    "en": ("Hostnotify Hosting AG: status updates", "investigating", "resolved"),
}


@pytest.fixture(autouse=True)
def _cache(settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 30, "BRAND_NAME": "Hostnotify Hosting AG"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "feeds"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def incidents(db):
    xmas = IncidentFactory(slug="xmas-2005", title="Storage outage Christmas 2005", default_language="de",
                           public=True, **{f"title_{lang}": title for lang, title in TITLES.items()})  # fmt: skip
    IncidentUpdateFactory(incident=xmas, phase="investigating", texts={"de": "Wir prüfen.", "fr": "Nous vérifions."},
                          published_at=utc(2005, 12, 31, 23))  # fmt: skip
    # only a German title: every reader gets the incident's default language
    network = IncidentFactory(slug="netz-2004", title="Netzausfall", default_language="de", public=True,
                              title_de="Netzausfall", title_fr="", title_it="", title_en="")  # fmt: skip
    IncidentUpdateFactory(incident=network, phase="resolved", texts={"de": "Behoben."}, published_at=utc(2004, 5, 1))
    return xmas, network


def feed(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def texts(root: ET.Element, tag: str) -> list[str]:
    return [entry.find(f"{ATOM}{tag}").text for entry in root.findall(f"{ATOM}entry")]


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_the_overall_feed_is_in_the_reader_s_language(client, incidents, language):
    title, investigating, resolved = FEED[language]

    root = feed(client, f"/status/feed/?lang={language}")

    assert root.find(f"{ATOM}title").text == title
    assert texts(root, "title") == [f"{TITLES[language]}: {investigating}", f"Netzausfall: {resolved}"]


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_an_incident_feed_carries_the_incident_s_title_in_the_reader_s_language(client, incidents, language):
    root = feed(client, f"/status/xmas-2005/feed/?lang={language}")
    fallback = feed(client, f"/status/netz-2004/feed/?lang={language}")

    assert root.find(f"{ATOM}title").text == TITLES[language]
    assert texts(root, "title") == [f"{TITLES[language]}: {FEED[language][1]}"]
    assert fallback.find(f"{ATOM}title").text == "Netzausfall"


def test_one_language_s_cached_feed_is_never_served_in_another(client, incidents):
    german = feed(client, "/status/xmas-2005/feed/?lang=de")
    french = feed(client, "/status/xmas-2005/feed/?lang=fr")
    german_again = feed(client, "/status/xmas-2005/feed/?lang=de")

    assert [german.find(f"{ATOM}title").text, french.find(f"{ATOM}title").text] == [TITLES["de"], TITLES["fr"]]
    assert german_again.find(f"{ATOM}title").text == TITLES["de"]
    assert texts(french, "summary") == ["<p>Nous vérifions.</p>"]
