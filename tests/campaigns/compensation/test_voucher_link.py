"""The voucher's printed link and QR code open the page where its code is redeemed, code filled in,
for its customer: after sign-in when needed, then back to the same page."""

import io
import subprocess
from urllib.parse import urlencode, urlsplit

import pypdf
import pytest
import zxingcpp
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.urls import reverse
from PIL import Image

from campaigns.compensation.codes import format_code
from campaigns.compensation.voucher_pdf import redeem_url, render_voucher_pdf
from tests.factories import ContactFactory, VoucherFactory
from tests.signin import private_cache


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def pdf_qr_codes(data: bytes, tmp_path) -> list[str]:
    """Every QR code on the first page, as a phone would read it from the printed page."""
    (tmp_path / "voucher.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", tmp_path / "voucher.pdf", tmp_path / "page"], check=True
    )
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.django_db
def test_printed_link_and_qr_code_open_the_filled_in_redeem_page_after_sign_in(client, settings, tmp_path):
    # given a voucher PDF of a customer whose contact signs in with a password
    settings.SITE_URL = "https://hosting.example.ch"
    voucher = VoucherFactory()
    ContactFactory(customer=voucher.customer, email="lea@kunde.example.ch", password=make_password("Winter-2005-x"))
    data = render_voucher_pdf(voucher, intervals=[])
    code = format_code(voucher.code)
    expected = f"https://hosting.example.ch/portal/credit/code/?code={code}"

    # when the customer reads the printed link and scans the QR code
    text, qr_codes = pdf_text(data), pdf_qr_codes(data, tmp_path)

    # then both are the redeem page with this code
    assert expected in text
    assert qr_codes == [expected]
    # and opening it signed out leads to the sign-in page, which leads back to it
    response = client.get(local(expected))
    assert response.status_code == 302
    login = response["Location"]
    assert login == f"{reverse('portal:login')}?next=%2Fportal%2Fcredit%2Fcode%2F%3Fcode%3D{code}"
    assert client.get(login).status_code == 200
    response = client.post(
        login,
        {
            "action": "password",
            "pw-email": "lea@kunde.example.ch",
            "pw-password": "Winter-2005-x",
            "next": local(expected),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == local(expected)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f'name="code" value="{code}"' in page.content.decode()


@pytest.mark.django_db
def test_signed_out_the_sign_in_link_by_mail_leads_back_to_the_filled_in_redeem_page(client, settings):
    # given a customer without a password who scans the voucher's QR code, signed out
    private_cache(settings)
    settings.SITE_URL = "https://hosting.example.ch"
    voucher = VoucherFactory()
    contact = voucher.customer.contacts.get()
    target = local(redeem_url(voucher.code))
    login = client.get(target)["Location"]

    # when they ask for a sign-in link from the sign-in page they were sent to
    client.post(login, {"action": "link", "link-email": contact.email, "next": target})

    # then the mailed link confirms, signs in and leads back to the redeem page with the code
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/portal/login/" in word).strip("<>")
    assert link.endswith(f"?{urlencode({'next': target})}")
    assert client.get(local(link)).status_code == 200
    response = client.post(local(link), {"next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert f'name="code" value="{format_code(voucher.code)}"' in client.get(target).content.decode()


@pytest.mark.django_db
def test_a_next_elsewhere_never_reaches_the_mailed_link(client, settings):
    private_cache(settings)
    voucher = VoucherFactory()
    contact = voucher.customer.contacts.get()
    client.post(reverse("portal:login"), {"action": "link", "link-email": contact.email, "next": "//evil.example/x"})
    (message,) = mail.outbox
    assert "evil" not in message.body and "next=" not in message.body
