"""CSV input read row by row, with every bad row reported by file and line: the intake of the
inventory import and of the outage import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class ImportRejected(Exception):
    """The input has bad rows; ``errors`` lists every one. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors)
        super().__init__(f"{len(self.errors)} bad row(s); nothing imported")


def _bytes_of(source) -> tuple[bytes, str]:
    """The raw bytes of a path or file object, and the name to report."""
    if hasattr(source, "read"):
        data = source.read()
        name = getattr(source, "name", "")
        return (data.encode("utf-8") if isinstance(data, str) else data), str(name or "")
    with open(source, "rb") as handle:
        return handle.read(), str(source)


def _encoding_found(data: bytes) -> str:
    """A person's guess at what a file that is not UTF-8 is."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 20:
        return "UTF-16"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "an unknown 8-bit encoding"
    return "Latin-1/Windows-1252"


def _decode(data: bytes, label: str, name: str, encoding: str, errors: list[RowError]) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        found = _encoding_found(data) if encoding.lower().replace("_", "-").startswith("utf-8") else "not " + encoding
        where = f" ({name})" if name and not name.endswith(label) else ""
        errors.append(
            RowError(
                label,
                line,
                f"file{where} is not {encoding.upper().removesuffix('-SIG')} (it looks like {found}): "
                f"byte 0x{data[exc.start]:02x} at line {line}; save it as UTF-8 or give --encoding",
            )
        )
        return None
    except LookupError:
        errors.append(RowError(label, 0, f"unknown encoding {encoding!r}"))
        return None


def read_csv(
    source,
    expected: tuple[str, ...],
    label: str,
    errors: list[RowError],
    *,
    limits: dict[str, int] | None = None,
    encoding: str = "utf-8-sig",
    optional: tuple[str, ...] = (),
) -> list[tuple[int, dict]]:
    """Rows with their line numbers; a wrong header is one error for the whole file.

    Refused, with file and line: a file not in ``encoding`` (UTF-8, a BOM is fine), NUL bytes,
    values longer than ``limits`` allows for their column (nothing is ever cut short), rows the
    CSV parser cannot read. ``optional`` columns may be missing from the header."""
    data, name = _bytes_of(source)
    text = _decode(data, label, name, encoding, errors)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        errors.append(RowError(label, 1, f"unreadable header: {exc}"))
        return []
    if header is None:
        errors.append(RowError(label, 1, "empty file: a header row is required"))
        return []
    header = [h.strip() for h in header]
    if sorted(c for c in header if c not in optional) != sorted(expected) or len(set(header)) != len(header):
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected and c not in optional]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
                "a column twice" if len(set(header)) != len(header) else "",
            )
            if part
        )
        errors.append(RowError(label, 1, f"wrong header ({detail}); expected: {','.join(expected)}"))
        return []
    limits = limits or {}
    rows = []
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(label, reader.line_num, f"unreadable row: {exc}"))
            break  # the parser cannot resynchronise after a broken row
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(label, line, f"expected {len(header)} fields, found {len(values)}"))
            continue
        row = {k: v.strip() for k, v in zip(header, values, strict=True)}
        problems = [f"{column}: contains a NUL byte" for column, value in row.items() if "\x00" in value]
        problems += [
            f"{column}: {len(value)} characters, at most {limits[column]} allowed"
            for column, value in row.items()
            if column in limits and len(value) > limits[column]
        ]
        if problems:
            errors.extend(RowError(label, line, problem) for problem in problems)
            continue
        rows.append((line, row))
    return rows
