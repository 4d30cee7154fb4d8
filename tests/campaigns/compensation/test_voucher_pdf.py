"""Voucher PDFs: text extracted with pypdf shows name, amount, code and expiry in each language."""

import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest

from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.compensation.tasks import render_voucher_pdfs
from campaigns.compensation.voucher_pdf import affected_windows, voucher_pdf_bytes, voucher_texts
from campaigns.incidents.exposure import exposure_recompute
from campaigns.models import Voucher
from tests.factories import OutageWindowFactory, PlacementFactory, utc


def text_of(data: bytes) -> str:
    """The PDF's text with runs of white space as one space (layout spacing is not content)."""
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture
def make_voucher(db, finance_user):
    def make(language, fee="1234.00", name="Anna Muster"):
        placement = PlacementFactory(
            account__monthly_fee=Decimal(fee), account__customer__language=language, account__customer__name=name
        )
        window = OutageWindowFactory(server=placement.server, start=utc(2005, 12, 31, 22, 30), end=utc(2006, 1, 2, 18))
        exposure_recompute(incident=window.incident)
        compensation_prepare(incident=window.incident)
        compensation_approve(incident=window.incident, by=finance_user)
        voucher = Voucher.objects.get(customer=placement.account.customer)
        Voucher.objects.filter(pk=voucher.pk).update(expires_on=dt.date(2026, 12, 31))
        voucher.refresh_from_db()
        return voucher

    return make


@pytest.mark.parametrize(
    ("language", "name", "amount", "label", "expiry_label"),
    [
        ("de", "Anna Müller", "CHF 617.00", "Gutscheincode", "Gültig bis 31.12.2026"),
        ("fr", "Aurélie Dubois", "617,00 CHF", "Code du bon", "Valable jusqu’au 31.12.2026"),
        ("it", "Lucía Rossi", "CHF 617.00", "Codice del buono", "Valido fino al 31.12.2026"),
        ("en", "Ann Miller", "CHF 617.00", "Voucher code", "Valid until 31.12.2026"),
    ],
)
def test_pdf_text_in_the_customers_language(make_voucher, language, name, amount, label, expiry_label):
    voucher = make_voucher(language, name=name)  # 43.5 h → 50 % of 1234.00

    text = text_of(voucher_pdf_bytes(voucher))

    assert name in text
    assert amount in text
    assert f"{label} {voucher.code[:4]}-{voucher.code[4:8]}-{voucher.code[8:12]}-{voucher.code[12:]}" in text
    assert expiry_label in text
    assert "Hostnotify Hosting AG" in text
    assert "31.12.2005 23:30 – 02.01.2006 19:00" in text  # the window in Europe/Zurich


def test_the_printed_redeem_address_is_a_link_to_it(make_voucher):
    import pikepdf

    from campaigns.compensation.voucher_pdf import redeem_url

    voucher = make_voucher("fr")
    pdf = pikepdf.open(io.BytesIO(voucher_pdf_bytes(voucher)))
    targets = [str(annotation.A.URI) for annotation in pdf.pages[0].get("/Annots", [])]
    assert targets == [redeem_url(voucher.code)]  # a click opens the page the text names
    assert redeem_url(voucher.code) in text_of(voucher_pdf_bytes(voucher))


def test_pdf_is_rendered_once_and_stored(make_voucher, monkeypatch):
    voucher = make_voucher("de")
    first = voucher_pdf_bytes(voucher)
    voucher.refresh_from_db()
    page = pypdf.PdfReader(io.BytesIO(first)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    assert voucher.pdf.name.startswith("vouchers/")
    assert voucher.code not in voucher.pdf.name

    monkeypatch.setattr(
        "campaigns.compensation.voucher_pdf.render_voucher_pdf", lambda *a, **k: pytest.fail("rendered twice")
    )
    assert voucher_pdf_bytes(voucher) == first


def test_task_renders_missing_pdfs_only(make_voucher):
    voucher = make_voucher("en")

    assert render_voucher_pdfs([voucher.pk]) == 1
    assert render_voucher_pdfs([voucher.pk]) == 0
    voucher.refresh_from_db()
    assert voucher.code[:4] in text_of(voucher.pdf.read())


def test_approval_queues_pdf_rendering_on_commit(db, finance_user, django_capture_on_commit_callbacks, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "VOUCHER_PDF_PRERENDER": True}
    placement = PlacementFactory(account__monthly_fee=Decimal("50.00"))
    window = OutageWindowFactory(server=placement.server, start=utc(2006, 1, 1), end=utc(2006, 1, 1, 10))
    exposure_recompute(incident=window.incident)
    compensation_prepare(incident=window.incident)

    with django_capture_on_commit_callbacks(execute=True):
        compensation_approve(incident=window.incident, by=finance_user)

    assert Voucher.objects.get().pdf.name.endswith(".pdf")


def test_without_a_worker_pdfs_wait_for_first_use(db, finance_user, django_capture_on_commit_callbacks, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "VOUCHER_PDF_PRERENDER": False}
    placement = PlacementFactory(account__monthly_fee=Decimal("50.00"))
    window = OutageWindowFactory(server=placement.server, start=utc(2006, 1, 1), end=utc(2006, 1, 1, 10))
    exposure_recompute(incident=window.incident)
    compensation_prepare(incident=window.incident)

    with django_capture_on_commit_callbacks(execute=True):
        compensation_approve(incident=window.incident, by=finance_user)

    assert Voucher.objects.get().pdf.name == ""


def test_affected_windows_are_local_and_merged_across_servers():
    rows = affected_windows(
        [
            ["2006-03-26T00:00:00+00:00", "2006-03-26T08:00:00+00:00", "server1"],
            ["2006-03-26T00:00:00+00:00", "2006-03-26T08:00:00+00:00", "server2"],
            ["2005-12-31T22:30:00+00:00", "2006-01-01T00:00:00+00:00", "server1"],
        ],
        "Europe/Zurich",
    )

    assert rows == [
        {"servers": "server1", "start": "31.12.2005 23:30", "end": "01.01.2006 01:00"},
        {"servers": "server1, server2", "start": "26.03.2006 01:00", "end": "26.03.2006 10:00"},
    ]


@pytest.mark.parametrize(
    ("language", "title", "expires", "downtime"),
    [
        ("de", "Gutschein", "Gültig bis", "Ausfallzeit Ihrer Dienste: 2 h"),
        ("fr", "Bon de crédit", "Valable jusqu’au", "Durée d’interruption de vos services : 2 h"),
        ("it", "Buono di credito", "Valido fino al", "Durata dell’interruzione dei Suoi servizi: 2 h"),
        ("en", "Credit voucher", "Valid until", "Downtime of your services: 2 h"),
    ],
)
def test_the_fixed_texts_come_from_the_catalogues(language, title, expires, downtime):
    texts = voucher_texts(language)
    assert (texts["title"], texts["expires_label"]) == (title, expires)
    assert texts["downtime"] % {"duration": "2 h"} == downtime
    assert set(texts) == set(voucher_texts("de"))  # every language has every text


def test_a_batch_reads_the_same_few_queries_for_one_voucher_or_many(make_voucher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.compensation.voucher_pdf import voucher_pdfs_render

    vouchers = [make_voucher(language) for language in ("de", "fr", "it", "en", "de", "fr")]
    Voucher.objects.update(pdf="")

    with CaptureQueriesContext(connection) as one:
        assert voucher_pdfs_render([vouchers[0].pk]) == 1
    with CaptureQueriesContext(connection) as many:
        assert voucher_pdfs_render([voucher.pk for voucher in vouchers[1:]]) == 5

    assert len(many.captured_queries) == len(one.captured_queries) <= 5
    for voucher in vouchers:
        voucher.refresh_from_db()
        assert voucher.pdf.name.startswith("vouchers/")
        assert text_of(voucher.pdf.read()).count(voucher.customer.number) == 1
