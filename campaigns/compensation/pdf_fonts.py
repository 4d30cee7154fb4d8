"""Embedded fonts for stamped PDFs: shaping with HarfBuzz as Pango does for WeasyPrint, subsets
with every glyph a document's text needs, and the PDF objects of a Type 0 (CID) TrueType font.

Glyph positions follow WeasyPrint's text drawing (``weasyprint/draw/text.py``): advances in Pango
units (1/1024 px) from HarfBuzz at the run's size, written as ``TJ`` adjustments against the
font's nominal widths, letter spacing added between glyphs.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from math import ceil

import uharfbuzz as hb

PANGO_SCALE = 1024
RUN_CACHE_SIZE = 4096
DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
LEFT_TO_RIGHT = {"L", "EN", "ES", "ET", "CS", "NSM", "BN", "B", "S", "WS", "ON"}


class UnsupportedText(ValueError):
    """Text that stamping cannot lay out exactly as WeasyPrint would (the caller renders it)."""


@dataclass(frozen=True)
class ShapedRun:
    tj: bytes  # the TJ operand: [<gid>adjust<gid>…]
    advance: float  # CSS px
    glyphs: tuple[tuple[int, str], ...]  # (glyph id, text it stands for)


@dataclass
class FontFace:
    """One font file as used at several sizes in one design."""

    data: bytes
    face: hb.Face = field(init=False)
    font: hb.Font = field(init=False)
    upem: int = field(init=False)
    characters: frozenset[str] = field(init=False)  # those with a glyph, left-to-right
    _sized: dict[int, hb.Font] = field(init=False, default_factory=dict)
    _widths: dict[int, int] = field(init=False, default_factory=dict)
    _runs: OrderedDict = field(init=False, default_factory=OrderedDict)

    def __post_init__(self):
        self.face = hb.Face(hb.Blob(self.data))
        self.upem = self.face.upem
        self.font = hb.Font(self.face)
        self.characters = frozenset(
            chr(code) for code in self.face.unicodes if unicodedata.bidirectional(chr(code)) in LEFT_TO_RIGHT
        )

    def sized(self, scale: int) -> hb.Font:
        if scale not in self._sized:
            font = hb.Font(self.face)
            font.scale = (scale, scale)
            self._sized[scale] = font
        return self._sized[scale]

    def width_1000(self, glyph: int) -> int:
        """The glyph's nominal advance in thousandths of an em, as the PDF's /W array has it."""
        width = self._widths.get(glyph)
        if width is None:
            width = self._widths[glyph] = round(self.font.get_glyph_h_advance(glyph) * 1000 / self.upem)
        return width

    def check(self, text: str) -> None:
        if not self.characters.issuperset(text):
            missing = sorted(set(text) - self.characters)
            raise UnsupportedText(f"no left-to-right glyph for {', '.join(f'U+{ord(c):04X}' for c in missing)}")

    def shape(self, text: str, size: float, letter_spacing: float = 0.0) -> ShapedRun:
        """Glyphs and ``TJ`` of ``text`` at ``size`` px; the runs shaped last are remembered (dates,
        server names and labels recur from one voucher to the next)."""
        key = (text, size, letter_spacing)
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = self._shape(text, size, letter_spacing)
            if len(self._runs) > RUN_CACHE_SIZE:
                self._runs.popitem(last=False)
        return run

    def _shape(self, text: str, size: float, letter_spacing: float) -> ShapedRun:
        """Glyphs and ``TJ`` of ``text`` at ``size`` px (the ``Tf`` size WeasyPrint wrote)."""
        self.check(text)
        scale = round(size * PANGO_SCALE)
        font = self.sized(scale)
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        hb.shape(font, buffer, {})
        infos, positions = buffer.glyph_infos, buffer.glyph_positions
        # Pango's letter spacing: half before each glyph but the first (as an x offset), the
        # other half after each glyph but the last.
        spacing = int(letter_spacing * PANGO_SCALE)
        space_left = spacing // 2
        space_right = spacing - space_left
        clusters = [info.cluster for info in infos] + [len(text)]
        parts = [b"[<"]
        total = 0
        glyphs = []
        last = len(infos) - 1
        for index, (info, position) in enumerate(zip(infos, positions, strict=True)):
            if position.y_offset:
                raise UnsupportedText("raised or lowered glyphs")
            glyph = info.codepoint
            x_offset = position.x_offset + (space_left if spacing and index > 0 else 0)
            width = position.x_advance
            if spacing:
                width += (space_left if index > 0 else 0) + (space_right if index < last else 0)
            total += width
            if index == 0 or clusters[index - 1] != info.cluster:
                end = next((c for c in clusters[index + 1 :] if c != info.cluster), len(text))
                glyphs.append((glyph, text[info.cluster : end]))
            else:
                glyphs.append((glyph, ""))
            # WeasyPrint writes an x offset as Pango units over the size (sic), then compensates.
            offset = x_offset / size
            if offset:
                parts.append(b">%s<" % repr(-offset).encode())
            parts.append(b"%04x" % glyph)
            kerning = self.width_1000(glyph) + offset - width * 1000 / PANGO_SCALE / size
            if kerning:
                parts.append(b">%d<" % int(kerning))
        parts.append(b">]")
        return ShapedRun(b"".join(parts), total / PANGO_SCALE, tuple(glyphs))

    def subset(self, glyphs: frozenset[int]) -> bytes:
        """A TrueType file with these glyphs at their original ids (the content streams' codes)."""
        subset_input = hb.SubsetInput()
        for glyph in (0, *sorted(glyphs)):
            subset_input.glyph_set.add(glyph)
        subset_input.flags = (
            hb.SubsetFlags.RETAIN_GIDS
            | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
            | hb.SubsetFlags.DESUBROUTINIZE
            | hb.SubsetFlags.NO_HINTING  # as WeasyPrint writes them by default
        )
        drop = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
        for tag in DROP_TABLES:
            drop.add(int.from_bytes(tag.encode(), "big"))
        return bytes(hb.subset(self.face, subset_input).blob.data)


def subset_tag(glyphs: frozenset[int]) -> str:
    """Six capital letters naming a subset, as PDF readers expect before a subset font's name."""
    digest = hashlib.md5(repr(sorted(glyphs)).encode(), usedforsecurity=False).digest()
    return "".join(chr(65 + byte % 26) for byte in digest[:6])


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        b"<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
        b"/CMapType 2 def\n1 begincodespacerange\n<0000> <ffff>\nendcodespacerange"
    ]
    items = sorted(mapping.items())
    for batch in range(ceil(len(items) / 100)):
        chunk = items[batch * 100 : (batch + 1) * 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines.extend(b"<%04x> <%s>" % (glyph, text.encode("utf-16-be").hex().encode()) for glyph, text in chunk)
        lines.append(b"endbfchar")
    lines.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
    return b"\n".join(lines)


def font_objects(
    face: FontFace, *, first: int, name: str, descriptor: bytes, mapping: dict[int, str]
) -> list[tuple[int, bytes]]:
    """The five objects of one embedded font, numbered from ``first``: Type 0 font, CID font,
    descriptor (``descriptor`` is its body with ``%(file)s`` and ``%(name)s`` to fill), font file
    and ToUnicode map."""
    glyphs = frozenset(mapping)
    base_font = f"/{subset_tag(glyphs)}+{name}".encode()
    widths = b" ".join(b"%d [%d]" % (glyph, face.width_1000(glyph)) for glyph in sorted(glyphs))
    font_file = face.subset(glyphs)
    packed_font = zlib.compress(font_file, 6)
    packed_map = zlib.compress(to_unicode_cmap(mapping), 6)
    return [
        (
            first,
            b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H /DescendantFonts [%d 0 R]"
            b" /ToUnicode %d 0 R >>" % (base_font, first + 1, first + 4),
        ),
        (
            first + 1,
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s /CIDSystemInfo << /Registry (Adobe)"
            b" /Ordering (Identity) /Supplement 0 >> /CIDToGIDMap /Identity /FontDescriptor %d 0 R /W [%s] >>"
            % (base_font, first + 2, widths),
        ),
        (first + 2, descriptor.replace(b"%(name)s", base_font).replace(b"%(file)s", b"%d 0 R" % (first + 3))),
        (
            first + 3,
            b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(packed_font), len(font_file), packed_font),
        ),
        (
            first + 4,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed_map), packed_map),
        ),
    ]
