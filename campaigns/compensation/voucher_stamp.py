"""Voucher PDFs stamped from a layout WeasyPrint made once per design.

Two vouchers of one design (language, kind, incident, time zone, number of windows) differ only
in a few strings and the QR code. WeasyPrint lays out the real template and stylesheet once with
a *sentinel* (``§03§``) in place of every per-voucher string and a placeholder image for the QR
code; that probe's content stream is kept as bytes, cut where a sentinel's text run or the QR
image is drawn. A voucher is then those bytes with its own runs — shaped with HarfBuzz from the
same font file at the same size and position — and its QR code as vector rectangles, plus fonts
subset to every glyph its text uses, written straight out as a small PDF.

The probe is the authority on layout: positions, colours, sizes and letter spacing come from it.
What a probe cannot vouch for is refused with ``UnsupportedText`` and rendered by WeasyPrint
itself: a value that would not fit on its line, characters the font lacks, right-to-left text,
or a design where text follows a per-voucher string on the same line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import re
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import quote

import pikepdf

from accounts.private_apis import font_files, page_text_boxes
from campaigns.compensation.pdf_fonts import FontFace, ShapedRun, UnsupportedText, font_objects
from campaigns.compensation.pdf_objects import deflate, pdf_ascii, pdf_text, stored_block, write_pdf
from campaigns.compensation.voucher_qr import qr_pdf_operators

SENTINEL = "\u00a7{:03d}\u00a7"
SENTINEL_RE = re.compile("\u00a7(\\d{3})\u00a7")
# A 1×1 white PNG: the probe only needs the QR image box, not its pixels.
PROBE_IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg=="
)


def _characters(*ranges: tuple[int, int]) -> str:
    return "".join(chr(code) for first, last in ranges for code in range(first, last + 1))


# Glyphs every font subset carries besides the design's own, so that most vouchers share subsets.
BASE_TEXT = _characters((0x20, 0x7E))
# Larger subsets made once per design and font, each embedded as the same bytes in every voucher
# whose text it covers: the first for names in the languages of Europe, the second for names in
# any Latin script. A voucher whose text needs a glyph beyond them (Greek, Cyrillic…) gets a
# subset of its own, made for it and cached.
FONT_TIERS = (
    _characters(
        (0xA0, 0x17F),  # Latin-1 Supplement, Latin Extended-A
        (0x218, 0x21B),  # Ș ș Ț ț
        (0x2010, 0x2027),  # dashes, quotation marks, bullet, ellipsis
        (0x2030, 0x203A),
        (0x20AC, 0x20AC),  # €
    ),
    _characters(
        (0xA0, 0x36F),  # … Latin Extended-B, IPA, spacing modifiers (ʻ), combining marks
        (0x1E00, 0x1EFF),  # Latin Extended Additional
        (0x2000, 0x206F),  # general punctuation
        (0x20A0, 0x20CF),  # currency signs
        (0x2C60, 0x2C7F),  # Latin Extended-C
        (0xA720, 0xA7FF),  # Latin Extended-D
    ),
)
FONT_CACHE_SIZE = 512  # per-voucher font subsets (~15 KB each) kept for reuse, across designs
PX = 0.75  # PDF points per CSS px
QUOTED_MARK = "%C2%A7"  # a sentinel's mark in a URI, as WeasyPrint writes links (iri_to_uri)
URI_SAFE = "/:?#[]@!$&'()*+,;=~%"  # what WeasyPrint's iri_to_uri leaves unquoted
HTML_SPACE = " \t\n\r\f"
# What CSS ``white-space: normal`` would change: runs of HTML white space, white space at either
# end, or white space other than a plain space (no-break spaces are kept as they are).
COLLAPSIBLE = re.compile(r"^[ \t\n\r\f]|[ \t\n\r\f]$|[ \t\n\r\f]{2}|[\t\n\r\f]")


class NotStampable(Exception):
    """The design has a construct whose per-voucher layout the probe cannot predict."""


@dataclass
class TextSlot:
    font: str  # the font resource name in the probe
    size: float
    parts: tuple[str | int, ...]  # literal text, or the index of a per-voucher value
    x: float  # CSS px, where the run starts
    y: float  # CSS px from the top, its baseline
    right_limit: float
    letter_spacing: float
    probe_advance: float = 0.0


@dataclass(frozen=True)
class LinkSlot:
    parts: tuple[str | int, ...]  # the URI: literal text, or the index of a per-voucher value
    rect: tuple[float, float, float, float]  # PDF units, as in the probe
    follows: int | None  # the index of the text slot the link's width follows

    def annotation(self, values: list[str], advances: dict[int, float]) -> bytes:
        uri = quote("".join(values[p] if isinstance(p, int) else p for p in self.parts), safe=URI_SAFE)
        x1, y1, x2, y2 = self.rect
        if self.follows is not None:
            x2 = x1 + advances[self.follows] * PX
        return (
            b"<< /Type /Annot /Subtype /Link /Rect [%.6f %.6f %.6f %.6f] /BS << /W 0 >>"
            b" /A << /Type /Action /S /URI /URI %s >> >>" % (x1, y1, x2, y2, pdf_ascii(uri))
        )


@dataclass
class DesignFace:
    name: str  # the font's PostScript name, without a subset tag
    face: FontFace
    descriptor: bytes
    base: dict[int, str]  # glyph id -> text: the probe's glyphs and those of BASE_TEXT
    tiers: list[dict[int, str]] = field(default_factory=list)  # base and each of FONT_TIERS

    def __post_init__(self):
        self.base_glyphs = frozenset(self.base)
        self.tiers = [self.base]
        for text in FONT_TIERS:
            mapping = dict(self.base)
            for glyph, char in self.face.nominal_glyphs(text).items():
                mapping.setdefault(glyph, char)
            self.tiers.append(mapping)
        self.tier_glyphs = [frozenset(mapping) for mapping in self.tiers]

    def tier(self, extra: dict[int, str]) -> int | None:
        """The smallest tier whose glyphs and text cover ``extra`` (glyph -> text beyond the base)."""
        glyphs = extra.keys()
        for index, tier_glyphs in enumerate(self.tier_glyphs):
            if glyphs <= tier_glyphs and all(self.tiers[index][glyph] == text for glyph, text in extra.items()):
                return index
        return None


class Design:
    """One probe, ready to stamp any number of vouchers."""

    def __init__(self, *, pdf: bytes, document, title: str):
        self.title = title
        self.serial = next(_serials)
        self._tier_fonts: dict[tuple, list[tuple[int, bytes]]] = {}
        probe = pikepdf.open(io.BytesIO(pdf))
        if len(probe.pages) != 1:
            raise NotStampable("a voucher of more than one page")
        page = probe.pages[0]
        self.mediabox = page.MediaBox.unparse(resolved=True)
        resources = page.Resources
        files = font_files(document)
        self.faces: dict[str, DesignFace] = {}
        for resource, font in resources.Font.items():
            key = resource[1:]
            descriptor = font.DescendantFonts[0].FontDescriptor
            kept = pikepdf.Dictionary({k: v for k, v in descriptor.items() if k not in ("/FontFile2", "/FontName")})
            body = kept.unparse(resolved=True)[:-2].rstrip() + b" /FontName %(name)s /FontFile2 %(file)s >>"
            face = _face(files[key])
            base = _to_unicode(font)
            for glyph, text in face.shape(BASE_TEXT, 10).glyphs:
                base.setdefault(glyph, text)
            name = str(font.BaseFont).partition("+")[2] or str(font.BaseFont)[1:]
            self.faces[key] = DesignFace(name, face, body, base)
        xobjects = resources.get("/XObject") or pikepdf.Dictionary()
        images = {str(n) for n, x in xobjects.items() if x.get("/Subtype") == "/Image"}
        if set(map(str, xobjects.keys())) - images:
            raise NotStampable("form XObjects in the design")
        self.resources_extra = b"".join(
            b"%s %s " % (key.encode(), resources[key].unparse(resolved=True))
            for key in ("/ExtGState", "/ColorSpace")
            if key in resources
        )
        self.pieces = self._cut(pikepdf.parse_content_stream(page), page_text_boxes(document), images)
        self._packed = {
            index: deflate(piece + b"\n", first=index == 0)
            for index, piece in enumerate(self.pieces)
            if isinstance(piece, bytes)
        }
        if not isinstance(self.pieces[0], bytes):
            raise NotStampable("per-voucher content before any constant one")
        self.links = [self._link(annotation, float(page.MediaBox[3])) for annotation in page.get("/Annots", [])]

    def _link(self, annotation, page_height: float) -> LinkSlot:
        """A link of the probe: its URI with the sentinels it holds, and the text slot whose
        width it follows (the ``<a>`` around a per-voucher string), if any."""
        action = annotation.get("/A")
        if annotation.get("/Subtype") != "/Link" or action is None or action.get("/S") != "/URI":
            raise NotStampable("a link that is not to a URI")
        uri = bytes(action.URI).decode("latin-1").replace(QUOTED_MARK, "\u00a7")
        x1, y1, x2, y2 = (float(value) for value in annotation.Rect)
        follows = None
        for index, piece in enumerate(self.pieces):
            if not isinstance(piece, TextSlot):
                continue
            baseline = page_height - piece.y * PX
            if abs(piece.x * PX - x1) < 0.5 and min(y1, y2) <= baseline <= max(y1, y2):
                if abs(piece.probe_advance * PX - (x2 - x1)) > 0.5:
                    raise NotStampable("a link around more than one per-voucher string")
                follows = index
        return LinkSlot(_parts(uri), (x1, y1, x2, y2), follows)

    def _cut(self, operations, text_boxes, images) -> list:
        """The probe's content as constant bytes between per-voucher slots (text runs, QR)."""
        pieces: list = []
        pending: list = []
        font, size, baseline = "", 0.0, 0.0
        boxes = [box for box in text_boxes if box.text.strip()]
        for operation in operations:
            operator = str(operation.operator)
            if operator == "Tf":
                font, size = str(operation.operands[0])[1:], float(operation.operands[1])
            elif operator == "Tm":
                baseline = float(operation.operands[5])
            elif operator == "Do" and str(operation.operands[0]) in images:
                pieces.extend([pikepdf.unparse_content_stream(pending), "qr"])
                pending = []
                continue
            elif operator in ("TJ", "Tj"):
                text = self._decode(font, operation.operands[0])
                box = _take_box(boxes, text)
                if SENTINEL_RE.search(text):
                    slot = _slot(font, size, text, box, boxes, baseline)
                    slot.probe_advance = self.faces[font].face.shape(text, size, slot.letter_spacing).advance
                    pieces.extend([pikepdf.unparse_content_stream(pending), slot])
                    pending = []
                    continue
            pending.append(operation)
        pieces.append(pikepdf.unparse_content_stream(pending))
        return pieces

    def _decode(self, font: str, operand) -> str:
        mapping = self.faces[font].base
        strings = (
            [operand] if isinstance(operand, pikepdf.String) else [s for s in operand if isinstance(s, pikepdf.String)]
        )
        chars: list[str] = []
        for string in strings:
            raw = bytes(string)
            chars.extend(mapping.get(int.from_bytes(raw[i : i + 2], "big"), "") for i in range(0, len(raw), 2))
        return "".join(chars)

    def stamp(self, values: list[str], qr_url: str, *, now: dt.datetime) -> bytes:
        """The PDF of one voucher: ``values[i]`` replaces sentinel ``i``."""
        for value in values:
            if not value.strip(HTML_SPACE) or COLLAPSIBLE.search(value):
                raise UnsupportedText("empty, or white space that HTML would collapse")
        stream, runs, advances = self._content(values, qr_url)
        objects: list[tuple[int, bytes]] = []
        font_refs = []
        number = 6
        for resource, design_face in self.faces.items():
            objects.extend(self._font(resource, design_face, runs.get(resource, []), number))
            font_refs.append(b"/%s %d 0 R" % (resource.encode(), number))
            number += 5
        annotations = []
        for link in self.links:
            objects.append((number, link.annotation(values, advances)))
            annotations.append(b"%d 0 R" % number)
            number += 1
        annots = b" /Annots [%s]" % b" ".join(annotations) if annotations else b""
        packed = stream
        title = SENTINEL_RE.sub(lambda match: values[int(match.group(1))], self.title)
        head = [
            (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
            (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (
                3,
                b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R /Resources << %s/Font << %s >> >>%s >>"
                % (self.mediabox, self.resources_extra, b" ".join(font_refs), annots),
            ),
            (4, b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)),
            (
                5,
                b"<< /Producer (hostnotify) /Title %s /CreationDate (%s) >>"
                % (pdf_text(title), now.strftime("D:%Y%m%d%H%M%SZ").encode()),
            ),
        ]
        return write_pdf(head + objects, identity=head[4][1] + packed)

    def _content(self, values: list[str], qr_url: str) -> tuple[bytes, dict[str, list[ShapedRun]], dict[int, float]]:
        """The page's content stream, deflated: the design's constant pieces were deflated once
        (``_packed``); of the voucher's own operators only the QR code's are compressed here."""
        out = []
        runs: dict[str, list[ShapedRun]] = {}
        advances: dict[int, float] = {}
        checksum = 1
        for index, piece in enumerate(self.pieces):
            if isinstance(piece, bytes):
                out.append(self._packed[index])
                checksum = zlib.adler32(b"\n", zlib.adler32(piece, checksum))
            elif isinstance(piece, str):
                operators = qr_pdf_operators(qr_url) + b"\n"
                checksum = zlib.adler32(operators, checksum)
                out.append(deflate(operators, first=False, level=1))
            else:
                text = "".join(values[p] if isinstance(p, int) else p for p in piece.parts)
                design_face = self.faces[piece.font]
                run = design_face.face.shape(text, piece.size, piece.letter_spacing)
                if piece.x + run.advance > piece.right_limit - 0.01:
                    raise UnsupportedText("does not fit on its line")
                advances[index] = run.advance
                runs.setdefault(piece.font, []).append(run)
                operators = run.tj + b" TJ\n"
                checksum = zlib.adler32(operators, checksum)
                out.append(stored_block(operators))  # a few hundred bytes: not worth deflating
        out.append(b"\x03\x00")  # the final, empty block
        out.append(checksum.to_bytes(4, "big"))
        return b"".join(out), runs, advances

    def _font(
        self, resource: str, design_face: DesignFace, runs: list[ShapedRun], first: int
    ) -> list[tuple[int, bytes]]:
        """The font's objects with every glyph of ``runs``: the smallest of the design's tiers
        that covers them (made once), else a subset of its own (recently used ones cached)."""
        extra: dict[int, str] = {}
        if not all(run.glyph_set <= design_face.base_glyphs for run in runs):
            for run in runs:
                for glyph, char in run.glyphs:
                    if glyph not in design_face.base:
                        extra.setdefault(glyph, char)
        tier = design_face.tier(extra)
        if tier is not None:
            key: tuple = (resource, tier, first)
            objects = self._tier_fonts.get(key)
            if objects is None:
                objects = self._tier_fonts[key] = font_objects(
                    design_face.face,
                    first=first,
                    name=design_face.name,
                    descriptor=design_face.descriptor,
                    mapping=design_face.tiers[tier],
                )
            return objects
        return self._own_font(resource, design_face, frozenset(extra.items()), first)

    def _own_font(
        self, resource: str, design_face: DesignFace, extra: frozenset, first: int
    ) -> list[tuple[int, bytes]]:
        """The font's objects for the design's glyphs plus ``extra``; recently used ones cached."""
        key = (self.serial, resource, extra)
        if key in _fonts:
            _fonts.move_to_end(key)
            return _fonts[key]
        objects = font_objects(
            design_face.face,
            first=first,
            name=design_face.name,
            descriptor=design_face.descriptor,
            mapping={**design_face.base, **dict(extra)},
        )
        _fonts[key] = objects
        if len(_fonts) > FONT_CACHE_SIZE:
            _fonts.popitem(last=False)
        return objects


_serials = itertools.count()
_fonts: OrderedDict[tuple, list[tuple[int, bytes]]] = OrderedDict()
_faces: dict[bytes, FontFace] = {}


def _face(data: bytes) -> FontFace:
    """One ``FontFace`` per font file for all designs (a design's probe names the same file anew)."""
    digest = hashlib.sha256(data).digest()
    if digest not in _faces:
        _faces[digest] = FontFace(data)
    return _faces[digest]


def _parts(text: str) -> tuple[str | int, ...]:
    return tuple(int(part) if index % 2 else part for index, part in enumerate(SENTINEL_RE.split(text)) if part)


def _slot(font: str, size: float, text: str, box, boxes, baseline: float) -> TextSlot:
    if box is None or not box.plain or not box.left_aligned:
        raise NotStampable(f"per-voucher text in a styled or unmatched box: {text!r}")
    if any(other.line == box.line and other.x > box.x for other in boxes):
        raise NotStampable(f"text after a per-voucher value on its line: {text!r}")
    return TextSlot(font, size, _parts(text), box.x, baseline, box.right_limit, box.letter_spacing)


def _take_box(boxes: list, text: str):
    """The first text box (in drawing order) showing ``text``; removed from ``boxes``."""
    wanted = text.strip()
    for index, box in enumerate(boxes):
        if box.text.strip() == wanted:
            return boxes.pop(index)
    return None


def _to_unicode(font) -> dict[int, str]:
    data = font.ToUnicode.read_bytes().decode("latin-1")
    mapping = {}
    for glyph, hexed in re.findall(r"<([0-9a-fA-F]{4})> <([0-9a-fA-F]+)>", data):
        mapping[int(glyph, 16)] = bytes.fromhex(hexed).decode("utf-16-be")
    return mapping
