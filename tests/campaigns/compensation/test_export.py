import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from accounts.spreadsheets import neutralise, write_csv, write_xlsx


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+41 44 000", "'+41 44 000"),
        ("-1+1", "'-1+1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("Müller AG", "Müller AG"),
        ("a=b", "a=b"),
        (Decimal("-5.00"), Decimal("-5.00")),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_neutralises_text_and_keeps_numbers():
    data = write_csv(["name", "amount"], [["=cmd|' /C calc'!A0", Decimal("5.00")]])

    assert data.decode() == "name,amount\n'=cmd|' /C calc'!A0,5.00\n"


def test_xlsx_cells_are_typed():
    when = dt.datetime(2006, 1, 2, 17, 0, tzinfo=dt.UTC)
    data = write_xlsx(
        ["name", "amount", "seconds", "expires", "at"], [["@x", Decimal("12.35"), 3600, dt.date(2006, 12, 31), when]]
    )

    row = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True))[0]

    assert row == ("'@x", 12.35, 3600, dt.datetime(2006, 12, 31), dt.datetime(2006, 1, 2, 18, 0))
