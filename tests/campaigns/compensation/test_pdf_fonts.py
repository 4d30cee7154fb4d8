"""Stamping's shaping and font subsets: runs put together from shaped pairs are HarfBuzz's own
runs, and a voucher embeds the smallest of its design's prepared subsets that holds its text."""

import io
import random
from pathlib import Path

import pikepdf
import pytest

from campaigns.compensation.pdf_fonts import FontFace

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
NAMES = [
    "Łódź Dvořák",
    "Aurélie-Françoise de Montmorency-Laval Œuvre",
    "Niccolò Ærøskøbing D’Alessandro-Şahin",
    "AVATAR Tower WAVE Te Yo LT",
    "Ngô Bảo Châu",
    "ʻIolani Kealoha",
    "K100000",
    "CHF 12’345.60",
    "07.12.2027",
    "https://portal.example.ch/portal/credit/code/?code=TK9R-23CB-KP5X-9FQT",
    "Durée d’interruption de vos services : 95 h 25 min",
    "Σωκράτης Παπαδόπουλος",
    "Пётр Ильич Чайковский",
    "Zoë\u00adSoft",  # a soft hyphen: shaped as nothing, kerning reaches across it
    "Zoe\u0308 Lindqvist",  # a combining mark
]
# Random strings of Latin, Greek, Cyrillic, punctuation and currency signs (a mix of scripts too)
ALPHABET = "".join(
    chr(code)
    for first, last in ((0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF), (0x2000, 0x206F))
    for code in range(first, last + 1)
)
SIZES = [(14.0, 0.0), (20.0, 1.3333333), (12.0, 0.0), (37.333, 0.0)]


@pytest.mark.parametrize("font", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_runs_from_shaped_pairs_are_harfbuzz_runs(font):
    face = FontFace((DEJAVU / font).read_bytes())
    rng = random.Random(17)
    texts = NAMES + ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40))) for _ in range(1500)]
    paired = 0
    for size, spacing in SIZES:
        for text in texts:
            run = face._pairwise(text, size, spacing)
            if run is None:
                continue
            paired += 1
            assert run == face._shape(text, size, spacing), (text, size, spacing)
    assert paired > len(texts) * len(SIZES) // 2  # most runs take the fast way
    # ASCII and Latin names do, the soft hyphen and the combining mark go to HarfBuzz whole
    assert face._pairwise("Łódź Dvořák", 14.0, 0.0) is not None
    assert face._pairwise("Zoë\u00adSoft", 14.0, 0.0) is None
    assert face._pairwise("Zoe\u0308 Lindqvist", 14.0, 0.0) is None


def _embedded_fonts(data: bytes) -> dict[str, int]:
    """BaseFont -> glyphs in its /W array, per font of the page."""
    pdf = pikepdf.open(io.BytesIO(data))
    out = {}
    for font in pdf.pages[0].Resources.Font.values():
        widths = font.DescendantFonts[0].W
        out[str(font.BaseFont)] = len(widths) // 2
    return out


def test_vouchers_share_their_design_subsets_and_others_get_their_own(db):
    from campaigns.compensation.voucher_pdf import render_voucher_pdf
    from tests.campaigns.compensation.test_voucher_stamp import WINDOWS, producer, text_of, voucher_of

    plain = render_voucher_pdf(voucher_of("de", "Anna Muster", "50.00", "CHF"), intervals=WINDOWS)
    european = render_voucher_pdf(voucher_of("de", "Łódź Dvořák", "50.00", "CHF"), intervals=WINDOWS)
    latin = render_voucher_pdf(voucher_of("de", "Ngô Bảo Châu", "50.00", "CHF"), intervals=WINDOWS)
    greek = render_voucher_pdf(voucher_of("de", "Σωκράτης Παπαδόπουλος", "50.00", "CHF"), intervals=WINDOWS)
    another_plain = render_voucher_pdf(voucher_of("de", "Beat Huber", "70.00", "CHF"), intervals=WINDOWS)

    assert {producer(pdf) for pdf in (plain, european, latin, greek)} == {"hostnotify"}
    regular = [
        next(size for name, size in _embedded_fonts(pdf).items() if name.endswith("+DejaVu-Sans"))
        for pdf in (plain, european, latin, greek)
    ]
    # ASCII names: the design's glyphs and ASCII; European names: the Latin Extended-A tier;
    # Vietnamese: every Latin letter; Greek: a subset of its own (the ASCII one plus its letters)
    assert regular[0] < regular[3] < regular[1] < regular[2]
    assert _embedded_fonts(plain) == _embedded_fonts(another_plain)  # the very same subset
    for pdf, name in ((european, "Łódź Dvořák"), (latin, "Ngô Bảo Châu"), (greek, "Σωκράτης Παπαδόπουλος")):
        assert name in text_of(pdf)
        assert pikepdf.open(io.BytesIO(pdf)).check_pdf_syntax() == []


def test_the_content_stream_is_one_valid_zlib_stream(db):
    import zlib

    from campaigns.compensation.voucher_pdf import render_voucher_pdf
    from tests.campaigns.compensation.test_voucher_stamp import WINDOWS, voucher_of

    data = render_voucher_pdf(voucher_of("fr", "Jean Dupont", "1234.50", "EUR"), intervals=WINDOWS)

    pdf = pikepdf.open(io.BytesIO(data))
    page = pdf.pages[0]
    raw = page.Contents.read_raw_bytes()
    content = zlib.decompress(raw)  # checks the Adler-32 of the whole
    assert content == page.Contents.read_bytes()
    assert b" TJ" in content and b" re\n" in content
