"""Every string in the reader's language: Chromium walks the portal (from the sign-in link of a
real mail, through the confirmation page), the status pages, in de, fr, it and en, and fails on
any text of the catalogue left in another language (the English msgid, or another language's
translation). The confirmation page follows the customer's language, not the browser's."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from campaigns.models import Incident
from tests.campaigns.portal.test_views_browser import CHROMIUM_ARGS, browser, portal_site  # noqa: F401
from tests.factories import AffectedCustomerFactory, IncidentUpdateFactory
from tests.signin import link_from

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGUAGES = ("de", "fr", "it", "en")
TITLES = {
    "de": "Speicherausfall Weihnachten 2005",
    "fr": "Panne de stockage Noël 2005",
    "it": "Guasto di storage Natale 2005",
    "en": "Storage outage Christmas 2005",
}
MINIMUM = 14  # shorter catalogue texts ("Server", "Status", "Code") read the same in several languages
_ENTRY = re.compile(r'^msgid "(.*)"\nmsgstr "(.*)"$', re.M)


def _literal_parts(text: str) -> list[str]:
    """The fixed pieces of a catalogue text, between its placeholders."""
    return [part.strip() for part in re.split(r"%\(\w+\)\w|\{[^}]*\}|%\w", text) if len(part.strip()) >= MINIMUM]


def catalogue() -> dict[str, dict[str, str]]:
    """English msgid → its text in each language (single-line, translated entries)."""
    texts: dict[str, dict[str, str]] = {}
    for language in ("de", "fr", "it"):
        po = (Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        for block in po.split("\n\n"):
            if "#, fuzzy" in block or "msgid_plural" in block:
                continue
            match = _ENTRY.search(block)
            if match and match.group(1) and match.group(2):
                texts.setdefault(match.group(1), {"en": match.group(1)})[language] = match.group(2)
    return texts


def foreign_texts(language: str, texts) -> set[str]:
    """Texts that must not appear on a page in ``language``: the other languages' versions of
    every catalogue entry, where they differ from this language's."""
    foreign = set()
    for versions in texts.values():
        if len(versions) < 4:
            continue
        own = versions[language]
        for other, text in versions.items():
            if other != language and text != own:
                foreign.update(part for part in _literal_parts(text) if part not in own)
    return foreign


@pytest.fixture
def world(db):
    worlds = {
        language: AffectedCustomerFactory(
            number=f"C00004{i}", email=f"kunde-{language}@example.ch", language=language, with_voucher=True, pdf=True
        )
        for i, language in enumerate(LANGUAGES)
    }
    incident = Incident.objects.get(slug="christmas-2005")
    for language, title in TITLES.items():
        setattr(incident, f"title_{language}", title)
    incident.public = True
    incident.save()
    IncidentUpdateFactory(incident=incident)
    return worlds


@pytest.mark.parametrize("language", LANGUAGES)
def test_portal_and_status_pages_speak_only_the_readers_language(browser, portal_site, world, language):  # noqa: F811
    forbidden = foreign_texts(language, catalogue())
    assert len(forbidden) > 200  # the check has teeth
    contact = world[language].contact
    # the browser prefers another language: the customer's own must win where it is theirs
    context = browser.new_context(locale="en-US" if language != "en" else "de-CH")
    page = context.new_page()
    page.goto(f"{portal_site}/portal/login/")
    page.fill("input[name=link-email]", contact.email)
    page.locator("form:has(input[name=link-email]) button[type=submit]").click()
    page.wait_for_selector("[data-test=link-sent]")
    link = link_from(mail.outbox[-1])

    visited = {}
    page.goto(link)  # the confirmation page
    visited["confirm"] = page.locator("body").inner_text()
    page.locator("[data-test=continue]").click()
    page.wait_for_load_state()
    voucher = world[language].voucher
    for name, path in (
        ("home", "/portal/"),
        ("incident", "/portal/incidents/christmas-2005/"),
        ("credit", "/portal/credit/"),
        ("code", "/portal/credit/code/"),
        ("redeem", f"/portal/vouchers/{voucher.pk}/redeem/"),
        ("password", "/portal/password/"),
        ("status", "/status/"),
        ("status incident", "/status/christmas-2005/"),
    ):
        response = page.goto(f"{portal_site}{path}")
        assert response.status == 200, path
        visited[name] = page.locator("body").inner_text()

    for name, text in visited.items():
        text = " ".join(text.split())
        left = sorted(part for part in forbidden if part in text)
        assert not left, f"{language} {name}: {left}"
    assert TITLES[language] in visited["incident"] and TITLES[language] in visited["status incident"]
    context.close()
