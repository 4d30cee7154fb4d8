"""The portal in Chromium: a link from a mail the system sent, the outage, the PDF, redemption,
the balance — in German on a desktop and in French on a phone."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from accounts.portal_session import SESSION_CONTACT, SESSION_HASH, _password_digest
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


def _signed_in_context(browser, site, contact, language, viewport):
    client = Client()
    session = client.session
    session[SESSION_CONTACT] = contact.pk
    session[SESSION_HASH] = _password_digest(contact)
    session.save()
    context = browser.new_context(viewport=viewport, locale=f"{language}-CH")
    cookies = {"sessionid": session.session_key, "django_language": language}
    context.add_cookies([{"name": name, "value": value, "url": site} for name, value in cookies.items()])
    return context


def test_on_a_phone_the_timeline_keeps_readable_labels_and_amounts_stay_whole(browser, portal_site):
    world = AffectedCustomerFactory(language="de", with_voucher=True, amount=Decimal("1234.50"))

    # a 320 px phone: the timeline scrolls inside its figure instead of shrinking its labels
    phone = _signed_in_context(browser, portal_site, world.contact, "de", {"width": 320, "height": 700})
    page = phone.new_page()
    page.goto(f"{portal_site}/portal/incidents/{world.incident.slug}/")
    label_heights = page.eval_on_selector_all(
        ".outage-timeline text", "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert label_heights and min(label_heights) >= 10, label_heights
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    # a desktop: the voucher's amount and code each stay on one line in the table
    desktop = _signed_in_context(browser, portal_site, world.contact, "de", {"width": 800, "height": 900})
    page = desktop.new_page()
    for url in ("/portal/", f"/portal/incidents/{world.incident.slug}/", "/portal/credit/"):
        page.goto(portal_site + url)
        voucher = page.locator("[data-test=voucher]").first
        assert "CHF 1’234.50" in voucher.inner_text()
        for cell in (voucher.locator("td.num"), voucher.locator("code")):
            lines = cell.evaluate(
                "e => { const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; }"
            )
            assert lines == 1, (url, cell.inner_text())
    desktop.close()
