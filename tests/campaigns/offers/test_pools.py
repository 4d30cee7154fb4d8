"""Partner code uploads are checked whole like every import: every bad row reported with its
line, nothing added if one is bad, the same file twice changes nothing."""

import io
from decimal import Decimal

import pytest

from accounts.csv_rows import ImportRejected
from campaigns.models import AuditEntry, PartnerCode, PartnerPool
from campaigns.offers.pools import pool_states, pool_upload
from tests.campaigns.offers.world import codes_csv, upload

pytestmark = pytest.mark.django_db


def test_upload_creates_one_pool_per_value_and_currency(finance_user):
    rows = [("DG50-0001", "50.00", "CHF"), ("DG50-0002", "50", "CHF"), ("DG20-0001", "20.00", "CHF"),
            ("DGEU-0001", "20.00", "EUR")]  # fmt: skip
    result = pool_upload(partner="Digitec", source=codes_csv(rows), by=finance_user, low_threshold=5)

    assert result.total_added == 4 and result.unchanged == 0
    assert [
        (s.pool.currency, s.pool.face_value, s.unused, s.handed_out, s.pool.low_threshold) for s in pool_states()
    ] == [
        ("CHF", Decimal("50.00"), 2, 0, 5),
        ("CHF", Decimal("20.00"), 1, 0, 5),
        ("EUR", Decimal("20.00"), 1, 0, 5),
    ]
    assert AuditEntry.objects.get(action="partners.upload").actor == finance_user


def test_the_same_file_twice_changes_nothing():
    upload(count=3)
    again = upload(count=3)
    assert (again.total_added, again.unchanged) == (0, 3)
    assert PartnerCode.objects.count() == 3


def test_every_bad_row_is_reported_and_nothing_is_added():
    upload(value="20.00", count=1, prefix="DG20")  # DG20-0000 exists at 20.00
    text = (
        "code,face_value,currency\n"
        "DG50-0001,50.00,CHF\n"
        "DG50-0001,50.00,CHF\n"  # twice in the file
        "x!,50.00,CHF\n"  # format
        "DG50-0003,fifty,CHF\n"  # value
        "DG50-0004,-5,CHF\n"  # negative
        "DG50-0005,50.00,XYZ\n"  # currency
        "DG20-0000,50.00,CHF\n"  # in another pool of the partner
        "DG50-0006,0,CHF\n"  # zero
    )
    with pytest.raises(ImportRejected) as rejected:
        pool_upload(partner="Digitec", source=io.BytesIO(text.encode()), by=None)

    assert [(e.line, e.reason.split(":")[0]) for e in rejected.value.errors] == [
        (3, "code DG50-0001 is also on line 2"),
        (4, "code 'x!'"),
        (5, "face_value"),
        (6, "face_value"),
        (7, "currency"),
        (8, "code DG20-0000 is in another pool of Digitec already"),
        (9, "face_value"),
    ]
    assert PartnerCode.objects.count() == 1 and PartnerPool.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"code,value\nA-1234,5\n", "wrong header"),
        (b"code,face_value,currency\nAB\x00CD,5,CHF\n", "NUL byte"),
        ("code,face_value,currency\nÄBCD-1,5,CHF\n".encode("latin-1"), "is not UTF-8"),
        (b"", "empty file"),
    ],
)
def test_broken_files_get_a_clear_error(content, reason):
    with pytest.raises(ImportRejected) as rejected:
        pool_upload(partner="Digitec", source=io.BytesIO(content), by=None)
    assert reason in str(rejected.value.errors[0])
    assert not PartnerCode.objects.exists()


def test_a_partner_name_is_required():
    with pytest.raises(ImportRejected) as rejected:
        pool_upload(partner=" ", source=codes_csv([("DG-0001", "5", "CHF")]), by=None)
    assert "partner name" in str(rejected.value.errors[0])
