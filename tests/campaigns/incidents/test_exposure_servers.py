"""The servers of an exposure are data: a list, filtered by whole names, shown as "a, b" everywhere."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from campaigns.incidents.models import Exposure
from campaigns.incidents.selectors import exposure_on_servers
from campaigns.mailings.letters import render_preview
from tests.campaigns.portal.test_views import signed_in, text
from tests.factories import (
    AffectedCustomerFactory,
    CustomerFactory,
    ExposureFactory,
    HostingAccountFactory,
    IncidentFactory,
)

pytestmark = pytest.mark.django_db

MOVED = [
    ["2005-12-31T22:30:00+00:00", "2006-01-01T04:00:00+00:00", "server11"],
    ["2006-01-01T04:00:00+00:00", "2006-01-02T18:00:00+00:00", "server02"],
]


@pytest.fixture
def exposures():
    incident = IncidentFactory(slug="xmas")
    made = {}
    for account, servers in (("a1", ["server1"]), ("a19", ["server19"]), ("a11-02", ["server11", "server02"])):
        made[account] = ExposureFactory(incident=incident, account__name=account, servers=servers)
    return incident, made


def _accounts(queryset) -> list[str]:
    return sorted(queryset.values_list("account__name", flat=True))


def test_filter_matches_whole_server_names_only(exposures):
    incident, _ = exposures
    on = Exposure.objects.filter(incident=incident)
    assert _accounts(on.filter(exposure_on_servers(["server1"]))) == ["a1"]
    assert _accounts(on.filter(exposure_on_servers(["server02"]))) == ["a11-02"]
    assert _accounts(on.filter(exposure_on_servers(["server19", "server11"]))) == ["a11-02", "a19"]
    assert _accounts(on.filter(exposure_on_servers(["server"]))) == []
    assert _accounts(on.filter(exposure_on_servers([]))) == []


def test_filter_composes_with_other_conditions_and_negation(exposures):
    incident, _ = exposures
    on = Exposure.objects.filter(incident=incident)
    assert _accounts(on.exclude(exposure_on_servers(["server1", "server02"]))) == ["a19"]
    assert _accounts(on.filter(exposure_on_servers(["server11"]), account__name__startswith="a1")) == ["a11-02"]


def test_console_lists_both_servers_of_a_moved_account(client, support_user, exposures):
    incident, _ = exposures
    client.force_login(support_user)
    html = client.get(reverse("console:incident", args=[incident.slug]), {"server": "server02"}).content.decode()
    assert "<td>server11, server02</td>" in html
    assert "<td>server19</td>" not in html


def test_portal_shows_both_servers_with_one_separator():
    incident = IncidentFactory(slug="christmas-2005")
    customer = AffectedCustomerFactory(
        incident=incident, language="en", accounts={"web-moved": MOVED}, with_voucher=True
    ).customer
    contact = customer.contacts.get()
    page = text(signed_in(contact, "en").get(reverse("portal:incident", args=["christmas-2005"])))
    assert "Server: server11, server02 · down for" in page


def test_letter_lists_both_servers_of_a_moved_account():
    incident = IncidentFactory(title="Outage")
    customer = AffectedCustomerFactory(incident=incident, accounts={"web-moved": MOVED}, with_voucher=True).customer
    content = {
        "de": {
            "subject": "x",
            "body": "{% for account in accounts %}{{ account.name }}: {{ account.servers }}{% endfor %}",
        }
    }
    assert render_preview(content, customer, incident=incident).text.strip() == "web-moved: server11, server02"


def test_csv_report_lists_both_servers(tmp_path):
    incident = IncidentFactory(slug="moved")
    AffectedCustomerFactory(incident=incident, number="K7", accounts={"web-moved": MOVED}, with_voucher=True)
    report = tmp_path / "exposure.csv"
    call_command("report_exposure", "moved", output=str(report), stderr=io.StringIO(), verbosity=0)
    (row,) = csv.DictReader(report.open(encoding="utf-8"))
    assert (row["account"], row["servers"]) == ("web-moved", "server11, server02")


@pytest.mark.django_db(transaction=True)
def test_migration_turns_the_joined_string_into_a_list():
    # given exposures stored by the previous schema, as ", "-joined text
    after = ("campaigns", "0007_exposure_servers_list")
    executor = MigrationExecutor(connection)
    before = executor.loader.graph.node_map[after].parents
    targets = [(parent.key[0], parent.key[1]) for parent in before if parent.key[0] == "campaigns"]
    executor.migrate(targets)
    old = executor.loader.project_state(targets).apps
    customer = CustomerFactory()
    incident = old.get_model("campaigns", "Incident").objects.create(slug="old", title="Old outage")
    OldExposure = old.get_model("campaigns", "Exposure")
    for name, servers, intervals in (
        ("web-moved", "server11, server02", MOVED),
        ("web-plain", "server19", [["2006-01-01T00:00:00+00:00", "2006-01-01T02:00:00+00:00", "server19"]]),
        ("web-bare", "server3,  server4", []),
    ):
        OldExposure.objects.create(
            incident_id=incident.pk,
            account_id=HostingAccountFactory(name=name, customer=customer).pk,
            customer_id=customer.pk,
            affected_seconds=3600,
            intervals=intervals,
            servers=servers,
            computed_at=timezone.now(),
        )
    # when the migration runs
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    new = executor.loader.project_state([after]).apps
    # then each row holds the names as a list, in order of first appearance
    rows = new.get_model("campaigns", "Exposure").objects.order_by("account__name")
    assert [(row.account.name, row.servers) for row in rows] == [
        ("web-bare", ["server3", "server4"]),
        ("web-moved", ["server11", "server02"]),
        ("web-plain", ["server19"]),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_joined_string_is_refused_rather_than_stored():
    with (
        pytest.raises(TypeError, match="servers takes a list of names, not 'server11, server02'"),
        transaction.atomic(),
    ):
        ExposureFactory(servers="server11, server02")
    assert not Exposure.objects.exists()
