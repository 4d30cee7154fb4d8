"""The voucher's QR code as vector shapes: one rectangle per horizontal run of dark modules, drawn
the same way by the HTML template (an SVG image) and by the stamped PDF (content stream
operators), so both renderings are the same geometry at any zoom or print resolution.

The symbol comes from zxing-cpp's encoder (C++; it also decodes the codes in the tests) with a
fixed data mask. Choosing the mask by the standard's penalty score tries all eight and took
three quarters of the encoder's time; any mask is valid and every reader unmasks by the format
information the symbol carries, and the tests decode what the PDFs print."""

from __future__ import annotations

import base64
import re
from functools import lru_cache

import zxingcpp

BORDER = 2  # quiet zone in modules, as printed since the first voucher
ZXING_QUIET_ZONE = 4  # what zxing-cpp's image adds on each side: light, so no run wraps a row
DATA_MASK = 4  # a fixed mask pattern (0–7) instead of the penalty search
DARK_RUN = re.compile(b"\x00+")  # zxing-cpp's module image: 0 dark, 255 light
# The operators of a run by its place and length, formatted once: the same few thousand recur
# from one code to the next (at most side² × side of them for a symbol of a size).
RECTANGLE_CACHE_SIZE = 200_000
_rectangles: dict[int, bytes] = {}


@lru_cache(maxsize=64)  # the reference and the stamped rendering of one voucher
def _symbol(url: str) -> tuple[int, list[tuple[int, int]]]:
    """The image's side and the dark runs as spans of its module bytes (quiet zone included)."""
    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M", data_mask=DATA_MASK)
    image = symbol.to_image(add_quiet_zones=True)
    modules = bytes(memoryview(image))  # type: ignore[arg-type]  # a buffer, which its stub does not say
    return image.shape[1], [match.span() for match in DARK_RUN.finditer(modules)]


def qr_runs(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """``(size, runs)``: the symbol's side in modules (quiet zone included) and its dark runs as
    ``(row, column, length)``, error correction level M."""
    width, spans = _symbol(url)
    shift = ZXING_QUIET_ZONE - BORDER
    return width - 2 * shift, [(start // width - shift, start % width - shift, end - start) for start, end in spans]


def qr_svg_data_uri(url: str) -> str:
    """The QR code as an SVG data URI for ``<img src>`` (dark modules as filled rectangles)."""
    size, runs = qr_runs(url)
    path = "".join(f"M{column} {row}h{length}v1h-{length}z" for row, column, length in runs)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def qr_pdf_operators(url: str) -> bytes:
    """The QR code as PDF operators in an image's unit square (what an image ``Do`` would fill):
    the white background, then the dark modules in module units, row 0 at the top (y = 1)."""
    width, spans = _symbol(url)
    shift = ZXING_QUIET_ZONE - BORDER
    size = width - 2 * shift
    if len(_rectangles) > RECTANGLE_CACHE_SIZE:
        _rectangles.clear()
    known = _rectangles.get
    parts = []
    for start, end in spans:
        key = (width << 24) | (start << 8) | (end - start)
        rectangle = known(key)
        if rectangle is None:
            rectangle = _rectangles[key] = b"%d %d %d 1 re" % (
                start % width - shift,
                start // width - shift,
                end - start,
            )
        parts.append(rectangle)
    rectangles = b"\n".join(parts)
    return b"q 1 g 0 0 1 1 re f 0 g %s 0 0 %s 0 1 cm\n%s\nf Q" % (_unit(size), _unit(-size), rectangles)


def _unit(size: int) -> bytes:
    return (b"%.9f" % (1 / size)).rstrip(b"0")
