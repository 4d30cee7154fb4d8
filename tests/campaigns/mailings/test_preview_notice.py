"""preview_notice INCIDENT CUSTOMER_NUMBER [--language xx]"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import CHRISTMAS, AffectedCustomerFactory, CustomerFactory, IncidentFactory, MailingFactory

# Compensated by the voucher ABCD-2345-EFGH-6789, valid until 31.12.2006.
VOUCHER = {"with_voucher": True, "code": "ABCD2345EFGH6789", "expires_on": dt.date(2006, 12, 31)}


def run(*args) -> str:
    out = StringIO()
    call_command("preview_notice", *args, stdout=out)
    return out.getvalue()


def test_prints_the_default_apology_in_the_customers_language(db):
    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall")
    AffectedCustomerFactory(incident=incident, number="K1001", accounts={"web000019": CHRISTMAS}, **VOUCHER)

    output = run("xmas-2005", "K1001")

    assert "Subject: Speicherausfall: unsere Entschuldigung und Ihre Gutschrift\n" in output
    assert "Ihr Account web000019 auf server19 war vom 31.12.2005 23:30 bis 02.01.2006 19:00 betroffen." in output
    assert "Ihr Gutscheincode: ABCD-••••-••••-6789 (gültig bis 31.12.2006)" in output  # masked unless --show-code


def test_language_option_and_the_latest_mailing_content(db):
    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall")
    AffectedCustomerFactory(incident=incident, number="K1001", accounts={"web000019": CHRISTMAS}, **VOUCHER)
    MailingFactory(incident=incident, name="old", content={"en": {"subject": "Old", "body": "old"}})
    MailingFactory(
        incident=incident,
        name="new",
        content={"en": {"subject": "Sorry {{ customer_number }}", "body": "{{ accounts_block }}"}},
    )

    assert "Subject: Sorry K1001\n" in run("xmas-2005", "K1001", "--language", "en")
    assert "Your account web000019 on server19 was affected from 31.12.2005 23:30 to 02.01.2006 19:00." in run(
        "xmas-2005", "K1001", "--language", "en"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "K1001"), "unknown incident 'nope'"),
        (("xmas-2005", "K9999"), "unknown customer 'K9999'"),
        (("xmas-2005", "K2002"), "customer K2002 is not affected by incident xmas-2005"),
    ],
)
def test_bad_input_is_a_clear_error(db, args, message):
    incident = IncidentFactory(slug="xmas-2005")
    AffectedCustomerFactory(incident=incident, number="K1001", with_voucher=True)
    CustomerFactory(number="K2002")

    with pytest.raises(CommandError, match=message):
        run(*args)


def test_show_code_prints_it_whole_and_audits(db):
    from campaigns.audit.models import AuditEntry

    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall")
    AffectedCustomerFactory(incident=incident, number="K1001", accounts={"web000019": CHRISTMAS}, **VOUCHER)

    output = run("xmas-2005", "K1001", "--show-code")

    assert "Ihr Gutscheincode: ABCD-2345-EFGH-6789 (gültig bis 31.12.2006)" in output
    entry = AuditEntry.objects.get(action="voucher.code_shown")
    assert (entry.actor_label, entry.data["where"]) == ("command line: preview_notice", "preview_notice")
