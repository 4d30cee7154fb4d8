"""Embedded fonts for stamped PDFs: shaping with HarfBuzz as Pango does for WeasyPrint, subsets
with every glyph a document's text needs, and the PDF objects of a Type 0 (CID) TrueType font.

Glyph positions follow WeasyPrint's text drawing (``weasyprint/draw/text.py``): advances in Pango
units (1/1024 px) from HarfBuzz at the run's size, written as ``TJ`` adjustments against the
font's nominal widths, letter spacing added between glyphs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from math import ceil
from typing import cast

import uharfbuzz as hb

PANGO_SCALE = 1024
RUN_CACHE_SIZE = 1024  # runs of ~5 KB each (glyphs and TJ): the recurring ones (names, dates, servers)
CHUNK_CACHE_SIZE = 20_000  # glyph pairs per size, emptied when full
ASCII_LETTER = re.compile("[A-Za-z]")
Chunk = tuple[bytes, int, int] | bool  # a glyph's TJ bytes, advance and id, or False: not simple
DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
LEFT_TO_RIGHT = {"L", "EN", "ES", "ET", "CS", "NSM", "BN", "B", "S", "WS", "ON"}


class UnsupportedText(ValueError):
    """Text that stamping cannot lay out exactly as WeasyPrint would (the caller renders it)."""


@dataclass(frozen=True)
class ShapedRun:
    tj: bytes  # the TJ operand: [<gid>adjust<gid>…]
    advance: float  # CSS px
    glyphs: tuple[tuple[int, str], ...]  # (glyph id, text it stands for)
    glyph_set: frozenset[int]  # the glyph ids alone, to check a font subset against in one step


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
    # (size, spacing, script) -> (pairs at a run's start, other pairs) -> _chunk()
    _chunks: dict[tuple, tuple[dict[str, Chunk], dict[str, Chunk]]] = field(init=False, default_factory=dict)

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

    def nominal_glyphs(self, text: str) -> dict[int, str]:
        """Glyph id -> character for every character of ``text`` the font maps (first one wins)."""
        mapping: dict[int, str] = {}
        for char in text:
            glyph = self.font.get_nominal_glyph(ord(char))
            if glyph:
                mapping.setdefault(glyph, char)
        return mapping

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
            run = self._pairwise(text, size, letter_spacing) or self._shape(text, size, letter_spacing)
            self._runs[key] = run
            if len(self._runs) > RUN_CACHE_SIZE:
                self._runs.popitem(last=False)
        return run

    def _pairwise(self, text: str, size: float, letter_spacing: float) -> ShapedRun | None:
        """The run of ``_shape`` put together from glyphs shaped in pairs, or ``None`` when a pair
        of its characters is not one glyph each at their own advances bar kerning.

        Shaping a whole string with HarfBuzz from Python costs a microsecond or two per glyph in
        objects alone; a voucher has a few unique strings (its code, number and link). In a
        simple font (every character one glyph, positioned by pair kerning) a glyph's advance
        depends only on the next character: a table of pairs, filled by HarfBuzz itself as
        pairs come up, gives the same advances."""
        if not text:
            return None
        # Kerning depends on the script HarfBuzz guesses for the whole run: pairs are shaped as
        # part of a run of that script.
        if text.isascii():
            script = "Latn" if ASCII_LETTER.search(text) else None
        else:
            guess = hb.Buffer()
            guess.add_str(text)
            guess.guess_segment_properties()
            if guess.direction != "ltr":
                return None
            script = guess.script
        tables = self._chunks.get((size, letter_spacing, script))
        if tables is None or len(tables[1]) > CHUNK_CACHE_SIZE:
            tables = self._chunks[(size, letter_spacing, script)] = ({}, {})
        firsts, chunks = tables
        entries: list[Chunk | None] = [firsts.get(text[:2])]
        entries += [chunks.get(text[index : index + 2]) for index in range(1, len(text))]
        if None in entries:
            for index, entry in enumerate(entries):
                if entry is None:
                    table = chunks if index else firsts
                    pair = text[index : index + 2]
                    entries[index] = table[pair] = self._chunk(pair, not index, size, letter_spacing, script)
        if False in entries:
            return None
        found = cast(list[tuple[bytes, int, int]], entries)
        glyph_ids = [entry[2] for entry in found]
        return ShapedRun(
            b"[<" + b"".join([entry[0] for entry in found]) + b">]",
            sum([entry[1] for entry in found]) / PANGO_SCALE,
            tuple(zip(glyph_ids, text, strict=True)),
            frozenset(glyph_ids),
        )

    def _chunk(self, pair: str, first: bool, size: float, letter_spacing: float, script: str | None) -> Chunk:
        """``TJ`` bytes, advance (Pango units) and glyph of ``pair[0]`` followed by ``pair[1]``
        (or last in its run), as ``_shape`` writes them; ``False`` if the pair is not simple."""
        if any(not self._simple(char) for char in pair):
            return False
        scale = round(size * PANGO_SCALE)
        alone = [self._shaped(char, scale, script) for char in pair]
        together = self._shaped(pair, scale, script)
        if together is None or len(together) != len(pair) or alone[0] is None or alone[-1] is None:
            return False
        glyph, advance = together[0]
        if glyph != alone[0][0][0] or (len(pair) == 2 and together[1] != alone[-1][0]):
            return False
        spacing = int(letter_spacing * PANGO_SCALE)
        space_left = spacing // 2
        x_offset = space_left if spacing and not first else 0
        width = advance
        if spacing:
            width += (0 if first else space_left) + ((spacing - space_left) if len(pair) == 2 else 0)
        return self._glyph_tj(glyph, x_offset, width, size), width, glyph

    def _simple(self, char: str) -> bool:
        """A character HarfBuzz gives a glyph of its own: no mark, no format character (a soft
        hyphen is shaped as nothing, and kerning reaches across it)."""
        return char in self.characters and unicodedata.category(char) not in ("Mn", "Me", "Cf")

    def _shaped(self, text: str, scale: int, script: str | None) -> list[tuple[int, int]] | None:
        """(glyph, x advance) of each glyph HarfBuzz makes of ``text`` in ``script``; None if
        any moves off its place or clusters differ from characters."""
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        if script is not None:
            buffer.script = script
        hb.shape(self.sized(scale), buffer, {})
        out = []
        for index, (info, position) in enumerate(zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)):
            if position.x_offset or position.y_offset or info.cluster != index:
                return None
            out.append((info.codepoint, position.x_advance))
        return out

    def _glyph_tj(self, glyph: int, x_offset: int, width: int, size: float) -> bytes:
        """One glyph in a ``TJ`` array as WeasyPrint writes it: an x offset as Pango units over
        the size (sic), then compensated, the glyph, and its advance against the nominal one."""
        offset = x_offset / size
        out = b">%s<" % repr(-offset).encode() if offset else b""
        out += b"%04x" % glyph
        kerning = self.width_1000(glyph) + offset - width * 1000 / PANGO_SCALE / size
        if kerning:
            out += b">%d<" % int(kerning)
        return out

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
            parts.append(self._glyph_tj(glyph, x_offset, width, size))
        parts.append(b">]")
        return ShapedRun(b"".join(parts), total / PANGO_SCALE, tuple(glyphs), frozenset(g for g, _ in glyphs))

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
