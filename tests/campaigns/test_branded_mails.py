"""The claims and offers mails go out as the letters do (``accounts.mail.branded_message``): the
branded layout with its footer, the headers every mail of the product carries, a box that repeats
the amount and the codes, and whatever a customer or staff member typed read literally in both
parts."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.mail.message import support_reply_to
from campaigns.claims.services import claim_accept
from campaigns.models import PartnerPool, Redemption
from campaigns.portal.redemption import voucher_redeem
from tests.campaigns.claims.test_services import file
from tests.campaigns.offers.world import upload, world
from tests.claims_world import claims_world

pytestmark = pytest.mark.django_db
HOSTILE = "<img src=x> *Müller* [a](http://evil)"


def _html(message) -> str:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return html


def _box(html: str) -> str:
    return html[html.index('class="box"') :]


def _assert_product_headers(message, language: str, settings) -> None:
    headers = message.extra_headers
    assert headers["Content-Language"] == language
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Message-ID"].endswith(f"@{settings.HOSTNOTIFY['MAIL_MESSAGE_ID_DOMAIN']}>")
    assert re.search(r"[+-]\d{4}$", headers["Date"])  # the real zone, not -0000
    assert message.reply_to == support_reply_to()


def test_a_claim_answer_is_branded_repeats_the_amount_and_keeps_the_answer_literal(
    django_capture_on_commit_callbacks, settings
):
    # Given a French customer's claim that support accepts with a goodwill amount and a hostile answer
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "BRAND_COMPANY_NUMBER": "CHE-123.456.789"}
    world = claims_world(language="fr", email="client@example.ch")
    claim = file(world, kind="damage", period=None, text="Commandes perdues.")

    # When support accepts it
    with django_capture_on_commit_callbacks(execute=True):
        claim_accept(claim_id=claim.pk, by=world.support, resolution="goodwill", amount="20.00", answer=HOSTILE)

    # Then one mail in French, in the layout, with the product's headers
    [message] = mail.outbox
    html = _html(message)
    _assert_product_headers(message, "fr", settings)
    assert message.subject.startswith("Votre réclamation")
    assert HOSTILE in message.body and "Nous l’avons acceptée." in message.body
    assert "<img" not in html and 'href="http://evil"' not in html
    assert "&lt;img src=x&gt; *Müller* [a](http://evil)" in html
    # the footer says the whole French sentence, a non-breaking space before the colon
    assert "Numéro d’entreprise&nbsp;: CHE-123.456.789" in html  # css-inline writes U+00A0 as &nbsp;
    assert "Service clients&nbsp;: <a href=" in html
    # and the box repeats the amount and leads to the claim
    box = _box(html)
    assert "Ajouté à votre dédommagement" in box and "20,00 CHF" in box
    assert f"/portal/claims/{claim.pk}/" in box


def test_a_redemption_confirmation_box_repeats_the_code_the_amount_and_the_partner_code(
    django_capture_on_commit_callbacks, settings
):
    # Given a German customer named like markup who takes a partner voucher for a 77.00 voucher
    w = world(language="de")
    w.customer.name = HOSTILE
    w.customer.save(update_fields=["name"])
    upload(value="50.00", count=2, prefix="DG50")
    pool = PartnerPool.objects.get()
    voucher = w.vouchers[0]

    # When the voucher is redeemed
    with django_capture_on_commit_callbacks(execute=True):
        voucher_redeem(customer=w.customer, code=voucher.code, form=f"partner:{pool.pk}")

    # Then the confirmation is branded, in German, and its box repeats code, amount and partner code
    redemption = Redemption.objects.select_related("partner_code").get(voucher=voucher)
    [message] = [m for m in mail.outbox if m.to == [w.customer.contacts.get().email]]
    html = _html(message)
    _assert_product_headers(message, "de", settings)
    box = _box(html)
    grouped = "-".join(voucher.code[i : i + 4] for i in range(0, len(voucher.code), 4))
    assert grouped in box and "CHF 77.00" in box and redemption.partner_code.code in box
    assert "Gutscheincode" in box and "Betrag" in box and "Ihr Digitec-Code" in box
    # and the customer's name reads literally in both parts
    assert HOSTILE in message.body
    assert "<img" not in html and "&lt;img src=x&gt; *Müller* [a](http://evil)" in html


def test_finance_s_warning_of_a_pool_running_low_is_branded(finance_user, django_capture_on_commit_callbacks, settings):
    upload(value="20.00", count=2, prefix="DG20", threshold=1)
    pool = PartnerPool.objects.get()
    w = world(amount="20.00")
    with django_capture_on_commit_callbacks(execute=True):
        voucher_redeem(customer=w.customer, code=w.vouchers[0].code, form=f"partner:{pool.pk}")
    [warning] = [m for m in mail.outbox if m.to == [finance_user.email]]
    html = _html(warning)
    _assert_product_headers(warning, settings.LANGUAGE_CODE, settings)
    assert "Digitec" in warning.subject and "/console/" in _box(html)
    assert settings.HOSTNOTIFY["BRAND_NAME"] in html
