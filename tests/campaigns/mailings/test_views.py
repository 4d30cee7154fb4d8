"""Support console for mailings: compose with validation, live preview and count, test send,
approval by a second user, launch, progress and the recipient log; forbidden without the role."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from campaigns.compensation.codes import mask_code
from campaigns.mailings.letters import default_content
from campaigns.models import Delivery, DeliveryEvent, Mailing
from tests.campaigns.compensation.test_voucher_link import pdf_qr_codes, pdf_text
from tests.factories import CHRISTMAS, DST, AffectedCustomerFactory, ContactFactory, IncidentFactory


@pytest.fixture
def incident(db):
    incident = IncidentFactory(slug="xmas-2005", title="Speicherausfall")
    AffectedCustomerFactory(
        incident=incident, number="K1", accounts={"web000019": CHRISTMAS}, code="AAAA2345EFGH6789", with_voucher=True
    )
    AffectedCustomerFactory(
        incident=incident,
        number="K2",
        language="fr",
        accounts={"web000007": DST},
        code="BBBB2345EFGH6789",
        with_voucher=True,
    )
    AffectedCustomerFactory(
        incident=incident,
        number="K3",
        language="en",
        accounts={"web000008": DST},
        amount=Decimal("0"),
        compensated=True,
    )
    return incident


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def second_supporter(db, django_user_model):
    user = django_user_model.objects.create_user("second", "second@example.ch", "pw-second-1", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="support")[0])
    return user


def compose_data(**changes):
    data = {"name": "Apology", "contact_roles": ["primary"], "attach_voucher": "on"}
    for language, parts in default_content().items():
        for part, source in parts.items():
            data[f"{part}_{language}"] = source
    data.update(changes)
    return data


def draft(incident, user, **fields):
    return Mailing.objects.create(
        incident=incident,
        name="Apology",
        content=default_content(),
        contact_roles=["primary"],
        created_by=user,
        **fields,
    )


# --- access -------------------------------------------------------------------------------------


def test_pages_need_the_support_role(incident, client, django_user_model):
    mailing = draft(incident, None)
    urls = [
        reverse("console:mailings", args=[incident.slug]),
        reverse("console:mailing_create", args=[incident.slug]),
        reverse("console:mailing", args=[mailing.pk]),
        reverse("console:mailing_preview", args=[mailing.pk]),
        reverse("console:mailing_log", args=[mailing.pk]),
        reverse("console:mailing_progress", args=[mailing.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(django_user_model.objects.create_user("customer", "c@example.ch", "pw-customer-1"))
    for url in urls:
        assert client.get(url).status_code == 403
    staff = django_user_model.objects.create_user("clerk", "clerk@example.ch", "pw-clerk-1", is_staff=True)
    client.force_login(staff)
    for url in urls:
        assert client.get(url).status_code == 403
    response = client.post(reverse("console:mailing_action", args=[mailing.pk, "approve"]))
    assert response.status_code == 403
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT


# --- compose ------------------------------------------------------------------------------------


def test_compose_page_starts_from_the_default_apology(incident, support_client):
    response = support_client.get(reverse("console:mailing_create", args=[incident.slug]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "{{ incident_title }}: unsere Entschuldigung" in page
    assert 'value="server19"' in page and 'value="server7"' in page  # audience: the incident's servers
    assert "{{ voucher_code }}" in page  # the placeholder list


def test_compose_saves_a_draft_with_audience_roles_and_content(incident, support_client, support_user):
    data = compose_data(servers=["server7"], languages=["fr"], min_amount="5.00", reply_to="help@example.ch")

    response = support_client.post(reverse("console:mailing_create", args=[incident.slug]), data)

    mailing = Mailing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:mailing", args=[mailing.pk])
    assert mailing.status == Mailing.Status.DRAFT
    assert mailing.created_by == support_user
    assert mailing.audience == {"servers": ["server7"], "languages": ["fr"], "min_amount": "5.00"}
    assert mailing.contact_roles == ["primary"]
    assert mailing.content == default_content()
    assert (mailing.attach_voucher, mailing.reply_to) == (True, "help@example.ch")


def test_compose_shows_placeholder_errors_and_saves_nothing(incident, support_client):
    data = compose_data(body_de="Guten Tag {{ custmer_name }}", subject_fr="{% if has_credit %}")

    response = support_client.post(reverse("console:mailing_create", args=[incident.slug]), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "unknown placeholder {{ custmer_name }}; valid placeholders: {{ customer_name }}" in page
    assert "syntax error on line 1: Unexpected end of template" in page
    assert not Mailing.objects.exists()


def test_editing_a_draft_changes_it(incident, support_client, support_user):
    mailing = draft(incident, support_user)
    url = reverse("console:mailing_edit", args=[mailing.pk])
    assert support_client.get(url).status_code == 200

    support_client.post(url, compose_data(name="Renamed", subject_en="Sorry", contact_roles=["technical"]))

    mailing.refresh_from_db()
    assert (mailing.name, mailing.content["en"]["subject"], mailing.contact_roles) == (
        "Renamed",
        "Sorry",
        ["technical"],
    )


def test_live_preview_of_the_composed_letter_for_any_customer_and_language(incident, support_client):
    url = reverse("console:compose_preview", args=[incident.slug])
    data = compose_data(preview_customer="K2", preview_language="it")

    response = support_client.post(url, data, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert "Il suo account web000007 su server7 è stato colpito dal 26.03.2006 00:30 al 26.03.2006 09:00." in page
    assert "Speicherausfall: le nostre scuse e il suo accredito" in page
    assert "BBBB-••••-••••-6789" in page and "BBBB-2345-EFGH-6789" not in page  # support sees it masked


def test_live_preview_shows_errors_and_unaffected_customers(incident, support_client):
    url = reverse("console:compose_preview", args=[incident.slug])
    ContactFactory(customer__number="K9")

    broken = support_client.post(url, compose_data(body_de="{{ nope }}", preview_customer="K1")).content.decode()
    bystander = support_client.post(url, compose_data(preview_customer="K9")).content.decode()

    assert "unknown placeholder {{ nope }}" in broken
    assert "Customer K9 is not affected by this incident." in bystander


def test_recipient_count_follows_the_audience_filters(incident, support_client):
    url = reverse("console:compose_count", args=[incident.slug])
    ContactFactory(customer=incident.exposures.get(account__name="web000019").customer, role="technical")

    everyone = support_client.post(url, compose_data(contact_roles=[])).content.decode()
    primary = support_client.post(url, compose_data()).content.decode()
    french = support_client.post(url, compose_data(languages=["fr"])).content.decode()
    credited = support_client.post(url, compose_data(min_amount="5")).content.decode()

    assert "4 recipients" in everyone
    assert "3 recipients" in primary
    assert "1 recipient<" in french
    assert "2 recipients" in credited


# --- a saved mailing ----------------------------------------------------------------------------


def test_detail_shows_recipient_count_and_preview_of_any_recipient(incident, support_client, support_user):
    mailing = draft(incident, support_user)

    detail = support_client.get(reverse("console:mailing", args=[mailing.pk])).content.decode()
    preview = support_client.get(
        reverse("console:mailing_preview", args=[mailing.pk]), {"customer": "K3", "language": "de"}
    ).content.decode()

    assert "3 recipients" in detail
    assert "Another staff member must approve this mailing." in detail
    assert "Ihr Account web000008 auf server7 war vom 26.03.2006 00:30 bis 26.03.2006 09:00 betroffen." in preview
    assert "Die Unterbrechung war kürzer als eine Stunde" in preview


def test_test_send_goes_to_the_signed_in_user_only(incident, support_client, support_user):
    mailing = draft(incident, support_user)

    response = support_client.post(reverse("console:mailing_test", args=[mailing.pk]), {"customer": "K2"})

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["support@example.ch"]
    assert message.subject == "[TEST] Speicherausfall : nos excuses et votre avoir"
    assert "Votre compte web000007 sur server7" in message.body
    assert not Delivery.objects.exists()


def test_test_send_is_the_real_message_marked_only_in_the_subject(
    incident, client, support_user, second_supporter, django_capture_on_commit_callbacks, tmp_path
):
    # given an approved apology with the voucher attached, sent to its customers
    mailing = draft(incident, support_user, attach_voucher=True, reply_to="hilfe@example.ch")
    client.force_login(second_supporter)
    client.post(reverse("console:mailing_action", args=[mailing.pk, "approve"]))
    client.force_login(support_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:mailing_action", args=[mailing.pk, "launch"]))
    (real,) = [m for m in mail.outbox if m.to == [Delivery.objects.get(customer__number="K2").email]]
    mail.outbox.clear()

    # when support sends the test letter of the same customer to themselves
    client.post(reverse("console:mailing_test", args=[mailing.pk]), {"customer": "K2"})

    # then it is that message: parts, headers and voucher PDF, only the subject is marked
    (test,) = mail.outbox
    assert test.to == ["support@example.ch"]
    assert test.subject == f"[TEST] {real.subject}"
    assert (test.from_email, test.reply_to) == (real.from_email, real.reply_to)
    assert test.reply_to == ["hilfe@example.ch"]
    headers = ["Auto-Submitted", "Content-Language", "Date", "Message-ID"]
    assert sorted(test.extra_headers) == sorted(real.extra_headers) == headers
    assert test.extra_headers["Content-Language"] == real.extra_headers["Content-Language"]
    assert test.extra_headers["Message-ID"].split("@")[1] == real.extra_headers["Message-ID"].split("@")[1]
    assert len(test.attachments) == len(real.attachments) == 1
    assert test.attachments[0][0] == real.attachments[0][0]
    assert test.attachments[0][1].startswith(b"%PDF")
    # support's copy of the voucher PDF shows the code masked, in its text and its QR code
    real_pdf, test_pdf = real.attachments[0][1], test.attachments[0][1]
    assert "BBBB-2345-EFGH-6789" in pdf_text(real_pdf)
    assert "BBBB-2345-EFGH-6789" not in pdf_text(test_pdf)
    assert mask_code("BBBB2345EFGH6789") in pdf_text(test_pdf)
    assert [url for url in pdf_qr_codes(test_pdf, tmp_path) if "BBBB-2345-EFGH-6789" in url] == []
    assert [kind for _, kind in test.alternatives] == [kind for _, kind in real.alternatives] == ["text/html"]
    # the only other differences: a test send must not sign staff in as the customer (the sign-in
    # link), and support sees the voucher code masked
    link = re.compile(r"http://[^\s\"]+/portal/login/[^\s\"]*")

    def as_support_sees_it(text: str) -> str:
        return link.sub("LINK", text.replace("BBBB-2345-EFGH-6789", mask_code("BBBB2345EFGH6789")))

    assert "BBBB-2345-EFGH-6789" in real.body and "BBBB-2345-EFGH-6789" not in test.body
    assert link.sub("LINK", test.body) == as_support_sees_it(real.body)
    assert link.sub("LINK", str(test.alternatives[0][0])) == as_support_sees_it(str(real.alternatives[0][0]))


def test_second_user_approves_then_launch_sends_and_progress_and_log_show_it(
    incident, client, support_user, second_supporter, django_capture_on_commit_callbacks
):
    mailing = draft(incident, support_user)
    client.force_login(support_user)
    client.post(reverse("console:mailing_action", args=[mailing.pk, "approve"]))
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT  # the author cannot approve

    client.force_login(second_supporter)
    client.post(reverse("console:mailing_action", args=[mailing.pk, "approve"]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:mailing_action", args=[mailing.pk, "launch"]))

    mailing.refresh_from_db()
    assert mailing.approved_by == second_supporter
    assert mailing.status == Mailing.Status.DONE
    assert len(mail.outbox) == 3
    progress = client.get(reverse("console:mailing_progress", args=[mailing.pk])).content.decode()
    assert "<b>3</b>sent" in progress
    assert "data-hx-trigger" not in progress  # polling stops once done
    delivery = Delivery.objects.get(customer__number="K1")
    DeliveryEvent.objects.create(
        delivery=delivery, esp="postmark", event_type="bounced", event_id="e1", occurred_at=delivery.sent_at,
        description="mailbox full",
    )  # fmt: skip
    log = client.get(reverse("console:mailing_log", args=[mailing.pk])).content.decode()
    assert "3 deliveries" in log
    assert 'bounced <span class="muted">(postmark)</span>: mailbox full' in log
    failed_only = client.get(reverse("console:mailing_log", args=[mailing.pk]), {"status": "failed"}).content.decode()
    assert "No deliveries match." in failed_only

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:delivery_resend", args=[mailing.pk, delivery.pk]))

    assert len(mail.outbox) == 4
    assert mail.outbox[3].to == [delivery.email]


def test_progress_polls_while_sending_and_cancel_stops(incident, support_client, support_user):
    mailing = draft(incident, support_user, status=Mailing.Status.SENDING)
    Delivery.objects.create(
        mailing=mailing, contact=incident.exposures.first().customer.contacts.get(),
        customer=incident.exposures.first().customer, email="x@example.ch", language="de",
    )  # fmt: skip

    progress = support_client.get(reverse("console:mailing_progress", args=[mailing.pk])).content.decode()
    support_client.post(reverse("console:mailing_action", args=[mailing.pk, "cancel"]))

    assert 'data-hx-trigger="every 2s"' in progress
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.CANCELLED


def test_clone_opens_the_new_draft(incident, support_client, support_user):
    mailing = draft(incident, support_user, status=Mailing.Status.DONE)

    response = support_client.post(reverse("console:mailing_action", args=[mailing.pk, "clone"]))

    clone = Mailing.objects.exclude(pk=mailing.pk).get()
    assert response["Location"] == reverse("console:mailing_edit", args=[clone.pk])
    assert clone.status == Mailing.Status.DRAFT and clone.content == mailing.content


def test_mailing_list_links_each_mailing(incident, support_client, support_user):
    mailing = draft(incident, support_user)

    page = support_client.get(reverse("console:mailings", args=[incident.slug])).content.decode()

    assert reverse("console:mailing", args=[mailing.pk]) in page
    assert (
        reverse("console:mailings", args=[incident.slug])
        in support_client.get(reverse("console:incident", args=[incident.slug])).content.decode()
    )


def test_no_approve_button_for_a_mailing_the_service_would_refuse(incident, client, support_user, second_supporter):
    from campaigns.mailings.services import mailing_can_approve

    # given a draft without content, written by another staff member
    mailing = draft(incident, support_user)
    Mailing.objects.filter(pk=mailing.pk).update(content={})
    mailing.refresh_from_db()
    client.force_login(second_supporter)
    # then the console offers no "Approve", and approving anyway is refused
    detail = client.get(reverse("console:mailing", args=[mailing.pk])).content.decode()
    assert not mailing_can_approve(second_supporter, mailing)
    assert 'value="approve"' not in detail
    assert reverse("console:mailing_action", args=[mailing.pk, "approve"]) not in detail
    response = client.post(reverse("console:mailing_action", args=[mailing.pk, "approve"]), follow=True)
    assert "the mailing has no content" in response.content.decode()
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT


def test_approve_button_for_a_mailing_the_service_would_approve(incident, client, support_user, second_supporter):
    from campaigns.mailings.services import mailing_can_approve

    mailing = draft(incident, support_user)
    client.force_login(second_supporter)
    detail = client.get(reverse("console:mailing", args=[mailing.pk])).content.decode()
    assert mailing_can_approve(second_supporter, mailing)
    assert reverse("console:mailing_action", args=[mailing.pk, "approve"]) in detail
    assert not mailing_can_approve(support_user, mailing)


def test_a_finished_mailing_shows_its_average_rate_and_duration(incident, support_client, support_user):
    # given: 3 letters sent, the mailing launched at 10:00:00 and finished 100 s later
    from tests.factories import utc

    mailing = draft(
        incident, support_user, status=Mailing.Status.DONE,
        launched_at=utc(2026, 12, 1, 10), finished_at=utc(2026, 12, 1, 10, 1, 40),
    )  # fmt: skip
    for exposure in incident.exposures.all():
        Delivery.objects.create(
            mailing=mailing, contact=exposure.customer.contacts.get(), customer=exposure.customer,
            email=f"{exposure.customer.number}@example.ch", language="de",
            status=Delivery.Status.SENT, sent_at=utc(2026, 12, 1, 10, 0, 5),
        )  # fmt: skip

    # when
    progress = support_client.get(reverse("console:mailing_progress", args=[mailing.pk])).content.decode()

    # then: 3 letters in 100 s, not a rate of 0.0/s for letters sent in the same second
    assert "<b>1.8/min</b>average rate" in progress and "0.0/s" not in progress
    assert "<b>1:40</b>duration" in progress


@pytest.mark.parametrize(("language", "sent", "total"), [("de", "1’200", "1’203"), ("fr", "1\u202f200", "1\u202f203")])
def test_progress_counts_carry_the_readers_thousands_separator(
    incident, support_client, support_user, language, sent, total
):
    # given: a finished mailing of 1,203 letters (1,200 sent to extra contacts of K1, 3 failed)
    from accounts.models import Contact

    mailing = draft(incident, support_user, status=Mailing.Status.DONE)
    customer = incident.exposures.get(customer__number="K1").customer
    contacts = Contact.objects.bulk_create(
        Contact(customer=customer, email=f"c{n}@example.ch", role=Contact.Role.BILLING) for n in range(1200)
    )
    Delivery.objects.bulk_create(
        [Delivery(mailing=mailing, contact=c, customer=customer, email=c.email, language="de", status=Delivery.Status.SENT) for c in contacts]
        + [
            Delivery(mailing=mailing, contact=e.customer.contacts.get(role=Contact.Role.PRIMARY), customer=e.customer,
                     email=f"{e.customer.number}@example.ch", language="de", status=Delivery.Status.FAILED)
            for e in incident.exposures.all()
        ]
    )  # fmt: skip

    # when
    support_client.cookies["django_language"] = language
    progress = support_client.get(reverse("console:mailing_progress", args=[mailing.pk])).content.decode()

    # then: 1’200 (de) and 1 200 (fr) as on every other page, not 1200
    assert f"<b>{sent}</b>" in progress and f"<b>{total}</b>" in progress
    assert "<b>1200</b>" not in progress

    # … and the recipient log counts its deliveries the same way (not "1203 messages")
    log = support_client.get(reverse("console:mailing_log", args=[mailing.pk])).content.decode()
    assert f"{total} " in log and "1203" not in log


@pytest.mark.parametrize(("rate", "language", "sentence"), [
    (0, "en", "Sent with no rate limit, in batches of 1’000."),
    (0, "fr", "Envoyé sans limite de débit, par lots de 1\u202f000."),
    (2.5, "en", "Sent at up to 2.50 messages per second, in batches of 1’000."),
])  # fmt: skip
def test_a_finished_mailing_says_its_pace_in_words(incident, support_client, support_user, rate, language, sentence):
    # given: a finished mailing sent without a rate limit (0) or at 2.5 per second
    mailing = draft(incident, support_user, status=Mailing.Status.DONE, rate_per_second=rate, batch_size=1000)

    # when
    support_client.cookies["django_language"] = language
    page = support_client.get(reverse("console:mailing", args=[mailing.pk])).content.decode()

    # then: "no limit" in words, not "at most 0 messages per second (0: no limit)"
    assert sentence in page
    assert "(0" not in page


def test_audience_and_roles_are_sentences_in_the_readers_language(incident, support_client, support_user):
    mailing = draft(
        incident, support_user, audience={"servers": ["server06"], "languages": ["it", "fr"], "min_amount": "5"}
    )
    mailing.contact_roles = ["primary", "billing"]
    mailing.save()
    support_client.cookies["django_language"] = "de"

    page = support_client.get(reverse("console:mailing", args=[mailing.pk])).content.decode()

    assert "Server: server06 · Sprachen: Italienisch, Französisch · Gutschrift mindestens: 5.00" in page
    assert "languages:" not in page and "servers:" not in page
    assert "<dd>Hauptkontakt, Rechnungskontakt</dd>" in page


def test_an_invalid_audience_filter_is_shown_not_counted_as_everyone(incident, support_client):
    url = reverse("console:compose_count", args=[incident.slug])

    response = support_client.post(url, compose_data(min_amount="-5", servers=["no-such-server"])).content.decode()

    assert "The audience filter is invalid:" in response
    assert "recipients" not in response and "recipient<" not in response


def test_the_preview_of_a_mailing_defaults_to_a_customer_of_its_audience(incident, support_client, support_user):
    # given: a mailing for French-speaking customers only (K2); K1 comes first by number
    mailing = draft(incident, support_user, audience={"languages": ["fr"]})

    page = support_client.get(reverse("console:mailing", args=[mailing.pk])).content.decode()
    preview = support_client.get(reverse("console:mailing_preview", args=[mailing.pk])).context

    assert 'placeholder="K2"' in page and '<option value="K1">' not in page
    assert preview["customer"].number == "K2"


def test_the_log_shows_a_dash_not_a_numbered_list_when_a_letter_has_no_event(incident, support_client, support_user):
    mailing = draft(incident, support_user, status=Mailing.Status.DONE)
    exposure = incident.exposures.select_related("customer").first()
    Delivery.objects.create(
        mailing=mailing, contact=exposure.customer.contacts.first(), customer=exposure.customer,
        email="k@example.ch", language="de",
    )  # fmt: skip

    log = support_client.get(reverse("console:mailing_log", args=[mailing.pk])).content.decode()

    assert '<span class="muted">–</span>' in log and '<li class="muted">–</li>' not in log


def test_the_compose_preview_defaults_to_a_customer_of_the_audience_being_typed(incident, support_client):
    # given: the form filters French-speaking customers (K2); K1 comes first by number
    url = reverse("console:compose_preview", args=[incident.slug])

    french = support_client.post(url, compose_data(languages=["fr"])).context
    invalid = support_client.post(url, compose_data(languages=["fr"], min_amount="-5")).context

    assert french["customer"].number == "K2"
    assert invalid["customer"].number == "K1"  # an invalid filter picks no audience: any affected customer
