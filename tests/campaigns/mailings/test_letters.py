"""Letters: placeholder validation, the default apology in four languages, set-based rendering."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Contact
from accounts.services.portal_auth import magic_link_contact
from campaigns.mailings.letters import (
    PLACEHOLDERS,
    CustomerNotAffected,
    LetterError,
    default_content,
    render_messages,
    render_preview,
    validate_content,
)
from campaigns.models import Compensation, Delivery, Voucher
from tests.factories import (
    CHRISTMAS,
    DST,
    AffectedCustomerFactory,
    ContactFactory,
    CustomerFactory,
    DeliveryFactory,
    IncidentFactory,
    MailingFactory,
)

# The letters' customers are compensated by a voucher valid until 31.12.2006.
VOUCHER = {"with_voucher": True, "expires_on": dt.date(2006, 12, 31)}


def letter(subject="{{ customer_name }}", text="{{ accounts_block }}"):
    return {"de": {"subject": subject, "body": text}}


# --- validation ---------------------------------------------------------------------------------


def test_default_content_is_valid_in_all_four_languages():
    content = default_content()

    assert sorted(content) == ["de", "en", "fr", "it"]
    assert validate_content(content) == []


def test_unknown_placeholder_is_an_error_that_lists_the_valid_ones():
    errors = validate_content(letter(text="Hallo {{ custmer_name }}"))

    assert len(errors) == 1
    assert errors[0].startswith("de body: unknown placeholder {{ custmer_name }}; valid placeholders: ")
    for name in PLACEHOLDERS:
        assert f"{{{{ {name} }}}}" in errors[0]


def test_unknown_attribute_of_a_loop_item_names_the_attributes():
    content = letter(
        text="{% for account in accounts %}{{ account.nme }}{% for w in account.windows %}{{ w.start }}{% endfor %}{% endfor %}"
    )

    errors = validate_content(content)

    assert len(errors) == 1
    assert "{{ account.nme }} (account has: duration, name, product, sentence, servers, windows)" in errors[0]


def test_loops_conditions_and_filters_over_known_placeholders_are_valid():
    content = letter(
        subject="{% if has_credit %}{{ amount }}{% else %}{{ incident_title|upper }}{% endif %}",
        text="{% for a in accounts %}{{ loop.index }}. {{ a.name }}: {% for w in a.windows %}{{ w.server }} {{ w.text }}{% endfor %}{% endfor %}",
    )

    assert validate_content(content) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% if has_credit %}no end", "de body: syntax error on line 1: Unexpected end of template"),
        ('{% include "base.html" %}', "de body: not allowed in a letter: include"),
        ("{% load i18n %}", "de body: syntax error on line 1: Encountered unknown tag 'load'"),
        ("{{ customer_name.upper() }}", "de body: not allowed in a letter: a call ( )"),
        ("{{ customer_name|attr('upper') }}", "de body: filter or test not allowed in a letter: attr"),
    ],
)
def test_broken_syntax_and_forbidden_tags_are_errors(text, expected):
    errors = validate_content(letter(text=text))

    assert len(errors) == 1
    assert errors[0].startswith(expected)


def test_missing_parts_and_unknown_languages_are_errors():
    errors = validate_content({"de": {"subject": " ", "body": "x"}, "rm": {"subject": "s", "body": "t"}})

    assert errors == ["de subject: must not be empty", "rm: unknown language (valid: de, fr, it, en)"]
    assert validate_content({}) == ["the letter has no language: add at least one of de, fr, it, en"]


# --- the default apology ------------------------------------------------------------------------

SENTENCES = {
    "de": "Ihr Account web000019 auf server19 war vom 31.12.2005 23:30 bis 02.01.2006 19:00 betroffen.",
    "fr": "Votre compte web000019 sur server19 a été touché du 31.12.2005 23:30 au 02.01.2006 19:00.",
    "it": "Il suo account web000019 su server19 è stato colpito dal 31.12.2005 23:30 al 02.01.2006 19:00.",
    "en": "Your account web000019 on server19 was affected from 31.12.2005 23:30 to 02.01.2006 19:00.",
}
SUBJECTS = {
    "de": "Speicherausfall: unsere Entschuldigung und Ihre Gutschrift",
    "fr": "Speicherausfall : nos excuses et votre avoir",
    "it": "Speicherausfall: le nostre scuse e il suo accredito",
    "en": "Speicherausfall: our apology and your credit",
}


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_default_letter_lists_the_customers_account_window_in_local_time(db, language):
    incident = IncidentFactory(title="Speicherausfall")
    customer = AffectedCustomerFactory(
        incident=incident, language=language, accounts={"web000019": CHRISTMAS}, code="ABCD2345EFGH6789", **VOUCHER
    ).customer

    message = render_preview(None, customer, incident=incident, reveal_code=True)

    assert message.language == language
    assert message.subject == SUBJECTS[language]
    assert SENTENCES[language] + "\n" in message.text
    assert f'<li style="margin: 0 0 6px;">{SENTENCES[language]}</li>' in message.html
    assert "ABCD-2345-EFGH-6789" in message.text
    assert "31.12.2006" in message.text  # voucher expiry


def test_default_letter_shows_the_credit_its_explanation_code_and_sign_in_link(db):
    incident = IncidentFactory(title="Speicherausfall")
    customer = AffectedCustomerFactory(
        incident=incident,
        accounts={"web000019": CHRISTMAS},
        amount=Decimal("1234.50"),
        code="ABCD2345EFGH6789",
        **VOUCHER,
    ).customer
    contact = customer.contacts.get()

    message = render_preview(None, customer, incident=incident, reveal_code=True)

    assert "Als Entschädigung schreiben wir Ihnen CHF 1’234.50 gut.\n" in message.text
    expected_line = "CHF 1’234.50 für 43 h 30 min Ausfall (50 % der Monatsgebühr von web000019), gemäss unserer Entschädigungsregel.\n"
    assert expected_line in message.text
    assert "Ihr Gutscheincode: ABCD-2345-EFGH-6789 (gültig bis 31.12.2006)\n" in message.text
    assert "melden Sie sich ohne Passwort an:\n<http://127.0.0.1:8000/portal/login/>\n" in message.text
    assert magic_link_contact("preview") is None  # a preview must not hand staff a customer's key
    assert message.to == contact.email


def test_sent_letters_carry_a_working_sign_in_link_for_their_contact(db):
    incident = IncidentFactory()
    customer = AffectedCustomerFactory(incident=incident, **VOUCHER).customer
    contact = customer.contacts.get()
    mailing = MailingFactory(incident=incident, content=default_content(), attach_voucher=True)
    DeliveryFactory(mailing=mailing, contact=contact, language=contact.effective_language)

    (message,) = render_messages(mailing, Delivery.objects.filter(mailing=mailing))

    link = next(line for line in message.text.splitlines() if "/portal/login/" in line).strip("<>")
    assert magic_link_contact(link.rstrip("/").rsplit("/", 1)[1]) == contact
    assert f'href="{link}"' in message.html


def test_windows_across_the_dst_change_and_other_time_zones_are_local(db):
    incident = IncidentFactory(title="Speicherausfall")
    zurich = AffectedCustomerFactory(
        incident=incident, accounts={"web000007": DST}, code="ABCD2345EFGH6789", **VOUCHER
    ).customer
    new_york = AffectedCustomerFactory(
        incident=incident,
        language="en",
        time_zone="America/New_York",
        accounts={"web000020": CHRISTMAS},
        code="ZZZZ2345EFGH6789",
        **VOUCHER,
    ).customer

    zurich_text = render_preview(None, zurich, incident=incident).text
    new_york_text = render_preview(None, new_york, incident=incident).text

    assert "Ihr Account web000007 auf server7 war vom 26.03.2006 00:30 bis 26.03.2006 09:00 betroffen." in zurich_text
    assert "für 7 h 30 min Ausfall" in zurich_text  # the real duration across the switch to summer time
    assert "Your account web000020 on server19 was affected from 31.12.2005 17:30 to 02.01.2006 13:00." in new_york_text


def test_an_account_that_moved_lists_each_server_with_its_windows(db):
    incident = IncidentFactory()
    moved = [
        ["2006-01-01T10:00:00+00:00", "2006-01-01T12:00:00+00:00", "server19"],
        ["2006-01-01T14:00:00+00:00", "2006-01-01T15:00:00+00:00", "server19"],
        ["2006-01-01T15:00:00+00:00", "2006-01-01T16:30:00+00:00", "server20"],
    ]
    customer = AffectedCustomerFactory(
        incident=incident, language="fr", accounts={"web000030": moved}, code="ABCD2345EFGH6789", **VOUCHER
    ).customer

    text = render_preview(None, customer, incident=incident).text

    assert (
        "Votre compte web000030 a été touché sur server19 du 01.01.2006 11:00 au 01.01.2006 13:00 et du "
        "01.01.2006 15:00 au 01.01.2006 16:00 et sur server20 du 01.01.2006 16:00 au 01.01.2006 17:30."
    ) in text


@pytest.mark.parametrize(
    ("language", "sentence", "subject"),
    [
        (
            "de",
            "Die Unterbrechung war kürzer als eine Stunde; dafür ist keine Gutschrift vorgesehen.",
            "Speicherausfall: unsere Entschuldigung",
        ),
        ("en", "The interruption lasted less than an hour, so no credit applies.", "Speicherausfall: our apology"),
    ],
)
def test_amount_zero_says_no_credit_applies_and_shows_no_code(db, language, sentence, subject):
    incident = IncidentFactory(title="Speicherausfall")
    short = [["2006-01-01T10:00:00+00:00", "2006-01-01T10:40:00+00:00", "server19"]]
    customer = AffectedCustomerFactory(
        incident=incident, language=language, accounts={"web000040": short}, amount=Decimal("0"), compensated=True
    ).customer

    message = render_preview(None, customer, incident=incident)

    assert message.subject == subject
    assert sentence + "\n" in message.text
    assert "CHF" not in message.text
    assert message.voucher_id is None
    assert "/portal/login/" in message.text


HOSTILE_NAME = "<img src=x> *Müller* [a](http://evil)"


def test_merge_values_never_inject_markup_in_either_part(db):
    incident = IncidentFactory()
    customer = AffectedCustomerFactory(
        incident=incident, name=HOSTILE_NAME, code="ABCD2345EFGH6789", **VOUCHER
    ).customer
    content = {
        "de": {"subject": "{{ customer_name }}", "body": "Guten Tag **{{ customer_name }}**\n\n{{ customer_name }}"}
    }

    message = render_preview(content, customer, incident=incident)

    assert message.subject == HOSTILE_NAME
    assert message.text == f"Guten Tag **{HOSTILE_NAME}**\n\n{HOSTILE_NAME}\n"
    shown = "&lt;img src=x&gt; *Müller* [a](http://evil)"
    assert f"Guten Tag <strong>{shown}</strong></p>" in message.html
    assert f">{shown}</p>" in message.html
    assert "<img" not in message.html and "<em>" not in message.html and 'href="http://evil"' not in message.html
    assert f"<title>{shown}</title>" in message.html


def test_preview_of_an_unaffected_customer_and_of_invalid_content_raise(db):
    incident = IncidentFactory()
    bystander = CustomerFactory()

    with pytest.raises(CustomerNotAffected):
        render_preview(None, bystander, incident=incident)
    with pytest.raises(LetterError) as raised:
        render_preview(
            letter(text="{{ nope }}"),
            AffectedCustomerFactory(incident=incident, **VOUCHER).customer,
            incident=incident,
        )
    assert "unknown placeholder {{ nope }}" in str(raised.value)


def test_preview_falls_back_to_the_incident_language_when_the_content_lacks_the_customers(db):
    incident = IncidentFactory(default_language="de")
    customer = AffectedCustomerFactory(incident=incident, language="it", **VOUCHER).customer

    message = render_preview(letter(subject="Hallo"), customer, incident=incident)

    assert (message.language, message.subject) == ("de", "Hallo")


# --- set-based rendering ------------------------------------------------------------------------


def test_render_messages_renders_each_delivery_in_its_language_with_its_voucher(db):
    incident = IncidentFactory(title="Speicherausfall")
    german = AffectedCustomerFactory(
        incident=incident, accounts={"web000001": CHRISTMAS}, code="AAAA2345EFGH6789", **VOUCHER
    ).customer
    ContactFactory(customer=german, email="tech@muster.ch", language="fr")
    english = AffectedCustomerFactory(
        incident=incident, language="en", accounts={"web000002": DST}, amount=Decimal("0"), compensated=True
    ).customer
    mailing = MailingFactory(incident=incident, content=default_content(), attach_voucher=True)
    for contact in Contact.objects.filter(customer__in=[german, english]):
        DeliveryFactory(mailing=mailing, contact=contact, language=contact.effective_language)

    messages = render_messages(mailing, Delivery.objects.filter(mailing=mailing).order_by("email"))

    by_address = {m.to: m for m in messages}
    assert sorted(by_address) == sorted(Contact.objects.values_list("email", flat=True))
    french = by_address["tech@muster.ch"]
    assert french.language == "fr"
    assert "Votre compte web000001 sur server19 a été touché du 31.12.2005 23:30 au 02.01.2006 19:00." in french.text
    assert french.voucher_id == german.vouchers.get().pk
    english_message = next(m for m in messages if m.customer_id == english.pk)
    assert english_message.voucher_id is None
    assert (
        "Your account web000002 on server7 was affected from 26.03.2006 00:30 to 26.03.2006 09:00."
        in english_message.text
    )
    assert {m.delivery_id for m in messages} == set(Delivery.objects.values_list("id", flat=True))


def test_render_messages_without_attachment_names_no_voucher(db):
    incident = IncidentFactory()
    customer = AffectedCustomerFactory(incident=incident, code="ABCD2345EFGH6789", **VOUCHER).customer
    mailing = MailingFactory(incident=incident, content=default_content(), attach_voucher=False)
    contact = customer.contacts.get()
    DeliveryFactory(mailing=mailing, contact=contact, language=contact.effective_language)

    (message,) = render_messages(mailing, Delivery.objects.filter(mailing=mailing))

    assert message.voucher_id is None
    assert "ABCD-2345-EFGH-6789" in message.text  # the code is still in the letter


@pytest.mark.parametrize("size", [10, 100])
def test_render_messages_needs_one_query_whatever_the_batch_size(db, django_assert_num_queries, size):
    incident = IncidentFactory()
    customers = [
        AffectedCustomerFactory(
            incident=incident,
            language=("de", "fr", "it", "en")[i % 4],
            accounts=[CHRISTMAS, DST],
            code=f"ABCD2345EFGH{i:04d}".replace("0", "A").replace("1", "B"),
            **VOUCHER,
        ).customer
        for i in range(size)
    ]
    mailing = MailingFactory(incident=incident, content=default_content(), attach_voucher=True)
    for contact in Contact.objects.filter(customer__in=customers):
        DeliveryFactory(mailing=mailing, contact=contact, language=contact.effective_language)
    # What the sender's claim returns: bare rows, no related objects loaded.
    batch = list(Delivery.objects.filter(mailing=mailing).only("pk", "contact_id", "email", "language"))
    mailing = type(mailing).objects.select_related("incident").get(pk=mailing.pk)

    with django_assert_num_queries(1):
        messages = render_messages(mailing, batch)

    assert [m.delivery_id for m in messages] == [d.pk for d in batch]
    assert all(m.text.count("server19") == 1 and m.text.count("server7") == 1 for m in messages)
    assert all("ABCD-2345-EFGH-" in m.text and m.voucher is not None for m in messages)


def test_credit_line_names_the_minimum_and_pro_rata_shares(db):
    incident = IncidentFactory()
    customer = AffectedCustomerFactory(
        incident=incident,
        language="en",
        accounts={"web000050": CHRISTMAS},
        amount=Decimal("5.00"),
        code="ABCD2345EFGH6789",
        **VOUCHER,
    ).customer
    Compensation.objects.filter(customer=customer).update(
        explanation={
            "kind": "prorata",
            "currency": "CHF",
            "accounts": [{"account": "web000050", "hours": "43.50", "share": "1.17"}],
            "minimum": "5.00",
            "minimum_applied": True,
        }
    )

    text = render_preview(None, customer, incident=incident).text

    assert (
        "CHF 5.00 for 43 h 30 min of downtime (pro rata 43.50 h of web000050; at least CHF 5.00), "
        "according to our compensation rule.\n"
    ) in text


def test_void_and_top_up_vouchers_are_never_the_letters_code(db):
    incident = IncidentFactory()
    customer = AffectedCustomerFactory(incident=incident, code="VVVV2345EFGH6789", **VOUCHER).customer
    compensation = Compensation.objects.get(customer=customer)
    Voucher.objects.filter(customer=customer).update(status=Voucher.Status.VOID)
    for code, topup in (("TTTT2345EFGH6789", True), ("GGGG2345EFGH6789", False)):
        Voucher.objects.create(
            compensation=compensation, customer=customer, code=code, amount=Decimal("10.00"), currency="CHF",
            is_topup=topup, expires_on=dt.date(2006, 12, 31), issued_at=timezone.now(),
        )  # fmt: skip

    message = render_preview(None, customer, incident=incident, reveal_code=True)

    assert "GGGG-2345-EFGH-6789" in message.text
    assert "VVVV" not in message.text and "TTTT" not in message.text
    assert message.voucher.code == "GGGG2345EFGH6789"


def test_several_accounts_each_get_a_sentence_and_the_downtime_is_the_union_of_their_windows(db):
    incident = IncidentFactory()
    customer = AffectedCustomerFactory(
        incident=incident, accounts={"web000061": CHRISTMAS, "web000062": DST}, code="ABCD2345EFGH6789", **VOUCHER
    ).customer
    content = {"de": {"subject": "{{ downtime }} / {{ longest_duration }}", "body": "{{ accounts_block }}"}}

    message = render_preview(content, customer, incident=incident)

    assert message.subject == "51 h 00 min / 51 h 00 min"  # 43.5 h and 7.5 h, disjoint
    assert message.text == (
        "- Ihr Account web000061 auf server19 war vom 31.12.2005 23:30 bis 02.01.2006 19:00 betroffen.\n"
        "- Ihr Account web000062 auf server7 war vom 26.03.2006 00:30 bis 26.03.2006 09:00 betroffen.\n"
    )
