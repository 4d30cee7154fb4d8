"""Inventory import: validation of every row, atomicity, idempotence, the command's behaviour."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Contact, Customer, HostingAccount, Placement, Server, StorageVolume
from accounts.services.inventory import ImportRejected, inventory_import
from tests.factories import utc

pytestmark = pytest.mark.django_db

SERVERS = """name,hostname,storage_volume,datacenter
server19,server19.example.ch,stor-a,ZH
server03,server03.example.ch,stor-b,ZH
mx01,mx01.example.ch,,ZH
"""
CUSTOMERS = """number,name,email,language,currency
K1,Anna Müller,anna@example.ch,de,CHF
K2,Élodie Favre,elodie@example.ch,fr,EUR
"""
ACCOUNTS = """account,customer_number,product,monthly_fee,server,active_from,active_until
web1,K1,Webhosting Pro,24.90,server19,2004-05-01,01.01.2006 12:00
web1,K1,Webhosting Pro,24.90,server03,01.01.2006 12:00,
web2,K2,Mail Plus,4.50,mx01,2005-01-01 00:00,
"""


def run(servers=SERVERS, customers=CUSTOMERS, accounts=ACCOUNTS, **kwargs):
    return inventory_import(
        servers=io.StringIO(servers), customers=io.StringIO(customers), accounts=io.StringIO(accounts), **kwargs
    )


def snapshot():
    return (
        list(StorageVolume.objects.values_list("name").order_by("name")),
        list(Server.objects.values_list("name", "hostname", "storage_volume__name").order_by("name")),
        list(Customer.objects.values_list("number", "name", "language", "currency").order_by("number")),
        list(Contact.objects.values_list("customer__number", "email", "role").order_by("email")),
        list(HostingAccount.objects.values_list("name", "customer__number", "product", "monthly_fee").order_by("name")),
        list(
            Placement.objects.values_list("account__name", "server__name", "active_from", "active_until").order_by("id")
        ),
    )


def test_import_creates_everything_with_local_times_in_utc():
    summary = run()
    assert summary.created["customers"] == 2 and summary.created["placements"] == 3
    web1 = list(
        Placement.objects.filter(account__name="web1")
        .order_by("active_from")
        .values_list("server__name", "active_from", "active_until")
    )
    assert web1 == [
        ("server19", utc(2004, 4, 30, 22), utc(2006, 1, 1, 11)),  # CEST midnight, CET noon
        ("server03", utc(2006, 1, 1, 11), None),
    ]
    assert HostingAccount.objects.get(name="web2").monthly_fee == Decimal("4.50")
    assert Contact.objects.get(email="anna@example.ch").role == "primary"
    assert Server.objects.get(name="mx01").storage_volume is None


def test_reimport_changes_nothing():
    run()
    before = snapshot()
    summary = run()
    assert not summary.changed
    assert snapshot() == before


def test_changed_rows_are_updated_in_place():
    run()
    run(customers=CUSTOMERS.replace("Anna Müller", "Anna Keller"), accounts=ACCOUNTS.replace("4.50", "5.00"))
    assert Customer.objects.get(number="K1").name == "Anna Keller"
    assert HostingAccount.objects.get(name="web2").monthly_fee == Decimal("5.00")
    assert Placement.objects.count() == 3


def test_dry_run_writes_nothing():
    summary = run(dry_run=True)
    assert summary.created["customers"] == 2
    assert snapshot() == ([], [], [], [], [], [])


@pytest.mark.parametrize(
    ("kind", "bad_line", "expected"),
    [
        ("customers", "K3,Bad Lang,x@example.ch,es,CHF", "customers.csv:4: bad language 'es' (one of de, fr, it, en)"),
        (
            "customers",
            "K3,Bad Money,x@example.ch,de,SFR",
            "customers.csv:4: unknown currency 'SFR' (ISO 4217, e.g. CHF, EUR)",
        ),
        (
            "customers",
            "K1,Twice,x@example.ch,de,CHF",
            "customers.csv:4: duplicate customer number 'K1' (first on line 2)",
        ),
        ("customers", "K3,No Mail,not-an-address,de,CHF", "customers.csv:4: bad e-mail address 'not-an-address'"),
        ("accounts", "web3,K1,Pro,-5.00,server19,2005-01-01,", "accounts.csv:5: negative fee '-5.00'"),
        ("accounts", "web3,K1,Pro,5.00,server99,2005-01-01,", "accounts.csv:5: unknown server 'server99'"),
        ("accounts", "web3,K9,Pro,5.00,server19,2005-01-01,", "accounts.csv:5: unknown customer 'K9'"),
        (
            "accounts",
            "web3,K1,Pro,5.00,server19,2005-02-01,2005-01-01",
            "accounts.csv:5: active_until 2005-01-01 is not after active_from 2005-02-01",
        ),
        (
            "accounts",
            "web3,K1,Pro,5.00,server19,31.02.2005,",
            "accounts.csv:5: active_from: unparseable date '31.02.2005' (use 2005-12-31 23:30 or 31.12.2005 23:30)",
        ),
        (
            "accounts",
            "web3,K1,Pro,5.00,server19,2006-03-26 02:30,",
            "accounts.csv:5: active_from: '2006-03-26 02:30' does not exist in Europe/Zurich (clocks skipped it for summer time)",
        ),
        (
            "accounts",
            "web1,K1,Webhosting Pro,24.90,mx01,2005-06-01,",
            "accounts.csv:5: placement of account 'web1' overlaps the one on line 2",
        ),
        (
            "accounts",
            "web2,K2,Mail Plus,9.90,server19,2004-01-01,2005-01-01 00:00",
            "accounts.csv:5: account 'web2' has monthly_fee 9.90 here but 4.50 on line 4",
        ),
    ],
)
def test_bad_row_is_reported_with_line_and_nothing_is_imported(kind, bad_line, expected):
    files = {"customers": CUSTOMERS, "accounts": ACCOUNTS}
    files[kind] = files[kind] + bad_line + "\n"
    with pytest.raises(ImportRejected) as excinfo:
        run(**files)
    assert expected in [str(e) for e in excinfo.value.errors]
    assert snapshot() == ([], [], [], [], [], [])


def test_every_bad_row_is_reported_not_just_the_first():
    customers = CUSTOMERS + "K3,A,a@example.ch,xx,CHF\nK4,B,b@example.ch,de,XXX\n"
    with pytest.raises(ImportRejected) as excinfo:
        run(customers=customers)
    assert [str(e) for e in excinfo.value.errors] == [
        "customers.csv:4: bad language 'xx' (one of de, fr, it, en)",
        "customers.csv:5: unknown currency 'XXX' (ISO 4217, e.g. CHF, EUR)",
    ]


def test_wrong_header_is_one_clear_error():
    with pytest.raises(ImportRejected) as excinfo:
        run(customers="number,name,mail,language,currency\nK1,A,a@example.ch,de,CHF\n")
    assert [str(e) for e in excinfo.value.errors] == [
        "customers.csv:1: wrong header (missing email; unexpected mail); expected: number,name,email,language,currency"
    ]


def test_a_bad_row_in_a_later_file_leaves_earlier_files_unimported():
    with pytest.raises(ImportRejected):
        run(accounts=ACCOUNTS + "web9,K1,Pro,abc,server19,2005-01-01,\n")
    assert not Server.objects.exists() and not Customer.objects.exists()


def test_new_primary_address_demotes_the_old_one():
    run()
    run(customers=CUSTOMERS.replace("anna@example.ch", "anna.mueller@example.ch"))
    roles = dict(Contact.objects.filter(customer__number="K1").values_list("email", "role"))
    assert roles == {"anna@example.ch": "technical", "anna.mueller@example.ch": "primary"}


def test_command_reports_errors_and_exits_non_zero(tmp_path):
    (tmp_path / "servers.csv").write_text(SERVERS)
    (tmp_path / "customers.csv").write_text(CUSTOMERS + "K3,X,x@example.ch,es,CHF\n")
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command(
            "import_inventory",
            servers=str(tmp_path / "servers.csv"),
            customers=str(tmp_path / "customers.csv"),
            stderr=stderr,
            stdout=io.StringIO(),
            verbosity=0,
        )
    assert "customers.csv:4: bad language 'es'" in stderr.getvalue()
    assert not Customer.objects.exists()


def test_command_imports_and_summarises(tmp_path):
    for name, text in (("servers", SERVERS), ("customers", CUSTOMERS), ("accounts", ACCOUNTS)):
        (tmp_path / f"{name}.csv").write_text(text)
    out = io.StringIO()
    args = {n: str(tmp_path / f"{n}.csv") for n in ("servers", "customers", "accounts")}
    call_command("import_inventory", **args, stdout=out, stderr=io.StringIO())
    assert "customers: 2 created, 0 updated, 0 unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("import_inventory", **args, stdout=out, stderr=io.StringIO())
    assert "nothing changed" in out.getvalue()


def test_command_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_inventory", customers="/nonexistent.csv", verbosity=0)
