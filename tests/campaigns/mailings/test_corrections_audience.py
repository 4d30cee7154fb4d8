"""The correction's audience as the issue defines it: everyone whose exposure changed since their
last letter — also when a window moved but kept its length, and when the corrected windows no
longer affect a customer at all (who keeps what was approved, and is told so honestly), even one
written to before the amounts were approved."""

import html

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import Customer
from campaigns.compensation.codes import format_code
from campaigns.compensation.services import compensation_approve, compensation_prepare, compensation_recompute
from campaigns.incidents.exposure import exposure_recompute
from campaigns.mailings.corrections import correction_customer_ids, mailing_create_correction
from campaigns.mailings.letters import default_content, render_preview
from campaigns.mailings.services import mailing_approve
from campaigns.models import Compensation, Voucher
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

NOT_AFFECTED = {
    "de": "Nach der Korrektur war keiner Ihrer Dienste von diesem Ausfall betroffen. "
    "Die Gutschrift von CHF 25.00, die wir Ihnen gewährt haben, bleibt Ihnen.",
    "fr": "Après correction, aucun de vos services n’a été touché par cette interruption. "
    "L’avoir de 25,00 CHF qui vous a été accordé vous reste acquis.",
    "it": "Dopo la rettifica, nessuno dei suoi servizi è stato colpito da questa interruzione. "
    "L’accredito di CHF 25.00 che le abbiamo concesso le rimane.",
    "en": "After the correction, none of your services was affected by this outage. "
    "The credit of CHF 25.00 we granted you remains yours.",
}


@pytest.fixture
def moved(transactional_db, settings, finance_user):
    """K6's window moved two hours later, same 10 h; K5's window was entered by mistake and deleted;
    K7 unchanged. All three got the apology with a CHF 25.00 voucher."""
    private_cache(settings)
    incident = IncidentFactory(slug="xmas", title_de="Speicherausfall", title_en="Storage outage")
    windows, customers = {}, {}
    for number in ("K5", "K6", "K7"):
        server = ServerFactory(name=f"server-{number.lower()}")
        windows[number] = OutageWindowFactory(
            incident=incident, server=server, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 10)
        )
        customer = CustomerFactory(number=number, language="de", email=f"{number.lower()}@kunde.example.ch")
        PlacementFactory(account=HostingAccountFactory(customer=customer, monthly_fee="100.00"), server=server)
        customers[number] = customer
    exposure_recompute(incident=incident)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    call_command("send_mailing", "xmas", "--wait", "--timeout", "60")
    windows["K6"].start, windows["K6"].end = utc(2006, 1, 1, 2), utc(2006, 1, 1, 12)
    windows["K6"].save()
    windows["K5"].delete()
    compensation_recompute(incident=incident, by=None)
    mail.outbox.clear()
    return incident, customers


def test_a_moved_window_and_a_customer_no_longer_affected_are_in_the_audience(moved):
    incident, customers = moved
    assert correction_customer_ids(incident=incident) == [customers["K5"].pk, customers["K6"].pk]
    gone = Compensation.objects.get(customer=customers["K5"])
    assert (gone.amount, gone.affected_seconds, gone.status) == (25, 0, Compensation.Status.APPROVED)
    assert gone.explanation["accounts"] == []
    assert gone.explanation["approved_amount_kept"] is True


def test_the_correction_tells_each_what_applies_now_and_goes_once(moved):
    incident, customers = moved
    mailing = mailing_create_correction(incident=incident, by=None)
    mailing_approve(mailing=mailing, by=None)

    call_command("send_mailing", str(mailing.pk), "--wait", "--timeout", "60")

    sent = {message.to[0]: message for message in mail.outbox}
    assert sorted(sent) == ["k5@kunde.example.ch", "k6@kunde.example.ch"]
    k5, k6 = sent["k5@kunde.example.ch"], sent["k6@kunde.example.ch"]
    # K6: the same amount, the window as it is now
    assert "vom 01.01.2006 03:00 bis 01.01.2006 13:00 betroffen" in k6.body
    assert "01.01.2006 01:00" not in k6.body
    assert "Ihre Gutschrift beträgt neu CHF 25.00." in k6.body
    # K5: no window, an honest sentence, the voucher still valid (an approved amount is never lowered)
    voucher = Voucher.objects.get(customer=customers["K5"])
    assert voucher.status == Voucher.Status.ISSUED
    assert NOT_AFFECTED["de"] in k5.body
    assert "betroffen." not in k5.body.replace(NOT_AFFECTED["de"], "")  # no account sentence
    assert f"Ihr bisheriger Gutschein {format_code(voucher.code)} bleibt gültig bis" in k5.body
    assert NOT_AFFECTED["de"] in html.unescape(k5.alternatives[0][0])
    # nothing differs from their last letter any more, and compensating again changes nothing
    assert correction_customer_ids(incident=incident) == []
    result = compensation_recompute(incident=incident, by=None)
    assert (result.unchanged, result.kept_higher, result.topups) == (3, 0, 0)
    assert correction_customer_ids(incident=incident) == []


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_the_letter_to_a_customer_no_longer_affected_in_four_languages(moved, language):
    incident, customers = moved

    letter = render_preview(default_content("correction"), customers["K5"], language=language, incident=incident)

    assert NOT_AFFECTED[language] in letter.text
    assert NOT_AFFECTED[language] in html.unescape(letter.html)
    assert letter.voucher is not None and letter.voucher.customer_id == customers["K5"].pk  # its valid voucher


def test_a_customer_written_to_before_approval_and_no_longer_affected_is_told_once(transactional_db, settings):
    # given: the apology went out while the amounts were drafts, then K8's window proved a mistake
    private_cache(settings)
    incident = IncidentFactory(slug="xmas", title_de="Speicherausfall", title_en="Storage outage")
    windows = {}
    for number in ("K8", "K9"):
        server = ServerFactory(name=f"server-{number.lower()}")
        windows[number] = OutageWindowFactory(
            incident=incident, server=server, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 10)
        )
        customer = CustomerFactory(number=number, language="de", email=f"{number.lower()}@kunde.example.ch")
        PlacementFactory(account=HostingAccountFactory(customer=customer, monthly_fee="100.00"), server=server)
    exposure_recompute(incident=incident)
    compensation_prepare(incident=incident)
    call_command("send_mailing", "xmas", "--wait", "--timeout", "60")
    windows["K8"].delete()
    exposure_recompute(incident=incident)
    assert compensation_prepare(incident=incident).removed == 1  # K8's draft is gone
    k8 = Customer.objects.get(number="K8")
    assert correction_customer_ids(incident=incident) == [k8.pk]
    mail.outbox.clear()

    # when: the correction goes out
    mailing = mailing_create_correction(incident=incident, by=None)
    mailing_approve(mailing=mailing, by=None)
    call_command("send_mailing", str(mailing.pk), "--wait", "--timeout", "60")

    # then: K8 alone reads that none of its services was affected, and no credit sentence
    (letter,) = mail.outbox
    assert letter.to == ["k8@kunde.example.ch"]
    assert "Nach der Korrektur war keiner Ihrer Dienste von diesem Ausfall betroffen.\n" in letter.body
    assert "Gutschrift" not in letter.body and "kürzer als eine Stunde" not in letter.body
    assert letter.attachments == []
    assert correction_customer_ids(incident=incident) == []
