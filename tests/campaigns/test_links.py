"""Every link a customer receives works for them: the links in each mail's text and HTML part,
in the voucher PDF's text and QR code, and on every portal page they can reach. A link answers 200
for its customer, or redirects to sign-in and, once signed in, leads back to a 200."""

import io
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pypdf
import pytest
import zxingcpp
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.incidents.exposure import exposure_recompute
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

SITE = "https://hosting.example.ch"
URL = re.compile(r"https?://[^\s<>\"')]+")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href and not href.startswith(("mailto:", "#")):
                self.links.append(href)


def html_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def pdf_links(data: bytes, tmp_path) -> tuple[list[str], list[str]]:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    (tmp_path / "v.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", tmp_path / "v.pdf", tmp_path / "v"], check=True)
    qr = [code.text for code in zxingcpp.read_barcodes(Image.open(tmp_path / "v.png"))]
    return URL.findall(text), qr


@pytest.fixture
def sent(transactional_db, settings, finance_user):
    """Customers in the four languages, compensated, their apology sent with the voucher PDF."""
    private_cache(settings)
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["hosting.example.ch", "testserver"]
    incident = IncidentFactory(slug="xmas", title_de="Speicherausfall", title_fr="Panne", title_en="Outage")
    server = ServerFactory(name="server19")
    OutageWindowFactory(incident=incident, server=server, start=utc(2005, 12, 31, 22, 30), end=utc(2006, 1, 2, 18))
    for number, language in (("K1", "de"), ("K2", "fr"), ("K3", "it"), ("K4", "en")):
        customer = CustomerFactory(number=number, language=language, email=f"{number.lower()}@kunde.example.ch")
        PlacementFactory(account=HostingAccountFactory(customer=customer), server=server)
    exposure_recompute(incident=incident)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    call_command("send_mailing", "xmas", "--wait", "--timeout", "60")
    return incident


def follow(client: Client, url: str) -> int:
    """The final status of a GET on one of our URLs, following redirects within the site."""
    response = client.get(path_of(url), HTTP_HOST="hosting.example.ch", secure=url.startswith("https"))
    hops = 0
    while response.status_code in (301, 302) and hops < 5:
        response = client.get(response["Location"], HTTP_HOST="hosting.example.ch", secure=True)
        hops += 1
    return response.status_code


def sign_in_with_the_letter(message) -> Client:
    """Sign in as the recipient does: open the letter's link, confirm."""
    link = next(url for url in URL.findall(message.body) if "/portal/login/" in url)
    client = Client()
    confirm = client.get(path_of(link), HTTP_HOST="hosting.example.ch", secure=True)
    assert confirm.status_code == 200
    signed = client.post(path_of(link), HTTP_HOST="hosting.example.ch", secure=True)
    assert signed.status_code == 302
    return client


def test_every_link_in_every_letter_and_voucher_pdf_works_for_its_customer(sent, tmp_path):
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        html = message.alternatives[0][0]
        letter_links = URL.findall(message.body) + html_links(html)
        assert letter_links and all(link.startswith(SITE) for link in letter_links), letter_links
        (attachment,) = message.attachments
        printed, scanned = pdf_links(attachment[1], tmp_path)
        assert printed == scanned and len(scanned) == 1
        assert path_of(scanned[0]).startswith(reverse("portal:redeem_code") + "?code=")

        # signed out, every link other than the sign-in link leads to sign-in (200), never to an error
        for link in letter_links + printed:
            if "/portal/login/" not in link:
                assert follow(Client(), link) == 200, link

        # signed in with the letter's own link, every one answers 200 for this customer
        client = sign_in_with_the_letter(message)
        for link in [link for link in letter_links if "/portal/login/" not in link] + printed:
            response = client.get(path_of(link), HTTP_HOST="hosting.example.ch", secure=True)
            assert response.status_code == 200, link
        code_page = client.get(path_of(scanned[0]), HTTP_HOST="hosting.example.ch", secure=True).content.decode()
        assert re.search(r'name="code" value="[A-Z0-9]{4}-', code_page)


def test_every_link_on_every_portal_page_answers_for_the_signed_in_customer(sent):
    message = next(m for m in mail.outbox if m.to == ["k1@kunde.example.ch"])
    client = sign_in_with_the_letter(message)
    seen: set[str] = set()
    queue = [reverse("portal:home")]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, HTTP_HOST="hosting.example.ch", secure=True)
        assert response.status_code == 200, path
        if response["Content-Type"].startswith("text/html"):
            for href in html_links(response.content.decode()):
                target = urlsplit(urljoin(path, href))
                if target.netloc in ("", "hosting.example.ch") and target.path.startswith(("/portal/", "/status/")):
                    queue.append(f"{target.path}?{target.query}" if target.query else target.path)
    assert reverse("portal:credit") in seen and reverse("portal:incident", args=["xmas"]) in seen
    assert any(path.endswith("/pdf/") for path in seen)
