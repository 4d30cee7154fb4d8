"""render_vouchers INCIDENT: renders what is missing (or all with --force), reports the rate."""

import io
import os

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from campaigns.compensation.voucher_pdf import voucher_pdfs_render
from campaigns.models import Voucher
from tests.factories import CompensationFactory, ExposureFactory, IncidentFactory, VoucherFactory


@pytest.fixture
def incident(db):
    incident = IncidentFactory(slug="xmas-2005")
    for number in range(5):
        compensation = CompensationFactory(incident=incident, customer__name=f"Kunde {number}")
        ExposureFactory(incident=incident, customer=compensation.customer, account__customer=compensation.customer)
        VoucherFactory(compensation=compensation)
    return incident


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("render_vouchers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_renders_every_missing_pdf_and_prints_the_rate(incident):
    first = Voucher.objects.order_by("id").first()
    voucher_pdfs_render([first.pk])
    first.refresh_from_db()

    out, err = run("xmas-2005")

    assert "xmas-2005: 4 voucher PDFs to render in this process" in out
    assert "4 voucher PDFs in " in out and " /s)" in out
    assert "voucher PDFs: 100%" in err  # the progress bar
    for voucher in Voucher.objects.select_related("customer"):
        assert voucher.pdf.name.endswith(".pdf")
        text = pypdf.PdfReader(voucher.pdf.open("rb")).pages[0].extract_text()
        assert voucher.customer.name in text
    assert Voucher.objects.get(pk=first.pk).pdf.name == first.pdf.name  # not rendered twice


def test_nothing_left_to_render(incident):
    run("xmas-2005")

    out, _ = run("xmas-2005")

    assert out == "xmas-2005: every voucher PDF is rendered already (--force renders them again)\n"


def test_force_renders_all_again_and_removes_the_old_files(incident):
    run("xmas-2005")
    old = list(Voucher.objects.order_by("id").values_list("pdf", flat=True))

    out, _ = run("xmas-2005", "--force")

    assert "5 voucher PDFs to render" in out
    new = list(Voucher.objects.order_by("id").values_list("pdf", flat=True))
    assert all(new) and not set(old) & set(new)
    assert not any(default_storage.exists(name) for name in old)
    assert all(default_storage.exists(name) for name in new)


def test_unknown_incident_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no incident with slug 'nope'"):
        run("nope")


FIRST = ["Anna", "Jürg", "Łucja", "Amélie", "Niccolò", "Søren", "Zoë", "Şule", "Ngô", "Bartholomew"]
LAST = ["Müller", "Dvořák", "Ærøskøbing", "D’Alessandro", "Featherstonehaugh-Cholmondeley", "Bảo Châu", "Œuvre"]


def test_memory_stays_flat_from_1000_to_10000_distinct_vouchers(incident):
    # Given a voucher as a batch reads it, and 10,000 others unlike it in every per-voucher
    # string (name in several Latin scripts, number, code, amount, expiry, windows)
    import copy
    import datetime as dt
    import random
    from decimal import Decimal

    from campaigns.compensation.codes import generate_code
    from campaigns.compensation.voucher_pdf import render_voucher_pdf

    template = Voucher.objects.select_related("customer", "compensation__incident").first()
    rng = random.Random(10_000)

    def distinct(number: int):
        voucher = copy.copy(template)
        voucher.customer = copy.copy(template.customer)
        voucher.customer.name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        voucher.customer.number = f"K{number:07d}"
        voucher.code = generate_code()
        voucher.amount = Decimal(rng.randrange(500, 10_000_000)) / 100
        voucher.expires_on = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(730))
        start = dt.datetime(2005, 12, 24, tzinfo=dt.UTC) + dt.timedelta(minutes=15 * rng.randrange(800))
        intervals = [[start.isoformat(), (start + dt.timedelta(hours=rng.randrange(1, 90))).isoformat(), "server19"]]
        return voucher, intervals

    # When one process stamps them
    rss = {}
    for number in range(1, 10_001):
        voucher, intervals = distinct(number)
        assert b"/Producer (hostnotify)" in render_voucher_pdf(voucher, intervals=intervals)  # stamped
        if number in (1_000, 10_000):
            rss[number] = rss_bytes()

    # Then its resident memory after 10,000 is within 10 % of that after 1,000
    assert rss[10_000] <= rss[1_000] * 1.10


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_waiting_for_the_workers_checks_the_front_of_the_queue_only(incident, monkeypatch):
    # Given five vouchers queued as batches of two, the first batch and the last one rendered
    from campaigns.compensation import voucher_render

    monkeypatch.setattr(voucher_render, "PROGRESS_BATCHES", 2)
    ids = list(Voucher.objects.order_by("id").values_list("id", flat=True))
    chunks = voucher_render.batches(ids, size=2)
    voucher_pdfs_render(chunks[0] + chunks[2])
    asked, seen = [], []
    pending = voucher_render.voucher_pdf_pending
    monkeypatch.setattr(voucher_render, "voucher_pdf_pending", lambda *, ids: asked.append(ids) or pending(ids=ids))

    # When the command waits for them with its deadline passed
    left = voucher_render.voucher_pdfs_wait(chunks, deadline=0, progress=seen.append)

    # Then one check asked about the first two batches only; the rendered one counts as done,
    # the last one (behind the front) not yet, and three are still pending
    assert asked == [chunks[0] + chunks[1]]
    assert seen == [2] and left == 3


def test_waiting_ends_when_every_batch_is_rendered(incident):
    from campaigns.compensation import voucher_render

    ids = list(Voucher.objects.order_by("id").values_list("id", flat=True))
    voucher_pdfs_render(ids)
    seen = []

    left = voucher_render.voucher_pdfs_wait(
        voucher_render.batches(ids, size=2), deadline=float("inf"), progress=seen.append
    )

    assert left == 0 and seen == [5]
    assert voucher_render.voucher_pdf_pending(ids=ids) == []


def test_stored_pdfs_get_the_storage_file_permissions_whatever_the_umask(incident, settings):
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    ids = list(Voucher.objects.values_list("id", flat=True))
    old_umask = os.umask(0o077)
    try:
        voucher_pdfs_render(ids)
    finally:
        os.umask(old_umask)

    modes = {
        os.stat(default_storage.path(name)).st_mode & 0o777 for name in Voucher.objects.values_list("pdf", flat=True)
    }
    assert modes == {0o640}
