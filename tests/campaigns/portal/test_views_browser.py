"""The portal in Chromium: a link from a mail the system sent, the outage, the PDF, redemption,
the balance — in German on a desktop and in French on a phone."""

import io
from pathlib import Path

import pytest
from django.core import mail
from pypdf import PdfReader

from campaigns.compensation.codes import format_code
from tests.factories import AffectedCustomerFactory
from tests.signin import link_from, private_cache

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def portal_site(live_server, settings):
    settings.SITE_URL = live_server.url
    private_cache(settings)
    return live_server.url


CASES = {
    "de": {
        "viewport": {"width": 1280, "height": 900},
        "send": "Anmeldelink senden",
        "continue": "Weiter zum Kundenportal",
        "window": "31.12.2005 23:30",
        "window_end": "02.01.2006 19:00",
        "amount": "CHF 10.00",
        "redeemed": "eingelöst",
    },
    "fr": {
        "viewport": {"width": 390, "height": 844},
        "send": "Envoyez-moi un lien de connexion",
        "continue": "Continuer vers le portail",
        "window": "31.12.2005 23:30",
        "window_end": "02.01.2006 19:00",
        "amount": "10,00 CHF",
        "redeemed": "utilisé",
    },
}


@pytest.mark.parametrize("language", ["de", "fr"])
def test_sign_in_from_mail_see_outage_download_redeem(browser, portal_site, language, tmp_path):
    case = CASES[language]
    world = AffectedCustomerFactory(language=language, email=f"kundin-{language}@example.ch", with_voucher=True)
    context = browser.new_context(viewport=case["viewport"], locale=f"{language}-CH", accept_downloads=True)
    page = context.new_page()

    # ask for a link by address: the system sends a real mail
    page.goto(f"{portal_site}/portal/login/")
    page.fill("input[name=link-email]", world.contact.email)
    page.get_by_role("button", name=case["send"]).click()
    page.wait_for_selector("[data-test=link-sent]")
    assert len(mail.outbox) == 1
    link = link_from(mail.outbox[0])
    assert link.startswith(portal_site)

    # follow it, confirm, land on the overview in the customer's language
    page.goto(link)
    page.get_by_role("button", name=case["continue"]).click()
    page.wait_for_url(f"{portal_site}/portal/")
    assert page.locator("html").get_attribute("lang") == f"{language}-CH"

    # what happened: the window in Zurich time and the timeline
    page.click(f"a[href='/portal/incidents/{world.incident.slug}/']")
    window = page.locator("[data-test=window]").first.inner_text()
    assert case["window"] in window and case["window_end"] in window
    assert page.locator("figure.outage-timeline svg g.role-mark path").count() == 1
    assert case["amount"] in page.locator("[data-test=compensation]").inner_text()

    # the PDF
    with page.expect_download() as download_info:
        page.locator("[data-test=pdf]").first.click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    pdf_text = "".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    assert format_code(world.voucher.code) in pdf_text

    # redeem, with a confirmation step, then the balance
    page.locator("[data-test=redeem]").first.click()
    page.locator("[data-test=confirm-redeem]").click()
    page.wait_for_url(f"{portal_site}/portal/credit/")
    assert case["amount"] in page.locator("[data-test=balance]").first.inner_text()
    assert case["redeemed"] in page.locator("[data-test=voucher]").first.inner_text()
    assert page.locator("[data-test=ledger-entry]").count() == 1

    # the page fits the screen (no sideways scrolling on the phone)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
    world.voucher.refresh_from_db()
    assert world.voucher.status == "redeemed"
