"""Honest corrections: after windows are corrected and compensate issues top-ups, the correction
goes to exactly the customers whose figures changed since their last letter, says that it corrects
the earlier one, gives the new windows and amount, names the top-up voucher and its code, and never
presents a redeemed voucher as redeemable."""

import io

import pypdf
import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from campaigns.compensation.codes import format_code
from campaigns.compensation.services import compensation_approve, compensation_prepare, compensation_recompute
from campaigns.incidents.exposure import exposure_recompute
from campaigns.mailings.corrections import correction_customer_ids
from campaigns.mailings.letters import default_content, render_preview
from campaigns.models import Mailing, Voucher
from campaigns.portal.redemption import voucher_redeem
from tests.factories import (
    CustomerFactory,
    HostingAccountFactory,
    IncidentFactory,
    OutageWindowFactory,
    PlacementFactory,
    ServerFactory,
    utc,
)
from tests.signin import private_cache

WORDS = {
    "de": ("berichtigt unseren früheren Brief", "Zusatzgutschein"),
    "fr": ("rectifie notre précédente lettre", "bon complémentaire"),
    "it": ("rettifica la nostra lettera precedente", "buono integrativo"),
    "en": ("corrects our earlier letter", "top-up voucher"),
}


@pytest.fixture
def corrected(transactional_db, settings, finance_user, django_user_model):
    """K1 (redeemed its voucher) and K4: windows corrected after the apology went out; K2: unchanged."""
    private_cache(settings)
    incident = IncidentFactory(slug="xmas", title_de="Speicherausfall", title_en="Storage outage")
    s19, s03, s07 = ServerFactory(name="server19"), ServerFactory(name="server03"), ServerFactory(name="server07")
    w19 = OutageWindowFactory(incident=incident, server=s19, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 10))
    OutageWindowFactory(incident=incident, server=s03, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 10))
    w07 = OutageWindowFactory(incident=incident, server=s07, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 10))
    customers = {}
    for number, server in (("K1", s19), ("K2", s03), ("K4", s07)):
        customer = CustomerFactory(number=number, language="de", email=f"{number.lower()}@kunde.example.ch")
        PlacementFactory(account=HostingAccountFactory(customer=customer, monthly_fee="100.00"), server=server)
        customers[number] = customer
    exposure_recompute(incident=incident)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    call_command("send_mailing", "xmas", "--wait", "--timeout", "60")
    original = Voucher.objects.get(customer=customers["K1"])
    voucher_redeem(customer=customers["K1"], code=original.code, form="balance", actor_label="test")
    # the corrections: server19 was down 30 h (50 % instead of 25 %), server07 12 h (still 25 %)
    w19.end, w07.end = utc(2006, 1, 2, 6), utc(2006, 1, 1, 12)
    w19.save()
    w07.save()
    compensation_recompute(incident=incident, by=None)
    compensation_approve(incident=incident, by=finance_user)  # the top-up, by a second person
    mail.outbox.clear()
    return incident, customers, original


def test_the_audience_is_exactly_the_customers_whose_figures_changed(corrected):
    incident, customers, _ = corrected
    assert correction_customer_ids(incident=incident) == [customers["K1"].pk, customers["K4"].pk]


def test_the_correction_letter_names_the_top_up_and_not_the_redeemed_voucher(
    corrected, client, support_user, django_user_model, tmp_path
):
    incident, customers, original = corrected
    topup = Voucher.objects.get(customer=customers["K1"], is_topup=True)
    approver = django_user_model.objects.create_user("second", "second@example.ch", "pw-second-1", is_staff=True)
    approver.groups.add(Group.objects.get_or_create(name="support")[0])

    # support prepares the correction from the console, a second person approves, it goes out
    client.force_login(support_user)
    listing = client.get(reverse("console:mailings", args=["xmas"])).content.decode()
    assert "The figures of 2 customers changed after their last letter." in listing
    response = client.post(reverse("console:mailing_correction", args=["xmas"]))
    mailing = Mailing.objects.get(kind=Mailing.Kind.CORRECTION)
    assert response["Location"] == reverse("console:mailing", args=[mailing.pk])
    client.force_login(approver)
    client.post(reverse("console:mailing_action", args=[mailing.pk, "approve"]))
    client.post(reverse("console:mailing_action", args=[mailing.pk, "launch"]))
    call_command("send_mailing", str(mailing.pk), "--wait", "--timeout", "60")

    sent = {message.to[0]: message for message in mail.outbox}
    assert sorted(sent) == ["k1@kunde.example.ch", "k4@kunde.example.ch"]
    k1, k4 = sent["k1@kunde.example.ch"], sent["k4@kunde.example.ch"]
    assert k1.subject == "Korrektur: Speicherausfall – Ihre angepasste Gutschrift"
    assert "Dieses Schreiben berichtigt unseren früheren Brief" in k1.body
    assert "vom 01.01.2006 01:00 bis 02.01.2006 07:00 betroffen" in k1.body  # the corrected window
    assert "Ihre Gutschrift beträgt neu CHF 50.00." in k1.body
    assert (
        f"Zusatzgutschein über CHF 25.00 ausgestellt: {format_code(topup.code)} (gültig bis "
        f"{topup.expires_on:%d.%m.%Y})" in k1.body
    )
    assert f"Ihr bisheriger Gutschein {format_code(original.code)} ist bereits eingelöst" in k1.body
    assert "bleibt gültig" not in k1.body
    (attachment,) = k1.attachments
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(attachment[1])).pages)
    assert format_code(topup.code) in " ".join(pdf.split())
    # K4: same amount, new windows, the original voucher still open
    k4_voucher = Voucher.objects.get(customer=customers["K4"])
    assert "Ihre Gutschrift beträgt neu CHF 25.00." in k4.body
    assert "vom 01.01.2006 01:00 bis 01.01.2006 13:00 betroffen" in k4.body
    assert f"Ihr bisheriger Gutschein {format_code(k4_voucher.code)} bleibt gültig bis" in k4.body
    assert "Zusatzgutschein" not in k4.body
    # and after it went out, nobody's figures differ from their last letter
    assert correction_customer_ids(incident=incident) == []


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_default_correction_letters_in_four_languages(corrected, language):
    incident, customers, _ = corrected
    topup = Voucher.objects.get(customer=customers["K1"], is_topup=True)

    letter = render_preview(
        default_content("correction"), customers["K1"], language=language, incident=incident, reveal_code=True
    )

    says_it_corrects, names_topup = WORDS[language]
    for part in (letter.text, letter.html):
        assert says_it_corrects in part
        assert names_topup in part
        assert format_code(topup.code) in part
    assert letter.voucher.code == topup.code  # the top-up's PDF goes with it
