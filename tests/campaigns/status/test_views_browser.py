"""The public status page in Chromium: overview, incident page, language switch."""

import pytest

from tests.factories import IncidentFactory, IncidentUpdateFactory, OutageWindowFactory, ServerFactory, utc

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM is only used before it starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="de-CH")
        yield context.new_page()
        browser.close()


def test_status_page_shows_incident_windows_and_updates_in_the_chosen_language(
    live_server, transactional_db, settings, browser_page
):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 0}
    incident = IncidentFactory(slug="storage-2005", title="Storage failure", default_language="de")
    OutageWindowFactory(
        incident=incident, server=ServerFactory(name="server19"), start=utc(2005, 12, 31, 22, 30), end=None
    )
    IncidentUpdateFactory(
        incident=incident, phase="identified", texts={"de": "Controller defekt.", "fr": "Contrôleur en panne."}
    )
    IncidentFactory(slug="network-2004", title="Network outage", status="resolved")
    page = browser_page

    page.goto(f"{live_server.url}/status/")

    assert page.locator("section.current h3").inner_text().startswith("Storage failure")
    assert page.locator("section.history").inner_text().count("Network outage") == 1
    assert "Controller defekt." in page.locator("section.current").inner_text()

    page.click("text=Storage failure")
    page.wait_for_url("**/status/storage-2005/")
    assert "31.12.2005 23:30" in page.locator("table.windows").inner_text()
    assert page.locator("table.windows tr.ongoing").count() == 1

    page.click(".lang a[hreflang=fr]")
    page.wait_for_url("**/status/storage-2005/")
    assert page.locator("html").get_attribute("lang") == "fr-CH"
    assert page.locator(".timeline .update-text").inner_text() == "Contrôleur en panne."


def test_on_a_320_px_phone_every_cell_of_the_status_tables_is_on_screen(
    live_server, transactional_db, settings, browser_page
):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "STATUS_CACHE_SECONDS": 0}
    incident = IncidentFactory(slug="storage-2005", title="Panne de stockage Noël 2005", status="resolved")
    server = ServerFactory(name="server07", public_name="server07")
    OutageWindowFactory(incident=incident, server=server, start=utc(2005, 12, 31, 22, 30), end=utc(2006, 1, 2, 18))
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 700})

    for url in ("/status/?lang=fr", "/status/storage-2005/?lang=fr"):
        page.goto(live_server.url + url)
        cells = page.eval_on_selector_all(
            "main td", "cells => cells.map(c => [c.innerText, c.getBoundingClientRect().right])"
        )
        # then: each row reads top to bottom with its labels, nothing cut off behind a sideways scroll
        assert cells and all(right <= 320 for _, right in cells), (url, cells)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
