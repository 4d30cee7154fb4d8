"""The voucher's QR code as vector shapes from segno: one rectangle per horizontal run of dark
modules, drawn the same way by the HTML template (an SVG image) and by the stamped PDF (content
stream operators), so both renderings are the same geometry at any zoom or print resolution."""

from __future__ import annotations

import base64
from functools import lru_cache

import segno

BORDER = 2  # quiet zone in modules, as printed since the first voucher


@lru_cache(maxsize=4096)
def qr_runs(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """``(size, runs)``: the symbol's side in modules (quiet zone included) and its dark runs as
    ``(row, column, length)``. A fixed mask skips scoring all eight; any mask reads fine."""
    symbol = segno.make(url, error="m", mask=0, micro=False)
    runs = []
    size = 0
    for row, modules in enumerate(symbol.matrix_iter(scale=1, border=BORDER)):
        size = len(modules)
        column = 0
        while column < size:
            if modules[column]:
                start = column
                while column < size and modules[column]:
                    column += 1
                runs.append((row, start, column - start))
            else:
                column += 1
    return size, tuple(runs)


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
    the white background, then the dark modules; row 0 is at the top (y = 1)."""
    size, runs = qr_runs(url)
    unit = 1 / size
    parts = [b"q 1 g 0 0 1 1 re f 0 g"]
    for row, column, length in runs:
        parts.append(b"%.6f %.6f %.6f %.6f re" % (column * unit, 1 - (row + 1) * unit, length * unit, unit))
    parts.append(b"f Q")
    return b"\n".join(parts)
