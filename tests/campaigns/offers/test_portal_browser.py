"""Each form of compensation taken in the portal as a customer takes it, in Chromium, in German
and in French: the confirmation page says exactly what the choice gives, confirming does it, the
credit page and the confirmation mail say what it did."""

import datetime as dt
import re

import pytest
from django.core import mail

from accounts.models import HostingAccount
from accounts.services.portal_auth import magic_link_url
from campaigns.models import PartnerPool, Redemption
from tests.campaigns.offers.world import upload, world
from tests.campaigns.portal.test_views_browser import browser, portal_site  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASES = {
    "de": {
        "continue": "Weiter zum Kundenportal",
        "balance": "CHF 77.00 auf Ihr Guthaben.",
        "extension": "3 Monate Webhosting Pro auf {account}, bezahlt bis 31.03.2027, und CHF 2.30 auf Ihr Guthaben.",
        "partner": "Ein Digitec-Gutschein im Wert von CHF 50.00, und CHF 27.00 auf Ihr Guthaben.",
        "donation": "CHF 77.00 in Ihrem Namen an Glückskette gespendet.",
        "subject": "Ihr Gutschein ist eingelöst",
    },
    "fr": {
        "continue": "Continuer vers le portail",
        "balance": "77,00 CHF sur votre avoir.",
        "extension": "3 mois de Webhosting Pro sur {account}, payé jusqu’au 31.03.2027, et 2,30 CHF sur votre avoir.",
        "partner": "Un bon Digitec d’une valeur de 50,00 CHF, et 27,00 CHF sur votre avoir.",
        "donation": "77,00 CHF donnés à Glückskette en votre nom.",
        "subject": "Votre bon est utilisé",
    },
}


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " ")).strip()


@pytest.mark.parametrize("language", ["de", "fr"])
def test_each_form_in_the_portal(browser, portal_site, language):  # noqa: F811
    case = CASES[language]
    w = world(vouchers=4, language=language)
    upload(value="50.00", count=2)
    pool = PartnerPool.objects.get()
    keys = {"balance": "balance", "extension": f"extension:{w.account.name}", "partner": f"partner:{pool.pk}",
            "donation": "donation"}  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-CH")
    page = context.new_page()
    page.goto(magic_link_url(contact=w.customer.contacts.get()))
    page.get_by_role("button", name=case["continue"]).click()
    page.wait_for_url(f"{portal_site}/portal/")

    for voucher, form in zip(w.vouchers, keys, strict=True):
        mail.outbox.clear()
        expected = case[form].format(account=w.account.name)
        page.goto(f"{portal_site}/portal/vouchers/{voucher.pk}/redeem/")
        # before confirming: the choice says exactly what the customer gets
        choice = page.locator(f"[data-test=choice]:has(input[value='{keys[form]}'])")
        assert _plain(choice.inner_text()) == expected
        choice.locator("input").check()
        page.locator("[data-test=confirm-redeem]").click()
        page.wait_for_url(f"{portal_site}/portal/credit/")
        # after: the credit page says what it did, a partner code is shown to its customer
        done = page.locator(f"[data-test=redemption][data-form={form}]")
        assert expected in _plain(done.inner_text())
        if form == "partner":
            code = Redemption.objects.get(voucher=voucher).partner_code.code
            assert done.locator("[data-test=partner-code]").inner_text() == code
        # and the confirmation mail, in the customer's language
        [message] = [m for m in mail.outbox if m.to == [w.customer.contacts.get().email]]
        assert message.subject.startswith(case["subject"]) and expected in _plain(message.body)

    assert HostingAccount.objects.get(pk=w.account.pk).paid_until == dt.date(2027, 3, 31)
    assert sorted(Redemption.objects.values_list("form", flat=True)) == ["balance", "donation", "extension", "partner"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
