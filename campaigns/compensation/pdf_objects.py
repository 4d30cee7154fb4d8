"""The bytes of a small PDF written straight out: strings, deflated content in pieces, objects
with their cross-reference table."""

from __future__ import annotations

import hashlib
import zlib


def pdf_ascii(text: str) -> bytes:
    """A PDF string of ASCII text (a URI), with the characters PDF strings treat specially escaped."""
    return b"(%s)" % text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_text(text: str) -> bytes:
    """A PDF text string (UTF-16BE with its byte order mark, as a hex string)."""
    return b"<feff%s>" % text.encode("utf-16-be").hex().encode()


ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KiB window, fastest: the header of a zlib stream


def deflate(data: bytes, *, first: bool, level: int = 6) -> bytes:
    """``data`` as deflate blocks that end on a byte boundary with no reference to anything
    before them (a full flush), so that such pieces can be concatenated into one zlib stream
    (RFC 1950/1951) behind its header, closed by a final block and the Adler-32 of the whole."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return (ZLIB_HEADER if first else b"") + compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def stored_block(data: bytes) -> bytes:
    """``data`` (under 64 KiB) as one stored deflate block, not the last: where a piece of
    deflate blocks ends on a byte boundary (``deflate``), such a block may follow."""
    size = len(data)
    return b"\x00" + size.to_bytes(2, "little") + (size ^ 0xFFFF).to_bytes(2, "little") + data


def write_pdf(objects: list[tuple[int, bytes]], *, identity: bytes) -> bytes:
    """The PDF file of these objects; its /ID from ``identity`` (what makes this document unique:
    its info and page content), not from the fonts every voucher of a design shares."""
    out = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
    offsets = []
    position = len(out[0])
    for number, body in sorted(objects):
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        offsets.append(position)
        out.append(chunk)
        position += len(chunk)
    identifier = hashlib.md5(identity, usedforsecurity=False).hexdigest().encode()
    out.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.extend(b"%010d 00000 n \n" % offset for offset in offsets)
    out.append(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, identifier, identifier, position)
    )
    return b"".join(out)
