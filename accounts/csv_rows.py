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


def read_csv(source, expected: tuple[str, ...], label: str, errors: list[RowError]) -> list[tuple[int, dict]]:
    """Rows with their line numbers; a wrong header is one error for the whole file."""
    text = source.read() if hasattr(source, "read") else open(source, encoding="utf-8-sig").read()  # noqa: SIM115
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        errors.append(RowError(label, 1, "empty file: a header row is required"))
        return []
    header = [h.strip() for h in header]
    if sorted(header) != sorted(expected):
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
            )
            if part
        )
        errors.append(RowError(label, 1, f"wrong header ({detail}); expected: {','.join(expected)}"))
        return []
    rows = []
    for line, values in enumerate(reader, start=2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(label, line, f"expected {len(header)} fields, found {len(values)}"))
            continue
        rows.append((line, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    return rows
