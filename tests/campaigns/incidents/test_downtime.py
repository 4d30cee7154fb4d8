"""One downtime: a customer's downtime is the union of all their accounts' intervals, and the
letter, both portal pages, the voucher PDF, the console and the export show that same figure, each
account's own duration beside it. The incident's title reaches each reader in their language."""

import csv
import io
import re

import pypdf
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.formatting import format_duration
from accounts.portal_session import SESSION_CONTACT, SESSION_HASH, _password_digest
from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.compensation.voucher_pdf import voucher_pdf_bytes
from campaigns.incidents.exposure import exposure_recompute
from campaigns.incidents.selectors import customer_downtimes
from campaigns.mailings.letters import render_preview
from campaigns.models import Voucher
from campaigns.templatetags.portal import portal_duration
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

pytestmark = pytest.mark.django_db

TITLES = {
    "de": "Speicherausfall Weihnachten 2005",
    "fr": "Panne de stockage Noël 2005",
    "it": "Guasto di storage Natale 2005",
    "en": "Storage outage Christmas 2005",
}
H = 3600


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def signed_in(contact) -> Client:
    """A portal session as signing in leaves it: the contact's id and the language cookie."""
    client = Client()
    session = client.session
    session[SESSION_CONTACT] = contact.pk
    session[SESSION_HASH] = _password_digest(contact)
    session.save()
    client.cookies["django_language"] = contact.effective_language
    return client


@pytest.fixture
def world(finance_user):
    """Three servers down at different times; customers with one account, two overlapping, two disjoint."""
    incident = IncidentFactory(slug="xmas", **{f"title_{code}": title for code, title in TITLES.items()})
    s1, s2, s3 = ServerFactory(name="server01"), ServerFactory(name="server02"), ServerFactory(name="server03")
    start = utc(2005, 12, 31, 0, 0)
    OutageWindowFactory(incident=incident, server=s1, start=start, end=start.replace(hour=10))  # 0–10 h
    OutageWindowFactory(incident=incident, server=s2, start=start.replace(hour=5), end=start.replace(hour=15))  # 5–15
    OutageWindowFactory(incident=incident, server=s3, start=start.replace(hour=20), end=start.replace(hour=23))  # 20–23
    customers = {}
    for number, language, servers in (
        ("C1", "de", [s1]),  # one account: 10 h
        ("C2", "fr", [s1, s2]),  # overlapping: 0–15 h = 15 h (sum 20 h, longest 10 h)
        ("C3", "it", [s1, s3]),  # disjoint: 10 h + 3 h = 13 h (longest 10 h)
        ("C4", "en", [s2, s3]),  # disjoint: 10 h + 3 h = 13 h
    ):
        customer = CustomerFactory(number=number, name=f"Kunde {number}", language=language)
        for index, server in enumerate(servers):
            account = HostingAccountFactory(name=f"{number.lower()}-web{index}", customer=customer)
            PlacementFactory(account=account, server=server)
        customers[number] = customer
    exposure_recompute(incident=incident)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    return incident, customers


EXPECTED = {"C1": 10 * H, "C2": 15 * H, "C3": 13 * H, "C4": 13 * H}
ACCOUNTS = {"C1": [10 * H], "C2": [10 * H, 10 * H], "C3": [10 * H, 3 * H], "C4": [10 * H, 3 * H]}


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_the_portal_writes_a_downtime_over_days_as_the_letter_does(language):
    # given: 3 days 10 hours of downtime
    seconds = 82 * H

    # when
    with translation.override(language):
        figure = portal_duration(seconds)

    # then: 82 h 00 min as in the letter and the voucher PDF, not "3 Tage 10 Stunden"
    assert figure == format_duration(seconds) == "82 h 00 min"


def test_the_selector_takes_the_union_of_the_accounts_intervals(world):
    incident, customers = world
    downtimes = customer_downtimes(incident_ids=[incident.pk])
    assert {number: downtimes[(incident.pk, c.pk)] for number, c in customers.items()} == EXPECTED


@pytest.mark.parametrize("number", ["C1", "C2", "C3", "C4"])
def test_every_place_shows_the_same_downtime_and_the_title_in_the_readers_language(world, number, capsys):
    incident, customers = world
    customer = customers[number]
    contact = customer.contacts.get()
    language = customer.language
    seconds = EXPECTED[number]

    # the letter, text and HTML parts
    letter = render_preview(None, customer, incident=incident)
    assert format_duration(seconds) in letter.text and format_duration(seconds) in letter.html
    assert letter.subject.startswith(TITLES[language])
    assert TITLES[language] in letter.text and TITLES[language] in letter.html
    for other in set(TITLES) - {language}:
        assert TITLES[other] not in letter.text + letter.subject

    # the voucher PDF
    voucher = Voucher.objects.get(customer=customer)
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(voucher_pdf_bytes(voucher))).pages)
    pdf = " ".join(pdf.split())
    assert format_duration(seconds) in pdf
    assert TITLES[language] in pdf

    # the portal: home and the incident page, each account's own duration beside the customer's
    client = signed_in(contact)
    home = text(client.get(reverse("portal:home")))
    page = text(client.get(reverse("portal:incident", args=[incident.slug])))
    # … written as the letter and the PDF write it (10 h 00 min), not in other words (10 Stunden)
    figure = format_duration(seconds)
    own = [format_duration(s) for s in ACCOUNTS[number]]
    assert figure in home and TITLES[language] in home
    assert figure in page and TITLES[language] in page
    for duration in own:
        assert duration in page

    # the export
    call_command("export_compensation", incident.slug, "--format", "csv")
    rows = {row["customer_number"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert int(rows[number]["affected_seconds"]) == seconds


def test_the_console_shows_the_customers_downtime_beside_each_account(world, client, support_user):
    incident, customers = world
    client.force_login(support_user)
    page = client.get(reverse("console:incident", args=[incident.slug]), {"q": "C3"}).content.decode()
    figures = re.findall(r'data-test="customer-downtime">[^<]*?([\d.’]+)', page)
    assert figures == ["13.0", "13.0"]  # both of C3's accounts: 10.0 h and 3.0 h on their own
    assert re.findall(r'<td class="num">([\d.’]+)<br>', page) == ["10.0", "3.0"]
