"""The voucher's QR code as vector shapes from segno: one rectangle per horizontal run of dark
modules, drawn the same way by the HTML template (an SVG image) and by the stamped PDF (content
stream operators), so both renderings are the same geometry at any zoom or print resolution."""

from __future__ import annotations

import base64
import re
from functools import lru_cache

import segno

BORDER = 2  # quiet zone in modules, as printed since the first voucher
DARK = bytes([0] + [1] * 255)  # segno marks a dark module with any non-zero value
DARK_RUN = re.compile(b"\x01+")


@lru_cache(maxsize=64)  # the reference and the stamped rendering of one voucher
def qr_runs(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """``(size, runs)``: the symbol's side in modules (quiet zone included) and its dark runs as
    ``(row, column, length)``. A fixed mask skips scoring all eight; any mask reads fine."""
    symbol = segno.make(url, error="m", mask=0, micro=False)
    runs = []
    for row, modules in enumerate(symbol.matrix, start=BORDER):
        for match in DARK_RUN.finditer(bytes(modules).translate(DARK)):
            runs.append((row, match.start() + BORDER, match.end() - match.start()))
    return len(symbol.matrix) + 2 * BORDER, tuple(runs)


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
