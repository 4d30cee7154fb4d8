"""Writing tables for spreadsheets safely: CSV and typed XLSX, formula injection neutralised.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read as a
formula by spreadsheet programs; such text gets a leading apostrophe. Numbers, dates and
datetimes are written as typed values (XLSX) and never touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_DATE = "DD.MM.YYYY"
XLSX_DATETIME = "DD.MM.YYYY HH:MM"
XLSX_MONEY = "#,##0.00"


def neutralise(value):
    """Text that a spreadsheet would run as a formula, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(neutralise(value)) if isinstance(value, str) else str(value)


CSV_STYLES = ("comma", "semicolon")


def write_csv(headers: Sequence[str], rows: Iterable[Sequence], *, style: str = "comma") -> bytes:
    """UTF-8 CSV with a header row. ``style="semicolon"`` writes what Excel in Switzerland opens
    with a double click: ``;`` between fields, CRLF line ends and a byte order mark, so that
    umlauts survive. Numbers keep their ``.`` (the decimal separator of de-CH)."""
    if style not in CSV_STYLES:
        raise ValueError(f"unknown CSV style {style!r}: one of {', '.join(CSV_STYLES)}")
    semicolon = style == "semicolon"
    buffer = io.StringIO()
    if semicolon:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";" if semicolon else ",", lineterminator="\r\n" if semicolon else "\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, title: str = "Export") -> bytes:
    """One worksheet (see ``write_xlsx_sheets``)."""
    return write_xlsx_sheets([(title, headers, rows)])


def write_xlsx_sheets(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """One worksheet per ``(title, headers, rows)``: bold frozen header row, columns wide enough
    for their header, text neutralised, Decimal as money, int and float as numbers, dates as dates.
    Aware datetimes are written as Swiss wall-clock time (Excel has no time zones)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    zone = ZoneInfo(settings.TIME_ZONE)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def typed(sheet, value) -> WriteOnlyCell:
        if isinstance(value, dt.datetime):
            cell = WriteOnlyCell(sheet, value=value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value)
            cell.number_format = XLSX_DATETIME
        elif isinstance(value, dt.date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = XLSX_DATE
        elif isinstance(value, Decimal):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = XLSX_MONEY
        elif value is None or isinstance(value, int | float | str):
            cell = WriteOnlyCell(sheet, value=neutralise(value))
        else:
            cell = WriteOnlyCell(sheet, value=neutralise(str(value)))
        return cell

    for title, headers, rows in sheets:
        # A sheet name cannot hold an apostrophe, so a neutralised title loses it again.
        sheet = workbook.create_sheet(str(neutralise(title))[:31].replace("'", ""))
        sheet.freeze_panes = "A2"
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, len(header) + 4))
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=neutralise(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([typed(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
