"""Screenshots of every console page, as support and finance see them, in German and French, at
desktop and phone width — to look at, and to compare before and after a change of the design.

Runs against a server with the demo loaded (``make demo``; the demo's staff passwords), signs in
through the login form as a person does, and finds the pages' addresses in the demo database:

    DATABASE_URL=… .venv/bin/python tests/screenshots.py http://127.0.0.1:8000 var/screenshots

Writes ``<out>/<language>-<width>/<role>-<nn>-<page>.png`` (full page) and prints one line per
shot; a page that does not answer 200 is named on a line of its own and makes the exit status 1.
Chromium is the system's (``/usr/bin/chromium``); nothing is downloaded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("de", "fr")
PASSWORDS = {"support": "support-2005", "finance": "finance-2005"}


def console_pages() -> dict[str, list[tuple[str, str]]]:
    """``{role: [(name, path), ...]}``: every console page of the demo, by the demo's own rows."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.urls import reverse

    from accounts.models import Customer
    from campaigns.claims.models import Claim
    from campaigns.incidents.models import Incident
    from campaigns.mailings.models import Mailing

    incident = Incident.objects.order_by("pk").first()
    if incident is None:
        raise SystemExit("no incident in the database: load the demo first (manage.py load_demo)")
    slug = {"slug": incident.slug}
    mailings = list(Mailing.objects.filter(incident=incident).order_by("pk"))
    done = next((m for m in mailings if m.status == Mailing.Status.DONE), None)
    draft = next((m for m in mailings if m.status == Mailing.Status.DRAFT), None)
    claim = Claim.objects.order_by("pk").first()
    customer = Customer.objects.filter(exposures__incident=incident).order_by("number").first()
    support = [
        ("home", reverse("console:home")),
        ("incident", reverse("console:incident", kwargs=slug)),
        ("incident-new", reverse("console:incident_new")),
        ("incident-edit", reverse("console:incident_edit", kwargs=slug)),
        ("compensation", reverse("console:compensation", kwargs=slug)),
        ("status", reverse("console:status", kwargs=slug)),
        ("mailings", reverse("console:mailings", kwargs=slug)),
        ("mailing-create", reverse("console:mailing_create", kwargs=slug)),
        ("suppressions", reverse("console:suppressions")),
        ("claims", reverse("console:claims")),
        ("customers", reverse("console:customers") + "?q=" + (customer.number if customer else "a")),
        ("api-alerts", reverse("console:api_alerts")),
    ]
    if draft:
        support += [
            ("mailing-draft", reverse("console:mailing", args=[draft.pk])),
            ("mailing-edit", reverse("console:mailing_edit", args=[draft.pk])),
        ]
    if done:
        support += [
            ("mailing-done", reverse("console:mailing", args=[done.pk])),
            ("mailing-log", reverse("console:mailing_log", args=[done.pk])),
            ("mailing-progress", reverse("console:mailing_progress", args=[done.pk])),
            ("mailing-in-doubt", reverse("console:mailing_in_doubt", args=[done.pk])),
        ]
    if claim:
        support.append(("claim", reverse("console:claim", args=[claim.pk])))
    if customer:
        support.append(("customer", reverse("console:customer", args=[customer.number])))
    finance = [
        ("finance", reverse("console:finance")),
        ("finance-incident", reverse("console:finance_incident", kwargs=slug)),
        ("audit", reverse("console:audit")),
        ("policies", reverse("console:policies")),
        ("policy-propose", reverse("console:policy_propose")),
        ("offers", reverse("console:incident_offers", kwargs=slug)),
        ("partners", reverse("console:partners")),
        ("compensation", reverse("console:compensation", kwargs=slug)),
        ("customer", support[-1][1] if customer else reverse("console:home")),
    ]
    return {"support": support, "finance": finance}


def main(site: str, out: Path) -> int:
    from playwright.sync_api import sync_playwright

    pages = console_pages()
    failed = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for role, urls in pages.items():
            for language in LANGUAGES:
                for width_name, viewport in WIDTHS.items():
                    context = browser.new_context(viewport=viewport, device_scale_factor=1)
                    context.add_cookies([{"name": "django_language", "value": language, "url": site}])
                    page = context.new_page()
                    page.goto(f"{site}/console/login/")
                    page.fill("input[name=username]", role)
                    page.fill("input[name=password]", PASSWORDS[role])
                    page.click("form:has(input[name=password]) [type=submit]")
                    page.wait_for_load_state()
                    if "/login/" in page.url:
                        raise SystemExit(f"{role} could not sign in at {site}: is the demo loaded?")
                    folder = out / f"{language}-{width_name}"
                    folder.mkdir(parents=True, exist_ok=True)
                    for number, (name, path) in enumerate(urls, 1):
                        response = page.goto(site + path)
                        status = response.status if response else 0
                        if status != 200 or "/login/" in page.url:
                            failed += 1
                            print(f"FAILED {status} {role} {language} {path}")
                            continue
                        shot = folder / f"{role}-{number:02d}-{name}.png"
                        page.screenshot(path=str(shot), full_page=True)
                        print(shot)
                    context.close()
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    raise SystemExit(main(sys.argv[1].rstrip("/"), Path(sys.argv[2])))
