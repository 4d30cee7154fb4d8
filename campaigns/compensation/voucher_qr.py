"""The voucher's QR code as vector shapes: one rectangle per horizontal run of dark modules, drawn
the same way by the HTML template (an SVG image) and by the stamped PDF (content stream
operators), so both renderings are the same geometry at any zoom or print resolution.

The symbol comes from zxing-cpp's encoder (C++, ~0.1 ms; it also decodes the codes in the tests):
segno, pure Python, took ~1.5 ms a code, the largest single cost of a stamped voucher."""

from __future__ import annotations

import base64
import re
from functools import lru_cache

import zxingcpp

BORDER = 2  # quiet zone in modules, as printed since the first voucher
DARK_RUN = re.compile(b"\x00+")  # zxing-cpp's module image: 0 dark, 255 light


@lru_cache(maxsize=64)  # the reference and the stamped rendering of one voucher
def qr_runs(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """``(size, runs)``: the symbol's side in modules (quiet zone included) and its dark runs as
    ``(row, column, length)``, error correction level M."""
    image = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(add_quiet_zones=False)
    height, width = image.shape
    modules = bytes(memoryview(image))  # type: ignore[arg-type]  # a buffer, which its stub does not say
    runs = []
    for row in range(height):
        offset = row * width
        for match in DARK_RUN.finditer(modules, offset, offset + width):
            runs.append((row + BORDER, match.start() - offset + BORDER, match.end() - match.start()))
    return width + 2 * BORDER, tuple(runs)


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
    size, runs = qr_runs(url)
    rectangles = b"\n".join(b"%d %d %d 1 re" % (column, row, length) for row, column, length in runs)
    return b"q 1 g 0 0 1 1 re f 0 g %s 0 0 %s 0 1 cm\n%s\nf Q" % (_unit(size), _unit(-size), rectangles)


def _unit(size: int) -> bytes:
    return (b"%.9f" % (1 / size)).rstrip(b"0")
