"""Exposure follows the inventory: importing inventory, or changing it in the admin, recomputes the
exposure of every open incident it touches in the same transaction; a frozen incident is reported."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import HostingAccount, Placement, Server
from accounts.services.inventory import inventory_import
from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.incidents.outages import outages_import
from campaigns.models import Exposure, Incident
from tests.accounts.test_inventory_import import ACCOUNTS, CUSTOMERS, SERVERS
from tests.campaigns.incidents.test_outages import WINDOWS
from tests.factories import IncidentFactory, OutageWindowFactory, utc

pytestmark = pytest.mark.django_db

# web3 of K2 appears on server19 (stor-a) after the windows were imported.
LATE_ACCOUNT = ACCOUNTS + "web3,K2,Webhosting Pro,30.00,server19,2005-06-01,\n"


@pytest.fixture
def incident():
    inventory_import(servers=io.StringIO(SERVERS), customers=io.StringIO(CUSTOMERS), accounts=io.StringIO(ACCOUNTS))
    outages_import(source=io.StringIO(WINDOWS))
    return Incident.objects.get(slug="xmas-2005")


def exposed_accounts(incident):
    return sorted(Exposure.objects.filter(incident=incident).values_list("account__name", "affected_seconds"))


def test_an_account_added_later_enters_the_open_incidents_exposure(incident):
    before = exposed_accounts(incident)

    summary = inventory_import(accounts=io.StringIO(LATE_ACCOUNT))

    # stor-a was down 31.12.2005 23:30 – 02.01.2006 19:00: 43.5 h
    assert exposed_accounts(incident) == sorted([*before, ("web3", 43 * 3600 + 1800)])
    assert summary.notes == ["xmas-2005: exposure recomputed — 2 accounts of 2 customers"]


def test_the_import_command_reports_it_and_a_dry_run_changes_nothing(incident, tmp_path, capsys):
    before = exposed_accounts(incident)
    path = tmp_path / "accounts.csv"
    path.write_text(LATE_ACCOUNT, encoding="utf-8")

    call_command("import_inventory", "--accounts", str(path), "--dry-run", verbosity=0)
    assert "dry run — would have xmas-2005: exposure recomputed — 2 accounts of 2 customers" in capsys.readouterr().out
    assert exposed_accounts(incident) == before

    call_command("import_inventory", "--accounts", str(path), verbosity=0)
    assert "xmas-2005: exposure recomputed — 2 accounts of 2 customers" in capsys.readouterr().out
    assert [name for name, _ in exposed_accounts(incident)] == ["web1", "web3"]


def test_a_frozen_incident_keeps_its_exposure_and_is_reported(incident, finance_user):
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    before = exposed_accounts(incident)

    summary = inventory_import(accounts=io.StringIO(LATE_ACCOUNT))

    assert exposed_accounts(incident) == before
    assert summary.notes == ["xmas-2005: inventory changed after approval — run compensate for top-ups"]


def test_incidents_elsewhere_and_closed_ones_are_left_alone(incident):
    other = IncidentFactory(slug="mx-2006")
    OutageWindowFactory(
        incident=other, server=Server.objects.get(name="mx01"), start=utc(2006, 2, 1), end=utc(2006, 2, 2)
    )
    closed = IncidentFactory(slug="old-2004", status=Incident.Status.CLOSED)
    OutageWindowFactory(
        incident=closed, server=Server.objects.get(name="server19"), start=utc(2005, 7, 1), end=utc(2005, 7, 2)
    )

    summary = inventory_import(accounts=io.StringIO(LATE_ACCOUNT))

    assert summary.notes == ["xmas-2005: exposure recomputed — 2 accounts of 2 customers"]
    assert not Exposure.objects.filter(incident__in=[other, closed]).exists()


def test_a_placement_added_in_the_admin_recomputes_the_exposure(incident, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.ch", "pw-root-1")
    client.force_login(admin)
    account = HostingAccount.objects.get(name="web2")  # on mx01 only: not affected

    response = client.post(
        reverse("admin:accounts_placement_add"),
        {"account": account.pk, "server": Server.objects.get(name="server03").pk,
         "active_from_0": "2005-12-01", "active_from_1": "00:00:00", "active_until_0": "", "active_until_1": ""},
        follow=True,
    )  # fmt: skip

    assert response.status_code == 200
    assert Placement.objects.filter(account=account).count() == 2
    assert [name for name, _ in exposed_accounts(incident)] == ["web1", "web2"]
    shown = [str(m) for m in response.context["messages"]]
    assert "xmas-2005: exposure recomputed — 2 accounts of 2 customers" in shown, shown
