"""Pure rules of a claim: attachments by content, local times, the claimed period."""

from zoneinfo import ZoneInfo

import pytest

from campaigns.claims.rules import ClaimInvalid, attachment_type, check_period, parse_local
from tests.claims_world import PDF, png_bytes
from tests.factories import utc

ZURICH = ZoneInfo("Europe/Zurich")


def jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, ("application/pdf", "pdf")),
        (b"%PDF-1.4\nno end marker", None),
        (b"not a pdf at all", None),
        (b"MZ\x90\x00 an executable renamed to .pdf", None),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, None),  # a PNG signature but no image
        (b"<html><script>alert(1)</script></html>", None),
        (b"", None),
    ],
)
def test_attachment_type_judges_by_content(data, expected):
    assert attachment_type(data) == expected


def test_real_images_are_recognised():
    assert attachment_type(png_bytes()) == ("image/png", "png")
    assert attachment_type(jpeg_bytes()) == ("image/jpeg", "jpg")
    assert attachment_type(jpeg_bytes()[:40]) is None  # truncated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2006-01-02T19:00", utc(2006, 1, 2, 18)),
        ("2006-01-02 19:00", utc(2006, 1, 2, 18)),
        ("02.01.2006 19:00", utc(2006, 1, 2, 18)),
        ("2006-07-02T19:00", utc(2006, 7, 2, 17)),
    ],
)
def test_parse_local_reads_wall_clock_time_in_the_zone(text, expected):
    assert parse_local(text, ZURICH, label="Start") == expected


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "2006-03-26T02:30", "2006-10-29T02:30", "31.02.2006 10:00"],
)
def test_parse_local_refuses_bad_missing_and_ambiguous_times(text):
    with pytest.raises(ClaimInvalid) as caught:
        parse_local(text, ZURICH, label="Start")
    assert caught.value.message.startswith("Start:")


SPAN = (utc(2005, 12, 31, 22, 30), utc(2006, 1, 2, 18))
NOW = utc(2006, 2, 1)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (utc(2006, 1, 2, 18), utc(2006, 1, 2, 17), "period_end"),  # ends before it starts
        (utc(2006, 1, 31), utc(2006, 2, 2), "period_end"),  # in the future
        (utc(2005, 12, 1), utc(2006, 1, 2), "period_end"),  # longer than a month
        (utc(2005, 11, 1), utc(2005, 11, 2), "period_start"),  # before the incident
        (utc(2006, 1, 20), utc(2006, 1, 21), "period_start"),  # well after it
    ],
)
def test_check_period_refuses(start, end, field):
    with pytest.raises(ClaimInvalid) as caught:
        check_period(start, end, incident_span=SPAN, now=NOW)
    assert caught.value.field == field


def test_check_period_accepts_a_longer_downtime_after_the_last_window():
    check_period(utc(2006, 1, 2, 18), utc(2006, 1, 4), incident_span=SPAN, now=NOW)
    check_period(utc(2006, 1, 8), utc(2006, 1, 9), incident_span=SPAN, now=NOW)  # within a week after
    check_period(utc(2006, 1, 2), utc(2006, 1, 2, 1), incident_span=None, now=NOW)
