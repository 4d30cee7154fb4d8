"""Replays the import findings (9 of 47 malformed files crashed with a traceback and no line, and
a 100 kB name was cut to 200 characters): now every one is refused with its file, line and
reason, nothing is written, and nothing is ever cut short. A fuzz test feeds random bytes and
near-valid rows to both importers."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Contact, Customer, HostingAccount, Placement, Server, StorageVolume
from campaigns.models import Incident, OutageWindow

pytestmark = pytest.mark.django_db

SERVERS = "name,hostname,storage_volume,datacenter\nserver19,server19.example.ch,stor-a,ZH\n"
CUSTOMERS = "number,name,email,language,currency\nK1,Anna Müller,anna@example.ch,de,CHF\n"
ACCOUNTS = (
    "account,customer_number,product,monthly_fee,server,active_from,active_until\n"
    "web1,K1,Webhosting Pro,24.90,server19,2004-05-01,\n"
)
WINDOWS = "incident,title,target_type,target,start,end\nxmas-2005,Speicherausfall,server,server19,31.12.2005 23:30,02.01.2006 19:00\n"
ERROR_LINE = re.compile(r"^  (servers|customers|accounts|windows)\.csv(:\d+)?: \S")


def snapshot():
    return tuple(
        model.objects.count() for model in (StorageVolume, Server, Customer, Contact, HostingAccount, Placement)
    ) + (Incident.objects.count(), OutageWindow.objects.count())


def run(command: str, tmp_path, files: dict[str, bytes], *extra) -> tuple[str, str]:
    args = []
    for option, data in files.items():
        path = tmp_path / f"{option}.csv"
        path.write_bytes(data)
        args += [str(path)] if option == "windows" else [f"--{option}", str(path)]
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, *extra, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def errors_of(command, tmp_path, files, *extra) -> list[str]:
    before = snapshot()
    err = io.StringIO()
    args = []
    for option, data in files.items():
        path = tmp_path / f"{option}.csv"
        path.write_bytes(data)
        args += [str(path)] if option == "windows" else [f"--{option}", str(path)]
    with pytest.raises(CommandError, match=r"bad row\(s\): nothing was imported"):
        call_command(command, *args, *extra, stdout=io.StringIO(), stderr=err, verbosity=0)
    assert snapshot() == before
    return err.getvalue().splitlines()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            CUSTOMERS.encode("latin-1"),
            "  customers.csv:2: file is not UTF-8 (it looks like Latin-1/Windows-1252): byte 0xfc at line 2; "
            "save it as UTF-8 or give --encoding",
        ),
        (
            CUSTOMERS.encode("utf-16"),
            "  customers.csv:1: file is not UTF-8 (it looks like UTF-16): byte 0xff at line 1; "
            "save it as UTF-8 or give --encoding",
        ),
        (CUSTOMERS.replace("Anna", "An\x00na").encode(), "  customers.csv:2: name: contains a NUL byte"),
        (
            CUSTOMERS.replace("Anna Müller", "A" * 100_000).encode(),
            "  customers.csv:2: name: 100000 characters, at most 200 allowed",
        ),
        (
            CUSTOMERS.replace("K1,", "K" * 40 + ",").encode(),
            "  customers.csv:2: number: 40 characters, at most 32 allowed",
        ),
    ],
)
def test_bad_customer_files_are_refused_with_file_line_and_reason(tmp_path, data, expected):
    assert errors_of("import_inventory", tmp_path, {"customers": data}) == [expected]


def test_long_account_ids_and_titles_are_row_errors(tmp_path):
    run("import_inventory", tmp_path, {"servers": SERVERS.encode(), "customers": CUSTOMERS.encode()})
    long_account = ACCOUNTS.replace("web1,", "w" * 101 + ",").encode()
    assert errors_of("import_inventory", tmp_path, {"accounts": long_account}) == [
        "  accounts.csv:2: account: 101 characters, at most 100 allowed"
    ]
    long_title = WINDOWS.replace("Speicherausfall", "T" * 100_000).encode()
    assert errors_of("import_outages", tmp_path, {"windows": long_title}) == [
        "  windows.csv:2: title: 100000 characters, at most 200 allowed"
    ]


def test_utf8_with_bom_is_accepted_and_encoding_option_reads_latin1(tmp_path):
    run("import_inventory", tmp_path, {"customers": b"\xef\xbb\xbf" + CUSTOMERS.encode()})
    assert Customer.objects.get().name == "Anna Müller"
    latin = CUSTOMERS.replace("K1,Anna", "K2,Jörg").replace("anna@", "joerg@").encode("latin-1")
    run("import_inventory", tmp_path, {"customers": latin}, "--encoding", "latin-1")
    assert Customer.objects.get(number="K2").name == "Jörg Müller"


def test_outage_file_in_utf16_is_refused(tmp_path):
    run("import_inventory", tmp_path, {"servers": SERVERS.encode()})
    lines = errors_of("import_outages", tmp_path, {"windows": WINDOWS.encode("utf-16")})
    assert lines == [
        "  windows.csv:1: file is not UTF-8 (it looks like UTF-16): byte 0xff at line 1; save it as UTF-8 or give --encoding"
    ]


# --- fuzz --------------------------------------------------------------------------------------

_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "K1", "server19", "stor-a", "24.90", "-1", "1e9", "2004-05-01", "31.02.2006 25:61", "\x00"]),
    st.text(min_size=190, max_size=260),
)


def _near_valid(valid: str) -> st.SearchStrategy[bytes]:
    header, row = valid.rstrip("\n").split("\n")
    width = len(header.split(","))

    @st.composite
    def build(draw):
        rows = []
        for _ in range(draw(st.integers(0, 4))):
            cells = row.split(",")
            for index in draw(st.lists(st.integers(0, width - 1), max_size=3)):
                cells[index] = draw(_cell)
            if draw(st.booleans()) and draw(st.booleans()):
                cells = cells[: draw(st.integers(0, width + 1))]
            rows.append(",".join(cells))
        text = "\n".join([header, *rows]) + "\n"
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
        return text.encode(encoding, errors="replace")

    return build()


_files = st.one_of(st.binary(max_size=300), _near_valid(CUSTOMERS), _near_valid(ACCOUNTS), _near_valid(SERVERS))


def _assert_clean(command: str, tmp_path, files: dict[str, bytes]):
    before = snapshot()
    err = io.StringIO()
    args = []
    for option, data in files.items():
        path = tmp_path / f"{option}.csv"
        path.write_bytes(data)
        args += [str(path)] if option == "windows" else [f"--{option}", str(path)]
    try:
        call_command(command, *args, stdout=io.StringIO(), stderr=err, verbosity=0)
    except CommandError as exc:
        assert "nothing was imported" in str(exc)
        assert snapshot() == before
        lines = err.getvalue().splitlines()
        assert lines and all(ERROR_LINE.match(line) or line.startswith("  … and") for line in lines), lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(servers=_files, customers=_files, accounts=_files)
def test_fuzzed_inventory_files_end_in_a_clean_error_or_success(tmp_path, servers, customers, accounts):
    _assert_clean("import_inventory", tmp_path, {"servers": servers, "customers": customers, "accounts": accounts})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(windows=st.one_of(st.binary(max_size=300), _near_valid(WINDOWS)))
def test_fuzzed_outage_files_end_in_a_clean_error_or_success(tmp_path, windows):
    _assert_clean("import_outages", tmp_path, {"windows": windows})
