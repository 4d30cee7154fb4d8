"""compensate and export_compensation from the command line."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.core.management import CommandError, call_command

from campaigns.incidents.exposure import exposure_recompute
from campaigns.models import Compensation, Voucher
from tests.factories import CustomerFactory, IncidentFactory, OutageWindowFactory, PlacementFactory, utc


@pytest.fixture(autouse=True)
def preparer(db, django_user_model):
    """The finance colleague who prepares the amounts on the command line (--by)."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("preparer", "prep@example.ch", "pw-prep-1", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


@pytest.fixture
def incident(db):
    incident = IncidentFactory(slug="xmas-2005")
    for number, (hours, fee, currency) in enumerate(
        [
            (0.5, "50.00", "CHF"),
            (2, "20.00", "CHF"),
            (10, "100.00", "CHF"),
            (30, "80.00", "EUR"),
            (100, "500.00", "CHF"),
        ]
    ):
        name = "=HYPERLINK(evil)" if number == 2 else f"Kunde {number}"
        placement = PlacementFactory(
            account__customer=CustomerFactory(number=f"K{number}", name=name, currency=currency),
            account__monthly_fee=Decimal(fee),
        )
        start = utc(2006, 1, 1)
        OutageWindowFactory(
            incident=incident, server=placement.server, start=start, end=start + dt.timedelta(hours=hours)
        )
    exposure_recompute(incident=incident)
    return incident


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_prints_tiers_distribution_totals_and_largest_and_stores_nothing(incident):
    output = run("compensate", "xmas-2005", "--dry-run")

    assert Compensation.objects.count() == 0
    assert "5 affected customers" in output
    assert "     72h         1" in output
    assert "    none         1" in output
    assert "CHF 530.00" in output  # 5.00 + 25.00 + 500.00
    assert "EUR 40.00" in output
    assert output.index("K4") < output.index("K3") < output.index("K2")


def test_real_run_prepares_then_approves_as_finance(incident, finance_user):
    output = run("compensate", "xmas-2005", "--by", "preparer", "--approve-as", finance_user.username)

    assert "5 created" in output
    assert "issued 4 vouchers" in output
    assert set(Compensation.objects.values_list("status", flat=True)) == {"approved"}
    assert Voucher.objects.count() == 4

    again = run("compensate", "xmas-2005", "--by", "preparer", "--approve-as", finance_user.username)
    assert "0 created, 0 recomputed, 5 unchanged" in again
    assert "nothing to approve" in again
    assert Voucher.objects.count() == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no incident"),
        (["xmas-2005", "--policy", "generous"], "no compensation policy"),
        (["xmas-2005", "--by", "preparer", "--approve-as", "ghost"], "no user"),
        (["xmas-2005", "--by", "ghost"], "no user"),
        (["xmas-2005", "--approve-as", "preparer"], "--approve-as needs --by"),
        (["xmas-2005", "--by", "preparer", "--approve-as", "preparer"], "may not also approve"),
    ],
)
def test_compensate_bad_input(incident, args, message):
    with pytest.raises(CommandError, match=message):
        run("compensate", *args)
    assert Compensation.objects.count() == 0


def test_compensate_refuses_approval_by_non_finance(incident, support_user):
    with pytest.raises(CommandError, match="approval refused"):
        run("compensate", "xmas-2005", "--by", "preparer", "--approve-as", support_user.username)
    assert set(Compensation.objects.values_list("status", flat=True)) == {"draft"}


def test_export_csv_columns_and_neutralised_names(incident, finance_user, tmp_path):
    run("compensate", "xmas-2005", "--by", "preparer", "--approve-as", finance_user.username)
    target = tmp_path / "out.csv"

    run("export_compensation", "xmas-2005", "--format", "csv", "-o", str(target))

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert list(rows[0]) == [
        "incident",
        "customer_number",
        "customer_name",
        "language",
        "currency",
        "affected_seconds",
        "amount",
        "tier",
        "status",
        "policy",
        "voucher_code",
        "voucher_status",
        "voucher_expires_on",
        "approved_at",
    ]
    by_number = {row["customer_number"]: row for row in rows}
    assert by_number["K2"]["customer_name"] == "'=HYPERLINK(evil)"
    assert (by_number["K2"]["amount"], by_number["K2"]["currency"], by_number["K2"]["affected_seconds"]) == (
        "25.00",
        "CHF",
        "36000",
    )
    code = Voucher.objects.get(customer__number="K2").code
    assert by_number["K2"]["voucher_code"] == f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}"
    assert by_number["K2"]["voucher_status"] == "issued"
    assert by_number["K0"]["voucher_code"] == ""


def test_export_xlsx_typed_and_pdf_readable(incident, finance_user, tmp_path):
    run("compensate", "xmas-2005", "--by", "preparer", "--approve-as", finance_user.username)
    run("export_compensation", "xmas-2005", "--format", "xlsx", "-o", str(tmp_path / "out.xlsx"))
    run("export_compensation", "xmas-2005", "--format", "pdf", "-o", str(tmp_path / "out.pdf"))

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    header = [cell.value for cell in sheet[1]]
    k4 = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "K4")
    assert k4[header.index("amount")].value == 500
    assert k4[header.index("amount")].data_type == "n"
    assert k4[header.index("voucher_expires_on")].is_date
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / "out.pdf").pages)
    assert "xmas-2005" in text
    assert "CHF 530.00" in text
    assert "Hostnotify Hosting AG\nBahnhofstrasse 1, 8001 Zürich · CHE-123.456.789" in text  # the brand header


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--format", "csv"], "no incident"),
        (["xmas-2005", "--format", "csv"], "no compensation yet"),
        (["xmas-2005", "--format", "doc"], "invalid choice"),
    ],
)
def test_export_bad_input(incident, args, message):
    with pytest.raises(CommandError, match=message):
        run("export_compensation", *args)


def test_one_operator_cannot_prepare_and_approve_on_the_command_line(incident, finance_user):
    # given the finding: `compensate --approve-as X` let X prepare and approve alone
    # when X prepares with --by and approves as themself
    with pytest.raises(CommandError, match="may not also approve"):
        run("compensate", "xmas-2005", "--by", finance_user.username, "--approve-as", finance_user.username)
    # then nothing was stored, and drafts X prepared in an earlier run cannot be approved by X either
    assert Compensation.objects.count() == 0
    run("compensate", "xmas-2005", "--by", finance_user.username)
    with pytest.raises(CommandError, match="approval refused: the person who prepared"):
        run("compensate", "xmas-2005", "--by", "preparer", "--approve-as", finance_user.username)
    assert set(Compensation.objects.values_list("status", flat=True)) == {"draft"}
    assert Voucher.objects.count() == 0
