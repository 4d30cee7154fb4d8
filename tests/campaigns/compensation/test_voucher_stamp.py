"""Stamped voucher PDFs are the reference WeasyPrint rendering: same pixels, text and QR code."""

import datetime as dt
import io
import subprocess
from decimal import Decimal

import pikepdf
import pypdf
import pytest
import zxingcpp
from PIL import Image, ImageChops

from campaigns.compensation.voucher_pdf import redeem_url, render_voucher_pdf, render_voucher_pdf_reference
from tests.factories import CompensationFactory, CustomerFactory, ExposureFactory, VoucherFactory

WINDOWS = [
    ["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server19"],
    ["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server7"],
    ["2006-01-03T06:15:00+00:00", "2006-01-03T09:45:00+00:00", "server19"],
    ["2006-03-26T00:30:00+00:00", "2006-03-26T07:00:00+00:00", "storage-sc01-node4"],
]
CASES = [
    ("de", "Łódź Dvořák", "12345.60", "CHF"),
    ("fr", "Aurélie-Françoise de Montmorency-Laval Œuvre", "9876543.25", "EUR"),
    ("it", "Niccolò Ærøskøbing D’Alessandro-Şahin", "1000.00", "CHF"),
    ("en", "Bartholomew Featherstonehaugh-Cholmondeley Jr.", "2500.05", "GBP"),
]
DPI = 100


def voucher_of(language, name, amount, currency, windows=WINDOWS):
    customer = CustomerFactory(language=language, name=name, currency=currency)
    compensation = CompensationFactory(customer=customer, amount=Decimal(amount), currency=currency)
    ExposureFactory(incident=compensation.incident, customer=customer, account__customer=customer, intervals=windows)
    voucher = VoucherFactory(compensation=compensation, expires_on=dt.date(2026, 12, 31))
    return voucher


def pixels(data: bytes, tmp_path, name: str) -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", path, tmp_path / name], check=True)
    return Image.open(tmp_path / f"{name}.png").convert("L")


def text_of(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def producer(data: bytes) -> str:
    return str(pypdf.PdfReader(io.BytesIO(data)).metadata["/Producer"])


@pytest.mark.parametrize(("language", "name", "amount", "currency"), CASES)
def test_stamped_voucher_is_the_reference_rendering(db, tmp_path, language, name, amount, currency):
    voucher = voucher_of(language, name, amount, currency)

    reference = render_voucher_pdf_reference(voucher, intervals=WINDOWS)
    stamped = render_voucher_pdf(voucher, intervals=WINDOWS)

    assert producer(reference).startswith("WeasyPrint")
    assert producer(stamped) == "hostnotify"  # the stamping way, not the fallback
    before, after = pixels(reference, tmp_path, "reference"), pixels(stamped, tmp_path, "stamped")
    assert before.size == after.size == (827, 1170)  # A4 at 100 dpi
    differing = sum(ImageChops.difference(before, after).histogram()[1:])
    assert differing <= 20
    assert text_of(stamped) == text_of(reference)
    assert name in text_of(stamped)
    assert "server19, server7: " in text_of(stamped)  # several windows, several servers
    decoded = [result.text for result in zxingcpp.read_barcodes(after)]
    assert decoded == [result.text for result in zxingcpp.read_barcodes(before)] == [redeem_url(voucher.code)]


def test_stamped_voucher_is_a_valid_self_contained_pdf(db):
    voucher = voucher_of("de", "Łódź Dvořák", "1234.50", "CHF")

    stamped = render_voucher_pdf(voucher, intervals=WINDOWS)

    pdf = pikepdf.open(io.BytesIO(stamped))
    assert pdf.check_pdf_syntax() == []
    fonts = pdf.pages[0].Resources.Font
    assert len(fonts) == 2
    for font in fonts.values():
        descriptor = font.DescendantFonts[0].FontDescriptor
        subset = bytes(descriptor.FontFile2.read_bytes())
        assert subset[:4] == b"\x00\x01\x00\x00"  # a TrueType file embedded in the document
        assert "/ToUnicode" in font
    assert (
        str(pdf.docinfo.Title)
        == f"Gutschein {voucher.code[:4]}-{voucher.code[4:8]}-{voucher.code[8:12]}-{voucher.code[12:]}"
    )


def test_what_stamping_cannot_vouch_for_goes_the_reference_way(db, tmp_path):
    # A name too long for its line wraps: WeasyPrint lays that voucher out itself.
    name = "Maximiliane Konstanze Aurelia Freifrau von und zu Hohenberg-Wittelsbach-Sigmaringen GmbH & Co. KG"
    voucher = voucher_of("de", name, "50.00", "CHF")

    stamped = render_voucher_pdf(voucher, intervals=WINDOWS)

    assert producer(stamped).startswith("WeasyPrint")
    assert text_of(stamped) == text_of(render_voucher_pdf_reference(voucher, intervals=WINDOWS))
    # and so does a name in a script the stamping fonts do not cover the way Pango would
    arabic = voucher_of("en", "\u0645\u062d\u0645\u062f \u0639\u0644\u064a", "50.00", "CHF")
    assert producer(render_voucher_pdf(arabic, intervals=WINDOWS)).startswith("WeasyPrint")


def test_vouchers_without_windows_and_topups_stamp_too(db, tmp_path):
    plain = voucher_of("it", "Anna Rossi", "5.00", "CHF", windows=[])
    topup = voucher_of("fr", "Jean Dupont", "15.00", "CHF")
    type(topup).objects.filter(pk=topup.pk).update(is_topup=True)
    topup.refresh_from_db()

    for voucher, windows in ((plain, []), (topup, WINDOWS)):
        reference = render_voucher_pdf_reference(voucher, intervals=windows)
        stamped = render_voucher_pdf(voucher, intervals=windows)
        assert producer(stamped) == "hostnotify"
        assert text_of(stamped) == text_of(reference)
        name = f"v{voucher.pk}"
        difference = ImageChops.difference(pixels(reference, tmp_path, name), pixels(stamped, tmp_path, name + "s"))
        assert sum(difference.histogram()[1:]) <= 20


LINKED = """<html><body style="font-family: 'DejaVu Sans'; font-size: 12px">
<p>Einlösen: <a href="{0}" style="text-decoration: none">{0}</a></p><p><a href="https://example.ch/help">Hilfe</a></p>
</body></html>"""


def test_links_keep_their_target_and_follow_their_text(tmp_path):
    from weasyprint import HTML

    from campaigns.compensation.voucher_stamp import SENTINEL, Design

    document = HTML(string=LINKED.format(SENTINEL.format(0))).render()
    design = Design(pdf=document.write_pdf(), document=document, title="")
    url = "https://portal.example.ch/portal/credit/code/?code=ABCD-EFGH-JKMN-PQRS"

    stamped = design.stamp([url], "", now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    reference = HTML(string=LINKED.format(url)).write_pdf()

    def links(data):
        pdf = pikepdf.open(io.BytesIO(data))
        return [(str(a.A.URI), [round(float(v), 1) for v in a.Rect]) for a in pdf.pages[0].Annots]

    assert links(stamped) == links(reference)
    assert links(stamped)[0][0] == url
    difference = ImageChops.difference(pixels(reference, tmp_path, "r"), pixels(stamped, tmp_path, "s"))
    assert sum(difference.histogram()[1:]) <= 20


def test_vouchers_of_one_design_share_one_probe(db):
    from campaigns.compensation import voucher_pdf

    # Given two vouchers alike in language, kind, incident, time zone and number of windows,
    # different in every per-voucher string (name, number, amount, code, expiry, window times)
    first = voucher_of("de", "Anna Muster", "12.00", "CHF")
    second = voucher_of("de", "Łódź Dvořák", "98765.40", "CHF")
    second.compensation.incident = first.compensation.incident
    type(second).objects.filter(pk=second.pk).update(expires_on=dt.date(2027, 3, 1))
    second.refresh_from_db()
    second.compensation.incident = first.compensation.incident
    later = [[start.replace("2005-12-31", "2006-01-05"), end, server] for start, end, server in WINDOWS]
    voucher_pdf._designs.clear()
    voucher_pdf._designs_by_key.clear()

    # When both are rendered
    render_voucher_pdf(first, intervals=WINDOWS)
    render_voucher_pdf(second, intervals=later)

    # Then WeasyPrint laid out one probe for both
    assert len(voucher_pdf._designs) == 1
