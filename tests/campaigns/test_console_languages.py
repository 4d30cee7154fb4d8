"""Every console page that support and finance reach, read in German, French and Italian, shows
no English text of the catalogues: a msgid whose translation differs must not appear as is.

Data (names, numbers, codes, e-mail addresses, letter templates being edited) is not checked: the
world below names its data in German, and text inside <code>, <pre>, <textarea>, <script>,
<style> or an element that declares its own ``lang`` is skipped."""

import io
import re
from functools import cache
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from campaigns.claims.models import Claim
from campaigns.claims.services import claim_file
from campaigns.compensation.code_access import code_shown_record
from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.incidents.exposure import exposure_recompute
from campaigns.mailings.services import mailing_create_default
from campaigns.models import Delivery, Mailing, SuppressedAddress, Voucher
from campaigns.offers.configuration import offer_propose
from campaigns.offers.pools import pool_upload
from campaigns.portal.redemption import voucher_redeem
from campaigns.status.services import update_post
from tests.factories import OutageWindowFactory, PlacementFactory, ServerFactory, StorageVolumeFactory, utc

pytestmark = pytest.mark.django_db

SKIPPED = {"script", "style", "code", "pre", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sd]|\{\{.*?\}\}|\{\w*\}")
# Code named in help texts (account.name, .servers, "for account in accounts") is not English prose
CODE = re.compile(r"\w*(?:\.\w+)+|\bfor \w+ in \w+\b|\b\w+_\w+\b")


class VisibleText(HTMLParser):
    """The text a reader sees, one node per line, without the skipped elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        skip = tag in SKIPPED or any(name in ("lang", "translate") for name, _ in attrs)
        self.stack.append(skip or bool(self.stack and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible_text(html: str) -> str:
    body = html.split("<body", 1)[-1]  # the <html lang> itself is the page's language
    parser = VisibleText()
    parser.feed("<body" + body)
    return "\n".join(parser.nodes)


@cache
def english_patterns(language: str) -> list[tuple[str, re.Pattern]]:
    """A pattern per msgid whose translation in ``language`` differs from it (placeholders match anything)."""
    po = polib.pofile(str(settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"))
    # a msgid that is also a word of the language (German "Filter", "Start") cannot be told apart
    own_words = "\n".join(
        CODE.sub(" ", PLACEHOLDER.sub(" ", text))
        for entry in po.translated_entries()
        for text in ([entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values()))
    )
    patterns = []
    for entry in po.translated_entries():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural.get(0, "")),
                (entry.msgid_plural, entry.msgstr_plural.get(1, "")),
            ]
        for msgid, msgstr in pairs:
            literal = [part for part in PLACEHOLDER.split(msgid) if part.strip()]
            if msgstr == msgid or not literal or max(len(part.strip()) for part in literal) < 4:
                continue
            regex = r"\s*.+?\s*".join(re.escape(" ".join(part.split())) for part in PLACEHOLDER.split(msgid.strip()))
            pattern = re.compile(rf"(?<![\w-]){regex}(?![\w-])")
            if not pattern.search(own_words):
                patterns.append((msgid, pattern))
    return patterns


def english_left(html: str, language: str, data: tuple[str, ...] = ()) -> list[str]:
    """The msgids left in English on the page; ``data``: names to ignore (e.g. a policy's)."""
    text = CODE.sub(" ", visible_text(html))
    for value in data:
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", " ", text)
    return [msgid for msgid, pattern in english_patterns(language) if pattern.search(text)]


@pytest.fixture
def world(support_user, finance_user, django_user_model):
    volume = StorageVolumeFactory(name="speicher-a")
    server = ServerFactory(name="server19", storage_volume=volume)
    window = OutageWindowFactory(
        target_type="volume", server=None, volume=volume, start=utc(2005, 12, 31, 22, 30), end=utc(2006, 1, 2, 18)
    )
    incident = window.incident
    incident.title = "Speicherausfall Weihnachten"
    incident.slug = "speicherausfall"
    incident.save()
    OutageWindowFactory(incident=incident, server=server, start=utc(2006, 1, 3, 9), end=None)
    for number in ("K19", "K20"):
        PlacementFactory(server=server, account__name=f"web-{number}", account__customer__number=number,
                         account__customer__name=f"Kunde {number}")  # fmt: skip
    exposure_recompute(incident=incident, now=utc(2006, 1, 4))
    compensation_prepare(incident=incident, by=support_user)
    compensation_approve(incident=incident, by=finance_user)
    update_post(
        incident=incident, phase="investigating", texts={"de": "Wir prüfen.", "en": "We check."}, by=support_user
    )
    SuppressedAddress.objects.create(email="weg@example.ch", reason="bounced")
    draft = mailing_create_default(incident=incident, by=support_user)
    draft.name = "Entschuldigung"
    draft.audience = {"servers": ["server19"], "languages": ["de"]}
    draft.save()
    done = Mailing.objects.create(
        incident=incident, name="Erster Versand", content=draft.content, contact_roles=["primary"],
        status=Mailing.Status.DONE, launched_at=utc(2026, 12, 1, 10), finished_at=utc(2026, 12, 1, 10, 2),
    )  # fmt: skip
    exposure = incident.exposures.select_related("customer").first()
    contact = exposure.customer.contacts.first()
    claim_file(
        customer=exposure.customer, contact=contact, incident=incident, account_id=exposure.account_id,
        kind="longer", period=(utc(2006, 1, 2, 18), utc(2006, 1, 2, 20)), text="Länger ausgefallen.", uploads=[],
    )  # fmt: skip
    Delivery.objects.create(
        mailing=done, contact=contact, customer=exposure.customer, email=contact.email, language="de",
        status=Delivery.Status.SENT, sent_at=utc(2026, 12, 1, 10, 1),
    )  # fmt: skip
    # forms of compensation: a pool running low and a proposal waiting for a second person
    pool_upload(partner="Digitec", source=io.BytesIO(b"code,face_value,currency\nDG-0001,20,CHF\n"), by=finance_user)
    offer_propose(incident=incident, forms=["balance", "partner", "donation"], partners=["Digitec"],
                  organisation="Glückskette", by=finance_user)  # fmt: skip
    # a redemption (the finance tables name its form) and codes shown whole (the audit log says where)
    voucher = Voucher.objects.filter(compensation__incident=incident).select_related("compensation__customer").first()
    voucher_redeem(customer=voucher.compensation.customer, code=voucher.code, form="balance")
    for where in ("mailing preview", "customer-story", "export csv"):
        code_shown_record(user=finance_user, where=where, voucher_ids=[voucher.pk], incident=incident)
    return incident, draft, done


def pages(incident, draft, done) -> dict[str, list[str]]:
    slug = {"slug": incident.slug}
    support = [
        reverse("console:home"),
        reverse("console:incident", kwargs=slug),
        reverse("console:compensation", kwargs=slug),
        reverse("console:mailings", kwargs=slug),
        reverse("console:mailing_create", kwargs=slug),
        reverse("console:mailing", args=[draft.pk]),
        reverse("console:mailing_edit", args=[draft.pk]),
        reverse("console:mailing", args=[done.pk]),
        reverse("console:mailing_log", args=[done.pk]),
        reverse("console:mailing_progress", args=[done.pk]),
        reverse("console:mailing_in_doubt", args=[done.pk]),
        reverse("console:status", kwargs=slug),
        reverse("console:api_alerts"),
        reverse("console:incident_new"),
        reverse("console:incident_edit", kwargs=slug),
        reverse("console:suppressions"),
        reverse("console:claims"),
        reverse("console:claim", args=[Claim.objects.get().pk]),
        reverse("console:customers") + "?q=Kunde",
        reverse("console:customer", args=["K19"]),
    ]
    finance = [
        *support,
        reverse("console:finance"),
        reverse("console:finance_incident", kwargs=slug),
        reverse("console:audit"),
        reverse("console:policies"),
        reverse("console:policy_propose"),
        reverse("console:incident_offers", kwargs=slug),
        reverse("console:partners"),
    ]
    return {"support": support, "finance": finance}


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_no_english_left_on_the_console_pages_of_support_and_finance(world, support_user, finance_user, language):
    users = {"support": support_user, "finance": finance_user}
    leaks = {}
    for role, urls in pages(*world).items():
        client = Client()
        client.force_login(users[role])
        client.cookies["django_language"] = language
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            found = english_left(response.content.decode(), language, data=("default",))  # the policy's name
            if found:
                leaks[f"{role} {url}"] = found
    assert leaks == {}, "\n".join(f"{page}: {found}" for page, found in leaks.items())


def test_the_check_finds_an_english_msgid_and_ignores_data_and_code():
    # given: a translated msgid as visible text, the same inside <code> and in a lang="en" letter
    html = (
        "<html lang='de'><body><p>Audit log</p><code>Recipient log</code>"
        "<div lang='en'><p>Contact roles</p></div><p>Audit-Protokoll</p></body></html>"
    )
    # then: only the visible English one is reported
    assert english_left(html, "de") == ["Audit log"]


@pytest.mark.parametrize(("language", "form"), [("de", "Kontoguthaben"), ("fr", "solde du compte")])
def test_the_finance_report_names_a_redemptions_form_in_the_readers_language(world, finance_user, language, form):
    # given: the world's voucher redeemed as account balance
    client = Client()
    client.force_login(finance_user)
    client.cookies["django_language"] = language
    # when: finance reads the redemptions per day
    text = visible_text(client.get(reverse("console:finance")).content.decode())
    # then: the form by its name, not its code
    assert f"CHF {form}" in text and "CHF balance" not in text


@pytest.mark.parametrize(
    ("where", "shown"),
    [
        ("mailing preview", "(in der Vorschau eines Mailings)"),
        ("customer-story", "(auf der Seite des Kunden)"),
        ("export csv", "(im CSV-Export)"),
    ],
)
def test_the_audit_log_says_in_the_readers_language_where_codes_were_shown(where, shown):
    from django.utils import translation

    from campaigns.audit.sentences import audit_sentence

    with translation.override("de"):
        sentence = audit_sentence("voucher.code_shown", {"where": where, "vouchers": [7]})
    assert shown in sentence and where not in sentence


def test_a_customer_redeeming_in_the_portal_is_named_in_the_readers_language():
    from django.utils import translation

    from campaigns.audit.sentences import audit_actor_label

    with translation.override("fr"):
        assert audit_actor_label("customer:K19") == "client K19"
        assert audit_actor_label("finance") == "finance"
