"""Outage import: validation, idempotence, exposure recomputation, the commands around it."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from accounts.services.inventory import ImportRejected, inventory_import
from campaigns.incidents.outages import outages_import
from campaigns.models import Exposure, Incident, OutageWindow
from tests.accounts.test_inventory_import import ACCOUNTS, CUSTOMERS, SERVERS
from tests.factories import utc

pytestmark = pytest.mark.django_db

WINDOWS = """incident,title,target_type,target,start,end
xmas-2005,Storage outage,volume,stor-a,31.12.2005 23:30,02.01.2006 19:00
xmas-2005,Storage outage,volume,stor-b,31.12.2005 23:30,04.01.2006 09:30
"""


@pytest.fixture(autouse=True)
def inventory():
    inventory_import(servers=io.StringIO(SERVERS), customers=io.StringIO(CUSTOMERS), accounts=io.StringIO(ACCOUNTS))


def test_import_creates_incident_windows_and_exposure():
    summary = outages_import(source=io.StringIO(WINDOWS))
    assert summary.incidents_created == ["xmas-2005"]
    incident = Incident.objects.get(slug="xmas-2005")
    assert incident.windows.count() == 2
    # web1 moved from server19 (stor-a) to server03 (stor-b) at 01.01.2006 12:00, in both windows
    exposure = Exposure.objects.get(account__name="web1")
    assert exposure.intervals == [
        ["2005-12-31T22:30:00+00:00", "2006-01-01T11:00:00+00:00", "server19"],
        ["2006-01-01T11:00:00+00:00", "2006-01-04T08:30:00+00:00", "server03"],
    ]
    assert not Exposure.objects.filter(account__name="web2").exists()  # mx01 has no volume


def test_reimport_changes_nothing_and_keeps_exposure_rows():
    outages_import(source=io.StringIO(WINDOWS))
    before = list(Exposure.objects.values_list("id", "affected_seconds"))
    summary = outages_import(source=io.StringIO(WINDOWS))
    assert summary.incidents_unchanged == ["xmas-2005"] and not summary.exposure
    assert list(Exposure.objects.values_list("id", "affected_seconds")) == before


def test_changed_windows_replace_the_old_ones_and_recompute():
    outages_import(source=io.StringIO(WINDOWS))
    outages_import(source=io.StringIO(WINDOWS.replace("04.01.2006 09:30", "03.01.2006 09:30")))
    assert list(OutageWindow.objects.filter(volume__name="stor-b").values_list("end", flat=True)) == [
        utc(2006, 1, 3, 8, 30)
    ]
    assert Exposure.objects.get(account__name="web1").intervals[-1][1] == "2006-01-03T08:30:00+00:00"


def test_ongoing_window_has_no_end():
    outages_import(source=io.StringIO(WINDOWS + "xmas-2005,Storage outage,server,mx01,05.01.2006 10:00,\n"))
    assert OutageWindow.objects.get(server__name="mx01").end is None


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("xmas-2005,Storage outage,server,server77,2006-01-01,", "windows.csv:4: unknown server 'server77'"),
        ("xmas-2005,Storage outage,volume,stor-z,2006-01-01,", "windows.csv:4: unknown storage volume 'stor-z'"),
        ("xmas-2005,Storage outage,rack,r1,2006-01-01,", "windows.csv:4: bad target_type 'rack' (server or volume)"),
        (
            "xmas-2005,Storage outage,server,server19,02.01.2006 10:00,02.01.2006 09:00",
            "windows.csv:4: end 02.01.2006 09:00 is not after start 02.01.2006 10:00",
        ),
        (
            "xmas-2005,Other title,server,server19,2006-01-01,",
            "windows.csv:4: incident 'xmas-2005' has title 'Other title' here but 'Storage outage' on line 2",
        ),
        (
            "Xmas 2005,Storage outage,server,server19,2006-01-01,",
            "windows.csv:4: bad incident slug 'Xmas 2005' (lower-case letters, digits and dashes)",
        ),
    ],
)
def test_bad_rows_import_nothing(row, reason):
    with pytest.raises(ImportRejected) as excinfo:
        outages_import(source=io.StringIO(WINDOWS + row + "\n"))
    assert reason in [str(e) for e in excinfo.value.errors]
    assert not Incident.objects.exists() and not OutageWindow.objects.exists() and not Exposure.objects.exists()


def test_commands_import_and_report(tmp_path):
    path = tmp_path / "windows.csv"
    path.write_text(WINDOWS)
    out = io.StringIO()
    call_command("import_outages", str(path), stdout=out, stderr=io.StringIO())
    assert "xmas-2005: 1 account(s) of 1 customer(s) affected" in out.getvalue()
    report = tmp_path / "exposure.csv"
    call_command("report_exposure", "xmas-2005", output=str(report), stderr=io.StringIO(), verbosity=0)
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["customer_number"], r["account"], r["servers"], r["affected_seconds"]) for r in rows] == [
        ("K1", "web1", "server19, server03", str(82 * 3600))
    ]


def test_report_neutralises_formula_like_cells(tmp_path):
    from accounts.models import Customer

    outages_import(source=io.StringIO(WINDOWS))
    Customer.objects.filter(number="K1").update(name='=HYPERLINK("http://evil")')
    report = tmp_path / "exposure.csv"
    call_command("report_exposure", "xmas-2005", output=str(report), stderr=io.StringIO(), verbosity=0)
    (row,) = csv.DictReader(report.open(encoding="utf-8"))
    assert row["customer_name"] == '\'=HYPERLINK("http://evil")'


def test_report_unknown_incident_is_a_clear_error():
    with pytest.raises(CommandError, match="unknown incident 'nope'"):
        call_command("report_exposure", "nope")


@pytest.mark.django_db(transaction=True)  # real commits: the mailing's batch tasks are queued on commit
def test_load_demo_runs_end_to_end(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", customers=200, stdout=out, stderr=io.StringIO())
    incident = Incident.objects.get(slug="storage-christmas-2005")
    assert incident.windows.count() == 4
    assert Exposure.objects.filter(incident=incident).count() > 150
    output = out.getvalue()
    assert "/portal/login/" in output and "support-2005" in output
    assert "approved" in output and "sent" in output and "demo redemptions" in output
    # the pipeline ran: vouchers issued, every affected customer got the apology, some redeemed
    from campaigns.models import Delivery, Voucher

    assert Voucher.objects.filter(compensation__incident=incident).count() > 150
    assert Delivery.objects.filter(mailing__incident=incident, status="sent").count() > 150
    assert Voucher.objects.filter(status="redeemed").exists()
    # support published the imported incident; the compensation had two people
    incident.refresh_from_db()
    assert incident.public is True
    compensation = incident.compensations.select_related("prepared_by", "approved_by").first()
    assert (compensation.prepared_by.username, compensation.approved_by.username) == ("admin", "finance")
    # all four forms in force (two finance users), partner pools seeded, each form taken, books reconciled
    from campaigns.finance.reports import finance_report
    from campaigns.models import OfferSettings, PartnerCode, Redemption

    offer = OfferSettings.objects.select_related("proposed_by", "decided_by").get(incident=incident, status="approved")
    assert offer.forms == ["balance", "extension", "partner", "donation"]
    assert (offer.proposed_by.username, offer.decided_by.username) == ("finance2", "finance")
    assert PartnerCode.objects.filter(handed_out_at__isnull=True).count() > 300
    assert set(Redemption.objects.values_list("form", flat=True)) == {"balance", "extension", "partner", "donation"}
    assert finance_report(incident=incident).reconciled
    # the demo incident has its title in the four languages, and a German customer reads German
    from campaigns.demo.data import TITLES
    from campaigns.mailings.letters import render_preview

    assert {language: incident.title_in(language) for language in TITLES} == TITLES
    german = Exposure.objects.filter(incident=incident, customer__language="de").first().customer
    letter = render_preview(None, german, incident=incident)
    assert letter.subject.startswith(TITLES["de"]) and TITLES["en"] not in letter.text + letter.html
    # running it again changes nothing and sends nothing twice
    call_command("load_demo", customers=200, stdout=io.StringIO(), stderr=io.StringIO())
    assert (
        Delivery.objects.filter(mailing__incident=incident).count()
        == Delivery.objects.filter(mailing__incident=incident, status="sent").count()
    )
    assert incident.mailings.count() == 1
    assert OfferSettings.objects.filter(incident=incident).count() == 1
    assert PartnerCode.objects.count() == 322
    # server19 sits on the first volume: its accounts were down from 31.12.2005 23:30 to 02.01.2006 19:00
    on19 = Exposure.objects.filter(incident=incident, servers=["server19"]).first()
    assert ["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server19"] in on19.intervals


def test_titles_in_four_languages_from_the_optional_columns():
    # given a file with the title in each language, French left empty
    rows = WINDOWS.splitlines()
    source = "\n".join(
        [rows[0] + ",title_de,title_it,title_fr,title_en"]
        + [row + ",Speicherausfall,Guasto di storage,,Storage outage EN" for row in rows[1:]]
    )

    # when it is imported
    outages_import(source=io.StringIO(source + "\n"))

    # then each reader gets their language, French the incident's default language (German)
    incident = Incident.objects.get(slug="xmas-2005")
    assert [incident.title_in(language) for language in ("de", "fr", "it", "en")] == [
        "Speicherausfall",
        "Speicherausfall",
        "Guasto di storage",
        "Storage outage EN",
    ]


def test_plain_title_stands_for_the_default_language_and_a_later_file_adds_languages():
    outages_import(source=io.StringIO(WINDOWS))
    incident = Incident.objects.get(slug="xmas-2005")
    assert [incident.title_in(language) for language in ("de", "fr", "it", "en")] == ["Storage outage"] * 4

    rows = WINDOWS.splitlines()
    summary = outages_import(
        source=io.StringIO("\n".join([rows[0] + ",title_fr"] + [row + ",Panne de stockage" for row in rows[1:]]))
    )

    incident.refresh_from_db()
    assert summary.incidents_unchanged == ["xmas-2005"]
    assert incident.title_in("fr") == "Panne de stockage"
    assert incident.title_in("de") == "Storage outage"


def test_an_unknown_title_column_is_refused():
    rows = WINDOWS.splitlines()
    source = "\n".join([rows[0] + ",title_es"] + [row + ",Caída" for row in rows[1:]])
    with pytest.raises(ImportRejected) as rejected:
        outages_import(source=io.StringIO(source))
    assert [str(error) for error in rejected.value.errors] == [
        "windows.csv:1: wrong header (unexpected title_es); expected: incident,title,target_type,target,start,end"
    ]
    assert not Incident.objects.exists()
