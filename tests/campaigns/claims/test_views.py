"""Claims through the pages: the portal form and its errors, every claim URL answering 404 to
another customer (and to a customer in the console), support's queue, the answer forms."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from campaigns.claims.models import Claim, ClaimAttachment
from campaigns.claims.services import Upload, claim_file
from campaigns.compensation.codes import format_code
from campaigns.compensation.models import CompensationTopUp, Voucher
from campaigns.models import AuditEntry
from tests.campaigns.portal.test_views import signed_in
from tests.claims_world import PDF, claims_world, png_bytes
from tests.factories import CustomerFactory, HostingAccountFactory, utc
from tests.signin import private_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def form(world, **overrides):
    data = {
        "kind": "longer",
        "account": str(world.account.pk),
        "period_start": "2006-01-02T19:00",
        "period_end": "2006-01-04T01:00",
        "text": "Die Website war bis am 4. Januar weg.",
    }
    return {**data, **overrides}


def new_url(world):
    return reverse("portal:claim_new", args=[world.incident.slug])


def test_filing_from_the_incident_page_in_german():
    world = claims_world()
    client = signed_in(world.contact, "de")
    incident_page = client.get(reverse("portal:incident", args=[world.incident.slug]))
    assert new_url(world) in incident_page.content.decode()
    upload = ("beleg.png", png_bytes())
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(new_url(world), {**form(world), "attachments": [SimpleUploadedFile(*upload)]})
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:claim", args=[claim.pk])
    # 19:00 in Zurich is 18:00 UTC
    assert (claim.period_start, claim.period_end) == (utc(2006, 1, 2, 18), utc(2006, 1, 4))
    page = text(client.get(response["Location"]))
    assert "Ihre Reklamation" in page and "offen" in page and "02.01.2006 19:00" in page
    assert ClaimAttachment.objects.get().content_type == "image/png"
    listing = text(client.get(reverse("portal:claims")))
    assert "web-k004200" in listing and "Mein Ausfall dauerte länger" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"period_start": "2006-03-26T02:30", "period_end": "2006-03-26T04:00"}, "gibt es in Ihrer Zeitzone nicht"),
        ({"period_start": "2005-06-01T10:00", "period_end": "2005-06-01T12:00"}, "ausserhalb der Störung"),
        ({"period_end": "2006-01-01T10:00"}, "muss nach seinem Beginn liegen"),
        ({"period_end": ""}, "Beginn und Ende"),
        ({"kind": ""}, "worum es bei Ihrer Reklamation geht"),
        ({"text": ""}, "höchstens 4000 Zeichen"),
    ],
)
def test_bad_input_shows_a_clear_german_message_and_stores_nothing(overrides, message):
    world = claims_world()
    response = signed_in(world.contact, "de").post(new_url(world), form(world, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert Claim.objects.count() == 0


def test_a_renamed_file_and_a_too_large_file_are_refused():
    from django.core.files.uploadedfile import SimpleUploadedFile

    world = claims_world(language="it")
    client = signed_in(world.contact, "it")
    fake = SimpleUploadedFile("fattura.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    response = client.post(new_url(world), {**form(world), "attachments": [fake]})
    assert response.status_code == 400 and "fattura.pdf non è un file PDF, PNG o JPEG." in text(response)
    big = SimpleUploadedFile("grande.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    response = client.post(new_url(world), {**form(world), "attachments": [big]})
    assert response.status_code == 400 and "grande.pdf supera 5 MB." in text(response)
    assert Claim.objects.count() == 0 and ClaimAttachment.objects.count() == 0


def test_a_claim_on_another_customers_account_is_refused():
    world = claims_world(language="en")
    stranger = HostingAccountFactory(customer=CustomerFactory())
    response = signed_in(world.contact, "en").post(new_url(world), form(world, account=str(stranger.pk)))
    assert response.status_code == 400 and "Please choose one of your hosting accounts." in text(response)
    assert Claim.objects.count() == 0


def test_filing_is_rate_limited(settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "CLAIM_FILE_LIMIT": 2}
    world = claims_world(language="en")
    client = signed_in(world.contact, "en")
    assert client.post(new_url(world), form(world)).status_code == 302
    assert client.post(new_url(world), form(world, account=str(world.other_account.pk))).status_code == 302
    limited = client.post(new_url(world), form(world, kind="damage", period_start="", period_end=""))
    assert limited.status_code == 429 and "Please wait a while" in text(limited)
    assert Claim.objects.count() == 2


def test_every_claim_url_answers_404_to_another_customer():
    world = claims_world()
    claim = claim_file(
        customer=world.customer, contact=world.contact, incident=world.incident, account_id=world.account.pk,
        kind="damage", period=None, text="Schaden", uploads=[Upload("a.pdf", PDF)],
    )  # fmt: skip
    attachment = claim.attachments.get()
    other = CustomerFactory(number="K000099")
    intruder = signed_in(other.contacts.get(), "de")
    for url in (
        reverse("portal:claim", args=[claim.pk]),
        reverse("portal:claim_attachment", args=[claim.pk, attachment.pk]),
        reverse("portal:claim_new", args=[world.incident.slug]),  # an incident that did not hit them
    ):
        assert intruder.get(url).status_code == 404, url
    assert intruder.post(reverse("portal:claim_new", args=[world.incident.slug]), form(world)).status_code == 404
    assert claim.text not in intruder.get(reverse("portal:claims")).content.decode()
    # the owner gets the file back as a download of the type found by content
    owner = signed_in(world.contact)
    download = owner.get(reverse("portal:claim_attachment", args=[claim.pk, attachment.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;") and download.content == PDF
    # a customer session is no staff session: the console's claim pages send to its sign-in
    for url in (
        reverse("console:claims"),
        reverse("console:claim", args=[claim.pk]),
        reverse("console:claim_attachment", args=[claim.pk, attachment.pk]),
        reverse("console:customer", args=[world.customer.number]),
    ):
        assert owner.get(url).status_code == 302, url
    assert owner.post(reverse("console:claim_answer", args=[claim.pk]), {"decision": "reject"}).status_code == 302
    assert Claim.objects.get().status == "open"


def staff_client(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_console_queue_filters_and_the_claim_page_shows_the_customers_story(settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "CLAIM_TARGET_ANSWER_HOURS": 1}
    world = claims_world()
    claim = claim_file(
        customer=world.customer, contact=world.contact, incident=world.incident, account_id=world.account.pk,
        kind="longer", period=(utc(2006, 1, 2, 18), utc(2006, 1, 4)), text="Länger", uploads=[],
    )  # fmt: skip
    Claim.objects.filter(pk=claim.pk).update(created_at=utc(2006, 1, 10))
    client = staff_client(world.support)
    queue = text(client.get(reverse("console:claims")))
    assert "K004200" in queue and "overdue" in queue
    assert "K004200" not in text(client.get(reverse("console:claims"), {"kind": "damage"}))
    assert "K004200" not in text(client.get(reverse("console:claims"), {"status": "rejected"}))
    assert "K004200" not in text(client.get(reverse("console:claims"), {"mine": "1"}))
    assert "K004200" in text(client.get(reverse("console:claims"), {"incident": world.incident.pk, "older_than": 24}))

    client.post(reverse("console:claim_assign", args=[claim.pk]))
    assert "K004200" in text(client.get(reverse("console:claims"), {"mine": "1"}))
    page = client.get(reverse("console:claim", args=[claim.pk]))
    body = text(page)
    # the whole story: accounts and placements, the window, the amount, the voucher (masked for support)
    for expected in ("web-k004200", "mail-k004200", "server19", "server20", "CHF 50.00", "31.12.2005 23:30"):
        assert expected in body, expected
    voucher = Voucher.objects.get()
    assert voucher.code not in page.content.decode()
    # the answer templates are in the customer's language (German) in an English console
    assert "vielen Dank für Ihre Reklamation vom 10.01.2006 zu web-k004200" in page.content.decode()


def test_reject_needs_a_reason_beyond_the_template_and_accept_waits_for_finance(django_capture_on_commit_callbacks):
    world = claims_world(language="en")
    claim = claim_file(
        customer=world.customer, contact=world.contact, incident=world.incident, account_id=world.account.pk,
        kind="longer", period=(utc(2006, 1, 2, 18), utc(2006, 1, 4)), text="Longer", uploads=[],
    )  # fmt: skip
    client = staff_client(world.support)
    page = client.get(reverse("console:claim", args=[claim.pk])).content.decode()
    template = re.search(r'name="answer_reject"[^>]*>([^<]*)</textarea>', page).group(1)
    import html

    bare = client.post(
        reverse("console:claim_answer", args=[claim.pk]),
        {"decision": "reject", "answer_reject": html.unescape(template)},
    )
    assert bare.status_code == 400 and "A rejection needs a reason" in text(bare)
    assert Claim.objects.get().status == "open"

    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(
            reverse("console:claim_answer", args=[claim.pk]),
            {
                "decision": "adjustment",
                "period_start": "2006-01-02T19:00",
                "period_end": "2006-01-04T01:00",
                "answer_adjustment": "We added the downtime.",
            },
        )
    assert accepted.status_code == 302
    assert list(CompensationTopUp.objects.values_list("amount", "status")) == [(Decimal("50.00"), "pending")]
    assert Voucher.objects.filter(is_topup=True).count() == 0
    assert len(mail.outbox) == 1 and "We added the downtime." in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="claim.accept_downtime", actor=world.support).count() == 1
    # the customer sees the answer in the portal
    portal = text(signed_in(world.contact, "en").get(reverse("portal:claim", args=[claim.pk])))
    assert "accepted" in portal and "We added the downtime." in portal


def test_customer_search_by_number_name_email_and_voucher_code_for_finance():
    world = claims_world()
    support, finance = staff_client(world.support), staff_client(world.finance)
    url = reverse("console:customers")
    story = reverse("console:customer", args=[world.customer.number])
    assert support.get(url, {"q": "K004200"})["Location"] == story
    assert support.get(url, {"q": world.contact.email})["Location"] == story
    code = Voucher.objects.get().code
    assert support.get(url, {"q": code}).status_code == 200  # support: codes are not a search key
    assert finance.get(url, {"q": code})["Location"] == story
    assert format_code(code) in finance.get(story).content.decode()
    assert format_code(code) not in support.get(story).content.decode()
    shown = AuditEntry.objects.get(action="voucher.code_shown")
    assert (shown.actor, shown.data["where"]) == (world.finance, "customer-story")
    assert support.get(reverse("console:customer", args=["NOPE"])).status_code == 404


def test_the_customer_story_reads_a_fixed_number_of_queries_whatever_the_history():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.claims.story import customer_story

    world = claims_world(language="en")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            story = customer_story(number=world.customer.number)
            [list(a.placements.all()) for a in story.accounts]
            [list(d.events.all()) for d in story.deliveries]
        return len(queries)

    before = count()
    for n in range(4):
        account = HostingAccountFactory(customer=world.customer, name=f"extra-{n}")
        claim_file(
            customer=world.customer, contact=world.contact, incident=world.incident, account_id=account.pk,
            kind="damage", period=None, text=f"Claim {n}", uploads=[],
        )  # fmt: skip
    assert count() == before
    print(f"customer story: {before} queries")


def test_the_story_shows_timeline_explanation_letters_with_events_and_portal_sign_ins():
    from accounts.services.portal_auth import magic_link_url
    from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing
    from tests.factories import DeliveryFactory, MailingFactory

    world = claims_world()
    mailing = MailingFactory(incident=world.incident, name="", status=Mailing.Status.DONE)
    delivery = DeliveryFactory(mailing=mailing, contact=world.contact, status=Delivery.Status.SENT)
    DeliveryEvent.objects.create(delivery=delivery, esp="postmark", event_type="bounced", event_id="e1",
                                 occurred_at=utc(2026, 12, 1, 9), description="mailbox full")  # fmt: skip
    Client().post(magic_link_url(contact=world.contact))  # the customer signs in with the link

    page = staff_client(world.support, "de").get(reverse("console:customer", args=[world.customer.number]))

    body = text(page)
    html = page.content.decode()
    assert (
        '<title id="timeline-christmas-2005-title">Wann die Konten dieser Kundschaft ausgefallen waren</title>' in html
    )
    assert '<desc id="timeline-christmas-2005-desc">web-k004200: 31.12.2005 23:30 – 02.01.2006 19:00.</desc>' in html
    assert "<svg" in page.content.decode() and not re.search(r'<rect x="\d+,\d', page.content.decode())
    assert "50 % der Monatsgebühr von CHF 100.00 = CHF 50.00." in body  # the explanation, as the customer reads it
    assert mailing.display_name in body  # a mailing without a name has its default name
    assert "Anmeldelink" in body and "Noch keine Anmeldung" not in body  # the sign-in, by link
    assert "mailbox full" in body and "bounced" not in body  # events as words


def test_support_resends_a_letter_and_sends_a_sign_in_link_from_the_story(django_capture_on_commit_callbacks):
    from campaigns.mailings.models import Delivery, Mailing
    from tests.factories import ContactFactory, DeliveryFactory, MailingFactory

    world = claims_world()
    other = ContactFactory()  # another customer's contact
    delivery = DeliveryFactory(
        mailing=MailingFactory(incident=world.incident, status=Mailing.Status.DONE),
        contact=world.contact,
        status=Delivery.Status.FAILED,
    )
    support = staff_client(world.support)
    story = reverse("console:customer", args=[world.customer.number])

    with django_capture_on_commit_callbacks(execute=True):
        resent = support.post(reverse("console:customer_resend", args=[world.customer.number, delivery.pk]))
        linked = support.post(reverse("console:customer_sign_in_link", args=[world.customer.number, world.contact.pk]))

    assert resent["Location"] == story + "#letters" and linked["Location"] == story + "#contacts"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT  # sent again (Celery runs in-process here)
    assert [m.to for m in mail.outbox] == [[world.contact.email], [world.contact.email]]
    assert AuditEntry.objects.get(action="mailing.resend").actor == world.support
    assert "/portal/login/" in mail.outbox[1].body
    audit = AuditEntry.objects.get(action="customer.sign_in_link")
    assert (audit.actor, audit.data) == (world.support, {"email": world.contact.email, "customer": "K004200"})
    # another customer's contact or letter under this number: 404, nothing sent
    foreign = reverse("console:customer_sign_in_link", args=[world.customer.number, other.pk])
    assert support.post(foreign).status_code == 404
    assert (
        support.get(
            reverse("console:customer_sign_in_link", args=[world.customer.number, world.contact.pk])
        ).status_code
        == 405
    )
    assert len(mail.outbox) == 2
