"""Portal pages: what happened, credit, redemption through the views, 404 for other customers'
objects, the rate limit on code entry."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import LedgerEntry
from accounts.portal_session import SESSION_CONTACT, SESSION_HASH, _password_digest
from campaigns.compensation.codes import format_code
from campaigns.models import Voucher
from tests.factories import (
    CHRISTMAS,
    PDF_BYTES,
    AffectedCustomerFactory,
    CompensationFactory,
    ExposureFactory,
    IncidentFactory,
    IncidentUpdateFactory,
)
from tests.signin import private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


def signed_in(contact, language=None) -> Client:
    client = Client()
    session = client.session
    session[SESSION_CONTACT] = contact.pk
    session[SESSION_HASH] = _password_digest(contact)
    session.save()
    if language:
        client.cookies["django_language"] = language
    return client


def timeline_bars(html: str) -> list[str]:
    """The outline (``d``) of every bar of the page's timelines, as Vega draws them."""
    return re.findall(
        r'<path[^>]* d="([^"]+)"', "".join(re.findall(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', html))
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_incident_page_shows_windows_in_local_time_timeline_updates_and_explanation():
    world = AffectedCustomerFactory(accounts={"web-c000042": CHRISTMAS}, with_voucher=True, pdf=True)
    IncidentUpdateFactory(incident=world.incident, texts={"en": "Storage replaced.", "de": "Speicher ersetzt."})
    response = signed_in(world.contact, "en").get(reverse("portal:incident", args=["christmas-2005"]))
    assert response.status_code == 200
    page = text(response)
    # 22:30 UTC on New Year's Eve is 23:30 in Zurich; 18:00 UTC on 2 January is 19:00
    assert "31.12.2005 23:30" in page and "02.01.2006 19:00" in page
    assert "server19" in page and "web-c000042" in page
    assert len(timeline_bars(response.content.decode())) == 1
    assert "Storage replaced." in page
    assert "CHF 10.00" in page
    assert "web-c000042 on server19 was down for 43 h 30 min. 50 % of the monthly fee of CHF 20.00 = CHF 10.00." in page
    assert ">01.01.<" in response.content.decode() and ">12:00<" in response.content.decode()


def test_incident_page_in_the_customers_own_time_zone():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    world.customer.time_zone = "America/New_York"
    world.customer.save()
    page = text(signed_in(world.contact, "en").get(reverse("portal:incident", args=["christmas-2005"])))
    assert "31.12.2005 17:30" in page and "America/New_York" in page


def test_french_page_uses_swiss_french_money():
    world = AffectedCustomerFactory(language="fr", with_voucher=True, pdf=True)
    page = text(signed_in(world.contact, "fr").get(reverse("portal:credit")))
    assert "10,00 CHF" in page


def test_pdf_download_serves_the_stored_pdf():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    response = signed_in(world.contact).get(reverse("portal:voucher_pdf", args=[world.voucher.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="Gutschein-{world.voucher.code[-4:]}.pdf"'
    assert b"".join(response) == PDF_BYTES


@pytest.mark.parametrize(("language", "word"), [("fr", "bon"), ("it", "buono"), ("en", "voucher")])
def test_pdf_download_is_named_like_the_letters_attachment_in_the_customers_language(language, word):
    world = AffectedCustomerFactory(language=language, with_voucher=True, pdf=True)
    # the page in German, the PDF in the customer's language: the file is named for what it holds
    response = signed_in(world.contact, "de").get(reverse("portal:voucher_pdf", args=[world.voucher.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="{word}-{world.voucher.code[-4:]}.pdf"'


def test_pdf_is_rendered_and_stored_on_first_download():
    world = AffectedCustomerFactory(with_voucher=True)
    response = signed_in(world.contact).get(reverse("portal:voucher_pdf", args=[world.voucher.pk]))
    body = b"".join(response)
    assert response.status_code == 200 and body.startswith(b"%PDF")
    world.voucher.refresh_from_db()
    assert world.voucher.pdf.name != "" and world.voucher.pdf.read() == body


def test_redeem_through_the_pages_then_see_the_balance():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    client = signed_in(world.contact, "en")
    confirm = client.get(reverse("portal:redeem", args=[world.voucher.pk]))
    assert confirm.status_code == 200 and b'value="balance" checked' in confirm.content
    assert Voucher.objects.get(pk=world.voucher.pk).status == "issued"  # nothing before confirming
    done = client.post(reverse("portal:redeem", args=[world.voucher.pk]), {"form": "balance"})
    assert done.status_code == 302 and done["Location"] == reverse("portal:credit")
    page = text(client.get(reverse("portal:credit")))
    assert "account balance CHF 10.00" in page
    again = client.post(reverse("portal:redeem", args=[world.voucher.pk]), {"form": "balance"})
    assert again.status_code == 409 and "already been redeemed" in text(again)
    assert LedgerEntry.objects.filter(book="balance").count() == 1


def test_paper_code_in_any_spelling_leads_to_the_confirmation():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    typed = format_code(world.voucher.code).lower().replace("-", " ")
    response = signed_in(world.contact).post(reverse("portal:redeem_code"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("portal:redeem", args=[world.voucher.pk])


def test_wrong_codes_are_rate_limited_per_customer(settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "PORTAL_CODE_ATTEMPTS": 3}
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    client = signed_in(world.contact, "en")
    url = reverse("portal:redeem_code")
    for wrong in ["ABCD-EFGH-JKLM-NPQR", "nonsense", "2222-3333-4444-5555"]:
        response = client.post(url, {"code": wrong})
        assert response.status_code == 200 and "This code is not valid." in text(response)
    # the limit now holds even for the right code, with one generic message
    limited = client.post(url, {"code": world.voucher.code})
    assert limited.status_code == 429 and "Too many attempts" in text(limited)
    # per customer: another client address of the same customer is limited too
    other_address = signed_in(world.contact, "en")
    assert other_address.post(url, {"code": world.voucher.code}, REMOTE_ADDR="10.9.8.7").status_code == 429
    assert Voucher.objects.get(pk=world.voucher.pk).status == "issued"


def test_another_customers_code_reads_like_a_wrong_code():
    mine = AffectedCustomerFactory(with_voucher=True, pdf=True)
    theirs = AffectedCustomerFactory(with_voucher=True, pdf=True)
    response = signed_in(mine.contact, "en").post(reverse("portal:redeem_code"), {"code": theirs.voucher.code})
    assert "This code is not valid." in text(response)


def test_every_portal_url_with_another_customers_ids_answers_404():
    mine = AffectedCustomerFactory(accounts={"web-c000042": CHRISTMAS}, with_voucher=True, pdf=True)
    other_incident = IncidentFactory(slug="other-outage")
    theirs = AffectedCustomerFactory(accounts={"web-c000099": CHRISTMAS}, with_voucher=True, pdf=True)
    ExposureFactory(incident=other_incident, customer=theirs.customer, account__customer=theirs.customer)
    client = signed_in(mine.contact)
    urls = [
        reverse("portal:incident", args=["other-outage"]),
        reverse("portal:incident", args=["no-such-incident"]),
        reverse("portal:voucher_pdf", args=[theirs.voucher.pk]),
        reverse("portal:redeem", args=[theirs.voucher.pk]),
        reverse("portal:voucher_pdf", args=[999999]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("portal:redeem", args=[theirs.voucher.pk]), {"form": "balance"}).status_code == 404
    assert Voucher.objects.get(pk=theirs.voucher.pk).status == "issued"
    # and the shared incident shows only my own accounts
    page = text(client.get(reverse("portal:incident", args=["christmas-2005"])))
    assert "web-c000042" in page and "web-c000099" not in page


def test_all_portal_pages_need_a_session():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    for url in [
        reverse("portal:home"),
        reverse("portal:incident", args=["christmas-2005"]),
        reverse("portal:credit"),
        reverse("portal:redeem_code"),
        reverse("portal:voucher_pdf", args=[world.voucher.pk]),
        reverse("portal:redeem", args=[world.voucher.pk]),
        reverse("portal:password_change"),
    ]:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/portal/login/?next="), url


def test_forms_carry_csrf_protection():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session[SESSION_CONTACT], session[SESSION_HASH] = world.contact.pk, _password_digest(world.contact)
    session.save()
    assert client.post(reverse("portal:redeem", args=[world.voucher.pk]), {"form": "balance"}).status_code == 403
    assert client.post(reverse("portal:login"), {"action": "link", "link-email": "x@example.ch"}).status_code == 403
    assert Voucher.objects.get(pk=world.voucher.pk).status == "issued"


def test_home_lists_incident_compensation_and_vouchers():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    LedgerEntry.objects.create(
        customer=world.customer, book="balance", kind="adjust", amount=Decimal("1.50"), currency="CHF", reference="x:1"
    )
    page = text(signed_in(world.contact, "en").get(reverse("portal:home")))
    assert "Storage outage Christmas 2005" in page
    assert "43 h 30 min" in page  # as the letter and the PDF write it (the old "1 day 19 hours" dropped 30 min)
    assert format_code(world.voucher.code) in page
    assert "CHF 1.50" in page


def test_home_downtime_is_the_customers_own_whatever_other_customers_had():
    # Given other customers hit by the same incident, and a second, shorter-hit account of ours
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    for _ in range(3):
        other = ExposureFactory(incident=world.incident, affected_seconds=99 * 3600)
        CompensationFactory(incident=world.incident, customer=other.customer)
    ExposureFactory(incident=world.incident, account__customer=world.customer, affected_seconds=3600)
    # When
    page = text(signed_in(world.contact, "en").get(reverse("portal:home")))
    # Then the downtime is ours: the union of our accounts' windows (the second lies inside the first)
    assert "43 h 30 min" in page  # as the letter and the PDF write it (the old "1 day 19 hours" dropped 30 min)


def test_language_switch_keeps_the_portal_session():
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    client = signed_in(world.contact, "de")
    assert "Ihr Guthaben" in text(client.get(reverse("portal:credit")))
    client.post("/i18n/setlang/", {"language": "it", "next": reverse("portal:credit")})
    page = text(client.get(reverse("portal:credit")))
    assert "Il suo credito" in page and "CHF 0.00" in page
