"""The one XLSX writer: every export's sheets typed, frozen and neutralised alike."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl

from accounts.spreadsheets import write_xlsx_sheets


def test_several_sheets_each_with_a_frozen_bold_header_and_typed_cells():
    data = write_xlsx_sheets(
        [
            ("Totals", ["currency", "issued"], [["CHF", Decimal("75.00")]]),
            ("=By product", ["product", "customers", "note"], [["-10%", 3, None]]),
        ]
    )

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Totals", "=By product"]  # names are not evaluated, and hold no apostrophe
    totals, products = workbook["Totals"], workbook["=By product"]
    assert [[cell.value for cell in row] for row in totals.iter_rows()] == [["currency", "issued"], ["CHF", 75]]
    assert totals["B2"].number_format == "#,##0.00" and totals["A1"].font.bold
    assert totals.freeze_panes == "A2" and products.freeze_panes == "A2"
    assert list(products.iter_rows(min_row=2, values_only=True)) == [("'-10%", 3, None)]


def test_a_date_is_a_date_and_an_aware_datetime_is_swiss_wall_clock():
    data = write_xlsx_sheets(
        [("Days", ["day", "at"], [[dt.date(2006, 1, 2), dt.datetime(2006, 7, 1, 10, 0, tzinfo=dt.UTC)]])]
    )

    sheet = openpyxl.load_workbook(io.BytesIO(data))["Days"]
    assert sheet["A2"].number_format == "DD.MM.YYYY" and sheet["B2"].number_format == "DD.MM.YYYY HH:MM"
    assert sheet["B2"].value == dt.datetime(2006, 7, 1, 12, 0)  # summer time in Zurich
