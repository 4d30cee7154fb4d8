"""Done when: a customer of the demo files a claim in the portal, support accepts it in the
console, finance approves the top-up, and the customer sees the new voucher — all in Chromium, in
German (downtime added) and in Italian (a goodwill amount)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import Contact
from accounts.services.portal_auth import magic_link_url
from campaigns.claims.models import Claim
from campaigns.compensation.models import Compensation, CompensationTopUp, Voucher
from campaigns.incidents.models import Exposure
from tests.campaigns.portal.test_views_browser import CHROMIUM_ARGS
from tests.signin import private_cache

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
INCIDENT = "storage-christmas-2005"
H = 3600


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_site(live_server, settings, tmp_path):
    settings.SITE_URL = live_server.url
    settings.VAR_DIR = tmp_path
    private_cache(settings)
    call_command("load_demo", customers=80, stdout=io.StringIO(), stderr=io.StringIO())
    mail.outbox.clear()
    return live_server.url


def demo_customer(language: str):
    """A demo customer of ``language`` with a voucher whose accounts were down less than 72 h (below the top tier)."""
    for compensation in Compensation.objects.filter(
        incident__slug=INCIDENT, customer__language=language, amount__gt=0, status="approved"
    ).select_related("customer"):
        exposures = list(Exposure.objects.filter(incident=compensation.incident, customer=compensation.customer))
        if max(e.affected_seconds for e in exposures) < 60 * H and compensation.customer.vouchers.count() == 1:
            return compensation.customer, min(exposures, key=lambda e: e.account.name)
    pytest.skip(f"the demo has no {language} customer below the top tier")


def staff_sign_in(context, site, username, password):
    page = context.new_page()
    page.goto(f"{site}/console/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main form button.primary").click()
    page.wait_for_url(f"{site}/console/")
    return page


CASES = {
    "de": {"filed": "Vielen Dank. Wir haben Ihre Reklamation erhalten", "accepted": "angenommen", "added": "Ergänzt nach Ihrer Reklamation vom"},
    "it": {"filed": "Grazie. Abbiamo ricevuto il suo reclamo", "accepted": "accettato", "added": "Aggiunto dopo il suo reclamo del"},
}  # fmt: skip


@pytest.mark.parametrize("language", ["de", "it"])
def test_claim_filed_accepted_approved_and_the_new_voucher_seen(browser, demo_site, language):
    case = CASES[language]
    customer, exposure = demo_customer(language)
    contact = Contact.objects.filter(customer=customer, role="primary").first()
    before = Compensation.objects.get(incident__slug=INCIDENT, customer=customer).amount
    tz = dt.timezone(dt.timedelta(hours=1))  # Zurich in winter
    last_end = dt.datetime.fromisoformat(exposure.intervals[-1][1]).astimezone(tz)
    # the account was down 80 h longer than the monitoring saw: past the 72 h tier
    claimed_end = last_end + dt.timedelta(hours=80)

    # the customer, signed in from their link, files the claim from the incident page
    customer_context = browser.new_context(locale=f"{language}-CH")
    portal = customer_context.new_page()
    portal.goto(magic_link_url(contact=contact))
    portal.locator("[data-test=continue]").click()
    portal.wait_for_url(f"{demo_site}/portal/")
    portal.goto(f"{demo_site}/portal/incidents/{INCIDENT}/")
    portal.locator("[data-test=file-claim]").click()
    kind = "longer" if language == "de" else "damage"
    portal.locator(f"input[name=kind][value={kind}]").check()
    portal.select_option("select[name=account]", str(exposure.account_id))
    if kind == "longer":
        portal.fill("input[name=period_start]", last_end.strftime("%Y-%m-%dT%H:%M"))
        portal.fill("input[name=period_end]", claimed_end.strftime("%Y-%m-%dT%H:%M"))
    portal.fill(
        "textarea[name=text]", "Unser Shop war viel länger offline." if language == "de" else "Abbiamo perso ordini."
    )
    portal.locator("[data-test=submit-claim]").click()
    portal.wait_for_selector("[data-test=claim-detail]")
    assert case["filed"] in portal.content()
    claim = Claim.objects.get(customer=customer)

    # support takes it over and accepts it: downtime (de) or goodwill (it)
    support_context = browser.new_context(locale="de-CH")
    console = staff_sign_in(support_context, demo_site, "support", "support-2005")
    console.goto(f"{demo_site}/console/claims/")
    console.locator(f"a[href='/console/claims/{claim.pk}/']").click()
    console.locator("[data-test=assign]").click()
    if kind == "longer":
        console.locator("[data-test=accept-adjustment]").click()
    else:
        console.locator("summary", has_text="Kulanzbetrag").click()
        console.fill("[data-test=goodwill-amount]", "25.00")
        console.locator("[data-test=accept-goodwill]").click()
    console.wait_for_selector("[data-test=claim-answer]")
    topup = CompensationTopUp.objects.get(compensation__customer=customer)
    assert topup.status == "pending" and Voucher.objects.filter(customer=customer, is_topup=True).count() == 0
    if kind == "damage":
        assert topup.amount == Decimal("25.00")

    # the customer was told by mail in their language; no new voucher yet
    assert [m.to for m in mail.outbox] == [[contact.email]]
    portal.goto(f"{demo_site}/portal/claims/{claim.pk}/")
    assert case["accepted"] in portal.locator("[data-test=claim-status]").inner_text()
    vouchers_before = Voucher.objects.filter(customer=customer).count()

    # finance approves the top-up
    finance_context = browser.new_context(locale="de-CH")
    finance = staff_sign_in(finance_context, demo_site, "finance2", "finance-2005")
    finance.goto(f"{demo_site}/console/incidents/{INCIDENT}/compensation/")
    finance.locator(f"form[action='/console/incidents/{INCIDENT}/compensation/approve/'] button").click()
    finance.wait_for_load_state()
    topup.refresh_from_db()
    assert topup.status == "approved"

    # the customer sees the new voucher and why it was added
    portal.goto(f"{demo_site}/portal/incidents/{INCIDENT}/")
    assert portal.locator("[data-test=voucher]").count() == vouchers_before + 1
    assert case["added"] in portal.locator("[data-test=claim-explanation]").inner_text()
    after = Compensation.objects.get(incident__slug=INCIDENT, customer=customer).amount
    assert after - before == topup.amount > 0
    new_voucher = Voucher.objects.get(customer=customer, is_topup=True)
    assert new_voucher.amount == topup.amount
    for context in (customer_context, support_context, finance_context):
        context.close()
