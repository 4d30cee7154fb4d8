"""The compose page in Chromium: htmx renders the live preview and the recipient count, and both
follow the form as support staff change it."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import CHRISTMAS, AffectedCustomerFactory, IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip


@pytest.fixture
def page(live_server, client, support_user, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    client.force_login(support_user)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context()
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]  # fmt: skip
        )
        yield context.new_page()
        browser.close()


def test_compose_preview_and_count_follow_the_form(live_server, page):
    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall")
    AffectedCustomerFactory(
        incident=incident, number="K1", accounts={"web000019": CHRISTMAS}, code="AAAA2345EFGH6789", with_voucher=True
    )
    AffectedCustomerFactory(
        incident=incident,
        number="K2",
        language="fr",
        accounts={"web000020": CHRISTMAS},
        code="BBBB2345EFGH6789",
        with_voucher=True,
    )

    page.goto(live_server.url + reverse("console:mailing_create", args=[incident.slug]))

    page.wait_for_selector("#preview .preview-text")
    assert (
        "Ihr Account web000019 auf server19 war vom 31.12.2005 23:30 bis 02.01.2006 19:00 betroffen."
        in page.inner_text("#preview")
    )
    assert page.inner_text("#recipient-count") == "2 recipients"

    page.fill("input[name=preview_customer]", "K2")
    page.select_option("select[name=preview_language]", "en")
    page.wait_for_function("document.querySelector('#preview').innerText.includes('web000020')")
    assert (
        "Your account web000020 on server19 was affected from 31.12.2005 23:30 to 02.01.2006 19:00."
        in page.inner_text("#preview")
    )

    page.check("input[name=languages][value=fr]")
    page.wait_for_function("document.querySelector('#recipient-count').innerText === '1 recipient'")

    page.click("details.language:has(textarea[name=body_en]) > summary")
    page.fill("textarea[name=body_en]", "Hello {{ custmer_name }}")
    page.wait_for_function("document.querySelector('#preview').innerText.includes('unknown placeholder')")

    # Markdown: the text part shows it as written, the HTML part rendered in the branded layout
    page.fill("textarea[name=body_en]", "Hello **{{ customer_name }}**\n\n- one\n- two")
    page.wait_for_function("document.querySelector('#preview .preview-text')?.innerText.includes('**')")
    assert page.inner_text("#preview .preview-text").startswith("Hello **")
    frame = page.frame_locator("#preview iframe.preview-html")
    frame.locator("strong").first.wait_for()
    assert frame.locator("li").all_inner_texts() == ["one", "two"]
    assert frame.locator("a.button").count() == 1  # the box with the sign-in button
