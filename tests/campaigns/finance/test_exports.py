"""Finance exports read back cell by cell: XLSX (openpyxl), CSV, journal, PDF; the command."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.mail.brand import pdf_brand
from campaigns.compensation.codes import format_code
from campaigns.finance.export import ExportRefused, finance_export
from campaigns.finance.journal import JOURNAL_HEADERS, journal_accounts
from campaigns.finance.tables import report_data, report_sections, sections_xlsx
from campaigns.models import AuditEntry
from tests.factories import (
    AffectedCustomerFactory,
    CustomerFactory,
    ExposureFactory,
    HostingAccountFactory,
    PlacementFactory,
    ServerFactory,
)

D = Decimal
ACCOUNTS = {"EXPENSE": "6000", "LIABILITY": "2000", "EXPIRED": "3000", "BALANCE": "2100", "EXTENSION": "2200",
            "PARTNER": "2300"}  # fmt: skip


@pytest.fixture
def evil_product(books):
    """A customer whose product name is a spreadsheet formula."""
    customer = CustomerFactory(number="=1+2", name="@SUM(A1)")
    account = HostingAccountFactory(customer=customer, product='=HYPERLINK("http://x")')
    PlacementFactory(account=account, server=ServerFactory(name="s1"))
    ExposureFactory(incident=books["storage"], account=account, servers=["s1"])
    AffectedCustomerFactory(
        incident=books["storage"], customer=customer, accounts=0, amount=D("7.00"), tier="-10%",
        expires_on=dt.date(2030, 1, 1), with_voucher=True, booked=True,
    )  # fmt: skip
    return customer


def test_xlsx_has_one_typed_sheet_per_section(books):
    workbook = load_workbook(io.BytesIO(finance_export(fmt="xlsx", incident=books["storage"]).content))

    assert workbook.sheetnames == [
        "Totals", "Reconciliation", "Compensations", "By server", "By storage volume", "By product",
        "By language", "By tier", "Redemptions by day", "Voucher amounts", "Claims",
    ]  # fmt: skip
    totals = workbook["Totals"]
    assert totals.freeze_panes == "A2"
    assert [c.value for c in totals[1]] == [
        "currency", "issued", "redeemed", "redeemed as account balance", "redeemed as service extension", "redeemed as partner voucher",
        "redeemed as donation", "expired", "void", "adjusted", "outstanding",
    ]  # fmt: skip
    assert totals[1][0].font.bold
    chf = [c.value for c in totals[2]]
    assert chf == ["CHF", 75, 50, 50, 0, 0, 0, 0, 5, 0, 20]
    assert all(c.number_format == "#,##0.00" for c in totals[2][1:])
    assert [c.value for c in totals[3]] == ["EUR", 10, 0, 0, 0, 0, 0, 10, 0, 0, 0]
    assert totals.max_row == 3
    servers = workbook["By server"]
    assert [[c.value for c in row] for row in servers.iter_rows(min_row=2)] == [
        ["s1", "CHF", 2, 2, 25, 0, 0, 5, 20],
        ["s2", "CHF", 2, 2, 70, 50, 0, 0, 20],
        ["s3", "EUR", 1, 1, 10, 0, 10, 0, 0],
    ]
    assert isinstance(servers["C2"].value, int)
    reconciliation = workbook["Reconciliation"]
    assert {row[5].value for row in reconciliation.iter_rows(min_row=2)} == {"yes"}
    redemptions = workbook["Redemptions by day"]
    assert redemptions["A2"].is_date and redemptions["A2"].number_format == "DD.MM.YYYY"
    assert redemptions["B2"].value == "CHF account balance" and redemptions["C2"].value == 50


def test_overall_xlsx_has_the_incident_sheet(books):
    workbook = load_workbook(io.BytesIO(finance_export(fmt="xlsx").content))

    rows = [[c.value for c in row][:4] for row in workbook["By incident"].iter_rows(min_row=2)]
    assert rows == [["other", "Storage outage", "CHF", 100], ["storage", "Storage outage", "CHF", 75],
                    ["storage", "Storage outage", "EUR", 10]]  # fmt: skip


def test_formula_like_cells_are_neutralised(evil_product, books):
    workbook = load_workbook(io.BytesIO(sections_xlsx(report_sections(report_data(incident=books["storage"])))))

    products = [row[0].value for row in workbook["By product"].iter_rows(min_row=2)]
    tiers = [row[0].value for row in workbook["By tier"].iter_rows(min_row=2)]
    assert '\'=HYPERLINK("http://x")' in products
    assert "'-10%" in tiers
    assert all(row[0].data_type == "s" for row in workbook["By product"].iter_rows(min_row=2))
    csv_text = finance_export(fmt="csv", incident=books["storage"], section="by_product").content.decode()
    assert '"\'=HYPERLINK(""http://x"")",CHF,1,1,7.00' in csv_text


def test_csv_section(books):
    content = finance_export(fmt="csv", incident=books["storage"], section="totals").content.decode()

    assert list(csv.reader(io.StringIO(content))) == [
        ["currency", "issued", "redeemed", "redeemed as account balance", "redeemed as service extension", "redeemed as partner voucher",
         "redeemed as donation", "expired", "void", "adjusted", "outstanding"],
        ["CHF", "75.00", "50.00", "50.00", "0.00", "0.00", "0.00", "0.00", "5.00", "0.00", "20.00"],
        ["EUR", "10.00", "0.00", "0.00", "0.00", "0.00", "0.00", "10.00", "0.00", "0.00", "0.00"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("book", "kind", "amount", "expected"),
    [
        ("voucher", "issue", D("10"), ("6000", "2000")),
        ("voucher", "topup", D("5"), ("6000", "2000")),
        ("voucher", "redeem", D("-10"), None),
        ("balance", "redeem", D("10"), ("2000", "2100")),
        ("extension", "redeem", D("10"), ("2000", "2200")),
        ("partner", "redeem", D("10"), ("2000", "2300")),
        ("voucher", "expire", D("-10"), ("2000", "3000")),
        ("voucher", "void", D("-10"), ("2000", "6000")),
        ("voucher", "adjust", D("2"), ("6000", "2000")),
        ("voucher", "adjust", D("-2"), ("2000", "6000")),
        ("balance", "adjust", D("-2"), None),
    ],
)
def test_journal_accounts(book, kind, amount, expected):
    assert journal_accounts(book, kind, amount, ACCOUNTS) == expected


def test_journal_export(books, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "ACCOUNTS": ACCOUNTS}

    content = finance_export(fmt="journal", incident=books["storage"]).content.decode()

    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == list(JOURNAL_HEADERS)
    v = {name: books[name].pk for name in ("v1", "v2", "v3", "v4")}
    assert [row[1:6] for row in rows[1:]] == [
        ["6000", "2000", "20.00", "CHF", f"voucher:{v['v1']}:issue"],
        ["6000", "2000", "50.00", "CHF", f"voucher:{v['v2']}:issue"],
        ["2000", "2100", "50.00", "CHF", f"voucher:{v['v2']}:redeem:target"],
        ["6000", "2000", "10.00", "EUR", f"voucher:{v['v3']}:issue"],
        ["6000", "2000", "5.00", "CHF", f"voucher:{v['v4']}:issue"],
        ["2000", "3000", "10.00", "EUR", f"voucher:{v['v3']}:expire"],
        ["2000", "6000", "5.00", "CHF", f"voucher:{v['v4']}:void"],
    ]
    assert len(rows[1][0]) == 10  # an ISO date
    customers = {name: books[name].customer.number for name in ("v1", "v2", "v3", "v4")}
    assert [row[7] for row in rows[1:]] == [customers[v] for v in ("v1", "v2", "v2", "v3", "v4", "v3", "v4")]
    redeemed = rows[3][6]
    assert redeemed.startswith("Voucher redeemed (account balance), customer " + customers["v2"])
    assert f"incident storage, voucher {format_code(books['v2'].code)}" in redeemed  # the whole code, grouped


def test_journal_texts_are_in_the_providers_language_whoever_exports(books, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "ACCOUNTS": ACCOUNTS}
    settings.LANGUAGE_CODE = "de"

    with translation.override("fr"):
        content = finance_export(fmt="journal", incident=books["storage"]).content.decode()

    texts = [row[6] for row in list(csv.reader(io.StringIO(content)))[1:]]
    assert texts[0].startswith(f"Gutschein ausgestellt, Kunde {books['v1'].customer.number}, Vorfall storage, ")
    assert texts[2].startswith("Gutschein eingelöst (Kontoguthaben), Kunde")
    assert not any("Bon " in text or "client " in text for text in texts)
    assert texts[-1].endswith("; Grund: wrong customer")  # the void names its reason


def test_csv_for_swiss_spreadsheets_has_semicolons_and_a_byte_order_mark(books, finance_user):
    content = finance_export(
        fmt="csv", incident=books["storage"], section="totals", csv_style="semicolon", by=finance_user
    ).content

    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[1] == "CHF;75.00;50.00;50.00;0.00;0.00;0.00;0.00;5.00;0.00;20.00"
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))[0][0] == "currency"
    assert AuditEntry.objects.get(action="finance.export").data["csv_style"] == "semicolon"
    journal = finance_export(fmt="journal", incident=books["storage"], csv_style="semicolon").content
    assert journal.startswith(b"\xef\xbb\xbfdate;debit_account;")
    with pytest.raises(ExportRefused, match="unknown CSV style 'tab'"):
        finance_export(fmt="csv", incident=books["storage"], csv_style="tab")


def test_pdf_summary_names_the_figures(books):
    pdf = finance_export(fmt="pdf", incident=books["storage"]).content

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Finance report" in text and "storage" in text
    assert "reconciles with the ledger" in text
    assert "75.00" in text and "20.00" in text
    assert "Hostnotify Hosting AG" in text  # the brand header
    assert "Still owed on vouchers in CHF, end of day" in text and "Voucher amounts by tier in CHF" in text


def test_pdf_tables_right_align_swiss_formatted_numbers(books):
    data = report_data(incident=books["storage"])
    with translation.override("de"):
        html = render_to_string(
            "pdf/finance_report.html",
            {"brand": pdf_brand(), "data": data, "report": data.report, "sections": report_sections(data),
             "charts": {}, "generated_at": dt.datetime(2026, 12, 7, tzinfo=dt.UTC)},
        )  # fmt: skip

    assert '<th class="num">ausgestellt</th>' in html
    assert '<td class="num">75.00</td>' in html
    assert "<td>CHF</td>" in html  # text stays left


def test_every_export_is_audited(books, finance_user):
    finance_export(fmt="csv", incident=books["storage"], section="by_tier", by=finance_user)

    entry = AuditEntry.objects.get(action="finance.export")
    assert (entry.actor, entry.incident, entry.data["format"], entry.data["section"]) == (
        finance_user,
        books["storage"],
        "csv",
        "by_tier",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "docx"}, "unknown format 'docx'"),
        ({"fmt": "csv", "section": "nope"}, "unknown section 'nope'"),
    ],
)
def test_bad_exports_are_refused_and_not_audited(db, kwargs, message):
    with pytest.raises(ExportRefused, match=message):
        finance_export(**kwargs)
    assert not AuditEntry.objects.exists()


def test_command_writes_the_file(books, tmp_path):
    target = tmp_path / "report.xlsx"

    call_command("export_finance", "storage", "--format", "xlsx", "-o", str(target))

    assert load_workbook(target)["Totals"]["B2"].value == 75
    assert AuditEntry.objects.get(action="finance.export").actor_label == "command"


def test_command_refuses_an_unknown_incident(db):
    with pytest.raises(CommandError, match="no incident with the slug 'nope'"):
        call_command("export_finance", "nope", "--format", "csv")
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_finance", "--format", "journal", "--since", "yesterday")
