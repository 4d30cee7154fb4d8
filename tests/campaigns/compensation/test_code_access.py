"""Replays "support reads every voucher code": previews, test sends, exports and the admin show
support a masked code; finance sees it whole, and each time is in the audit log."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from campaigns.audit.models import AuditEntry
from campaigns.models import Voucher
from tests.campaigns.mailings.test_views import draft
from tests.factories import CHRISTMAS, AffectedCustomerFactory, IncidentFactory

CODE = "AAAA2345EFGH6789"
WHOLE, MASKED = "AAAA-2345-EFGH-6789", "AAAA-••••-••••-6789"


@pytest.fixture
def incident(db):
    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall")
    AffectedCustomerFactory(
        incident=incident, number="K1", accounts={"web000019": CHRISTMAS}, code=CODE, with_voucher=True
    )
    return incident


def shown() -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action="voucher.code_shown").order_by("pk").values_list("actor_label", "data")
    )


def test_support_previews_a_customer_s_letter_with_the_code_masked(incident, client, support_user):
    # given a supporter who previews customer K1's letter (the finding: full code by number)
    mailing = draft(incident, support_user)
    client.force_login(support_user)
    page = client.get(reverse("console:mailing_preview", args=[mailing.pk]), {"customer": "K1"}).content.decode()
    # then the code is masked, and nothing was shown whole
    assert MASKED in page and WHOLE not in page and CODE not in page
    assert shown() == []


def test_finance_previews_the_code_whole_and_it_is_audited(incident, client, finance_user, support_user):
    mailing = draft(incident, support_user)
    client.force_login(finance_user)
    page = client.get(reverse("console:mailing_preview", args=[mailing.pk]), {"customer": "K1"}).content.decode()
    assert WHOLE in page
    voucher = Voucher.objects.get(code=CODE)
    assert shown() == [("financier", {"where": "mailing preview", "vouchers": [voucher.pk]})]


def test_a_test_send_by_support_mails_the_masked_code(incident, client, support_user):
    mailing = draft(incident, support_user, attach_voucher=False)
    client.force_login(support_user)
    client.post(reverse("console:mailing_test", args=[mailing.pk]), {"customer": "K1"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    html = message.alternatives[0][0] if message.alternatives else ""
    assert MASKED in message.body and CODE not in message.body and WHOLE not in message.body
    assert WHOLE not in html and CODE not in html
    assert shown() == []


def test_a_test_send_by_finance_is_audited(incident, client, finance_user, support_user):
    mailing = draft(incident, support_user, attach_voucher=False)
    client.force_login(finance_user)
    client.post(reverse("console:mailing_test", args=[mailing.pk]), {"customer": "K1"})
    assert WHOLE in mail.outbox[0].body
    assert [where["where"] for _, where in shown()] == ["test send"]


def test_exports_with_codes_are_audited_on_the_console_and_the_command_line(incident, client, finance_user, tmp_path):
    client.force_login(finance_user)
    response = client.get(reverse("console:compensation_export", args=[incident.slug, "csv"]))
    assert WHOLE in response.content.decode()
    call_command("export_compensation", incident.slug, "--format", "csv", "-o", str(tmp_path / "out.csv"))
    assert shown() == [
        ("financier", {"where": "export csv", "vouchers": "all of the incident"}),
        ("command line: export_compensation", {"where": "export csv", "vouchers": "all of the incident"}),
    ]


def test_the_admin_masks_codes_in_lists_for_everyone_and_shows_finance_one_whole_audited(
    incident, client, finance_user, admin_user
):
    voucher = Voucher.objects.get(code=CODE)
    client.force_login(admin_user)  # a superuser without the finance role sees lists masked too
    page = client.get(reverse("admin:campaigns_voucher_changelist")).content.decode()
    assert MASKED in page and WHOLE not in page
    # a superuser holds every role: the voucher's own page shows it whole, audited
    detail = client.get(reverse("admin:campaigns_voucher_change", args=[voucher.pk])).content.decode()
    assert WHOLE in detail
    assert shown() == [("admin", {"where": "admin", "vouchers": [voucher.pk]})]


def test_a_test_send_with_the_voucher_attached_gives_support_a_masked_pdf_and_finance_the_real_one(
    incident, client, support_user, finance_user
):
    from campaigns.compensation.voucher_pdf import voucher_pdf_bytes
    from tests.campaigns.compensation.test_voucher_link import pdf_text

    # given a draft that attaches each customer's voucher
    mailing = draft(incident, support_user, attach_voucher=True)
    voucher = Voucher.objects.get(code=CODE)
    # when support sends itself customer K1's letter
    client.force_login(support_user)
    client.post(reverse("console:mailing_test", args=[mailing.pk]), {"customer": "K1"})
    (support_copy,) = mail.outbox
    # then the attached PDF carries the masked code, nothing redeemable, and nothing is audited
    text = pdf_text(support_copy.attachments[0][1])
    assert MASKED in text and WHOLE not in text
    assert shown() == []
    # and finance, who may see codes, gets the very PDF the customer gets (audited)
    mail.outbox.clear()
    client.force_login(finance_user)
    client.post(reverse("console:mailing_test", args=[mailing.pk]), {"customer": "K1"})
    assert mail.outbox[0].attachments[0][1] == voucher_pdf_bytes(voucher)
    assert [where["where"] for _, where in shown()] == ["test send"]
