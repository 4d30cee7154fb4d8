"""Public status page and Atom feeds: content, languages, fallback, caching headers, query counts."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.status.feeds import update_entry_id
from tests.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    OutageWindowFactory,
    ServerFactory,
    StorageVolumeFactory,
    utc,
)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _cache(settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 30}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "status-tests"}
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outage(db):
    """An open incident with an ongoing volume window and an ended server window, plus a resolved one."""
    volume = StorageVolumeFactory(name="vol7")
    ServerFactory(name="server19", storage_volume=volume)
    ServerFactory(name="server20", storage_volume=volume)
    incident = IncidentFactory(slug="storage-2005", title="Storage failure", default_language="de")
    OutageWindowFactory(
        incident=incident, target_type="volume", server=None, volume=volume, start=utc(2005, 12, 31, 22, 30), end=None
    )
    OutageWindowFactory(
        incident=incident, server=ServerFactory(name="server3"), start=utc(2006, 1, 1, 8), end=utc(2006, 1, 1, 10)
    )
    IncidentUpdateFactory(
        incident=incident,
        phase="investigating",
        texts={"de": "Wir untersuchen.", "fr": "Nous examinons."},
        published_at=utc(2005, 12, 31, 23, 0),
    )
    IncidentUpdateFactory(
        incident=incident,
        phase="identified",
        texts={"de": "Controller defekt.", "en": "A controller failed."},
        published_at=utc(2006, 1, 1, 9, 15),
    )
    old = IncidentFactory(slug="network-2004", title="Network outage", status="resolved")
    OutageWindowFactory(
        incident=old, server=ServerFactory(name="server1"), start=utc(2004, 5, 1, 10), end=utc(2004, 5, 1, 11)
    )
    IncidentFactory(slug="internal", title="Hidden drill", public=False)
    return incident


def test_index_lists_current_incidents_before_history_and_hides_private_ones(client, outage):
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Storage failure") < html.index("Past incidents") < html.index("Network outage")
    assert "Hidden drill" not in html
    assert "server3, vol7" in html
    assert "A controller failed." in html  # only the latest update on the overview
    assert "Nous examinons." not in html


def test_index_makes_a_fixed_number_of_queries(client, outage, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 0}
    for n in range(5):
        incident = IncidentFactory(slug=f"more-{n}")
        OutageWindowFactory.create_batch(3, incident=incident, server=ServerFactory(name=f"s{n}"))
        IncidentUpdateFactory.create_batch(2, incident=incident)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/status/").status_code == 200

    assert len(queries) == 4


def test_incident_page_makes_a_fixed_number_of_queries(client, outage, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 0}
    IncidentUpdateFactory.create_batch(5, incident=outage)
    OutageWindowFactory.create_batch(5, incident=outage, server=ServerFactory(name="server40"))

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/status/storage-2005/").status_code == 200

    assert len(queries) == 4  # incident, windows with targets, servers on the volumes, updates


def test_incident_page_in_french_shows_windows_servers_and_timeline_with_fallback(client, outage):
    response = client.get("/status/storage-2005/", HTTP_ACCEPT_LANGUAGE="fr")

    html = response.content.decode()
    assert response["Content-Language"] == "fr"
    assert "server19, server20, server3" in html  # servers on vol7 and the server window
    assert "vol7" in html
    # Europe/Zurich local time: 22:30 UTC on 31.12.2005 is 23:30 in Zurich; the volume window is ongoing.
    assert "31.12.2005 23:30" in html
    assert "01.01.2006 11:00" in html
    assert 'class="ongoing"' in html
    assert "Nous examinons." in html
    # The "identified" update has no French text: it falls back to the incident's language (German).
    assert '<div class="update-text" lang="de"><p>Controller defekt.</p></div>' in html
    assert "A controller failed." not in html
    assert html.index("Controller defekt.") < html.index("Nous examinons.")  # newest first


def test_incident_page_in_english_uses_english_text(client, outage):
    html = client.get("/status/storage-2005/?lang=en").content.decode()

    assert "A controller failed." in html
    assert "Wir untersuchen." in html  # no English text: German fallback
    assert "Controller defekt." not in html


def test_private_and_unknown_incidents_are_404(client, outage):
    assert client.get("/status/internal/").status_code == 404
    assert client.get("/status/internal/feed/").status_code == 404
    assert client.get("/status/nope/").status_code == 404


def test_incident_feed_is_atom_with_one_entry_per_update(client, outage):
    response = client.get("/status/storage-2005/feed/?lang=fr")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "Storage failure"
    entries = root.findall(f"{ATOM}entry")
    updates = list(outage.updates.order_by("-published_at"))
    assert [e.find(f"{ATOM}id").text for e in entries] == [update_entry_id(u) for u in updates]
    assert entries[0].find(f"{ATOM}id").text == f"tag:127.0.0.1,2006-01-01:status/updates/{updates[0].pk}"
    assert [e.find(f"{ATOM}summary").text for e in entries] == ["<p>Controller defekt.</p>", "<p>Nous examinons.</p>"]
    assert (
        entries[0].find(f"{ATOM}link").get("href") == f"http://testserver/status/storage-2005/#update-{updates[0].pk}"
    )
    assert entries[0].find(f"{ATOM}published").text == "2006-01-01T09:15:00+00:00"


def test_overall_feed_has_public_updates_only(client, outage):
    hidden = IncidentFactory(slug="internal")
    IncidentUpdateFactory(incident=hidden, texts={"en": "secret"})
    IncidentUpdateFactory(
        incident=IncidentFactory(slug="network-2004"),
        phase="resolved",
        texts={"en": "Fixed."},
        published_at=utc(2004, 5, 1, 11),
    )

    root = ET.fromstring(client.get("/status/feed/?lang=en").content)

    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Storage failure: identified", "Storage failure: investigating", "Network outage: resolved"]


def test_conditional_get_answers_304(client, outage):
    first = client.get("/status/storage-2005/")
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=30"
    assert "Accept-Language" in first["Vary"]

    by_etag = client.get("/status/storage-2005/", HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get("/status/storage-2005/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    feed = client.get("/status/feed/")
    feed_again = client.get("/status/feed/", HTTP_IF_NONE_MATCH=feed["ETag"])

    assert by_etag.status_code == 304
    assert by_date.status_code == 304
    assert by_etag.content == b""
    assert feed_again.status_code == 304


def test_cache_varies_by_language_and_is_invalidated_by_a_new_update(
    client, outage, support_user, django_capture_on_commit_callbacks
):
    from campaigns.status.services import update_post

    german = client.get("/status/storage-2005/", HTTP_ACCEPT_LANGUAGE="de")
    french = client.get("/status/storage-2005/", HTTP_ACCEPT_LANGUAGE="fr")
    assert german["ETag"] != french["ETag"]

    with CaptureQueriesContext(connection) as queries:
        cached = client.get("/status/storage-2005/", HTTP_ACCEPT_LANGUAGE="de")
    assert len(queries) == 0
    assert cached.content == german.content

    with django_capture_on_commit_callbacks(execute=True):
        update_post(incident=outage, phase="monitoring", texts={"de": "Wir beobachten."}, by=support_user)
    fresh = client.get("/status/storage-2005/", HTTP_ACCEPT_LANGUAGE="de", HTTP_IF_NONE_MATCH=german["ETag"])

    assert fresh.status_code == 200
    assert "Wir beobachten." in fresh.content.decode()


def test_language_switch_sets_cookie_and_redirects_locally(client, db):
    response = client.get("/status/language/fr/?next=/status/x/")
    assert response.status_code == 302
    assert response["Location"] == "/status/x/"
    assert response.cookies["django_language"].value == "fr"

    evil = client.get("/status/language/it/?next=https://evil.example/")
    assert evil["Location"] == "/status/"


def test_incident_updates_selector_localizes_with_fallback(outage):
    from campaigns.status.selectors import incident_updates

    updates = incident_updates(outage, "it")

    assert [(u.phase, u.text, u.text_language, u.is_fallback) for u in updates] == [
        ("identified", "Controller defekt.", "de", True),
        ("investigating", "Wir untersuchen.", "de", True),
    ]
