"""Replays "imported incidents go public at once, with internal server and volume names": an
incident from CSV stays off /status/ until support publishes it, and the public pages name
servers and volumes only by the public names chosen for them."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Server, StorageVolume
from campaigns.models import AuditEntry, Incident
from tests.signin import private_cache

pytestmark = pytest.mark.django_db

SERVERS = "name,hostname,storage_volume,datacenter\nsrv-zh-db19,db19.int.example.ch,netapp-a7,ZH\nsrv-zh-web03,web03.int.example.ch,,ZH\n"
WINDOWS = (
    "incident,title,target_type,target,start,end\n"
    "xmas-2005,Speicherausfall,volume,netapp-a7,31.12.2005 23:30,02.01.2006 19:00\n"
    "xmas-2005,Speicherausfall,server,srv-zh-web03,01.01.2006 10:00,01.01.2006 12:00\n"
)


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


@pytest.fixture
def imported(tmp_path):
    (tmp_path / "servers.csv").write_text(SERVERS)
    (tmp_path / "windows.csv").write_text(WINDOWS)
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO(), "verbosity": 0}
    call_command("import_inventory", "--servers", str(tmp_path / "servers.csv"), **quiet)
    call_command("import_outages", str(tmp_path / "windows.csv"), **quiet)
    return Incident.objects.get(slug="xmas-2005")


def test_an_imported_incident_is_not_public_until_support_publishes_it(
    client, imported, support_user, django_capture_on_commit_callbacks
):
    # given an incident just imported from CSV
    assert imported.public is False
    # then /status/ does not show it, its page and feed are 404
    assert "Speicherausfall" not in client.get(reverse("status:index")).content.decode()
    assert client.get(reverse("status:incident", args=["xmas-2005"])).status_code == 404
    assert client.get(reverse("status:incident_feed", args=["xmas-2005"])).status_code == 404
    # when support publishes it from the console
    client.force_login(support_user)
    console = client.get(reverse("console:status", args=["xmas-2005"])).content.decode()
    assert 'data-test="not-public"' in console
    with django_capture_on_commit_callbacks(execute=True):  # the page cache is renewed on commit
        response = client.post(reverse("console:status_publish", args=["xmas-2005"]), {"public": "1"})
    assert response.status_code == 302
    client.logout()
    # then it is on the status page, and the decision is in the audit log
    assert "Speicherausfall" in client.get(reverse("status:index")).content.decode()
    assert client.get(reverse("status:incident", args=["xmas-2005"])).status_code == 200
    entry = AuditEntry.objects.get(action="incident.publish")
    assert (entry.actor_label, entry.incident_id) == ("supporter", imported.pk)


def test_taking_it_down_again(client, imported, support_user):
    client.force_login(support_user)
    client.post(reverse("console:status_publish", args=["xmas-2005"]), {"public": "1"})
    client.post(reverse("console:status_publish", args=["xmas-2005"]), {"public": "0"})
    client.logout()
    assert client.get(reverse("status:incident", args=["xmas-2005"])).status_code == 404
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "incident.publish",
        "incident.unpublish",
    ]


def test_publishing_needs_the_support_role(client, imported, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1", is_staff=True)
    client.force_login(outsider)
    assert client.post(reverse("console:status_publish", args=["xmas-2005"]), {"public": "1"}).status_code == 403
    assert Incident.objects.get(slug="xmas-2005").public is False


def test_public_pages_show_public_names_never_internal_ones(client, imported, django_capture_on_commit_callbacks):
    # given a published incident; one volume has a public name, the servers none
    Incident.objects.filter(pk=imported.pk).update(public=True)
    StorageVolume.objects.filter(name="netapp-a7").update(public_name="Storage cluster Zürich")
    pages = [
        client.get(reverse("status:index")).content.decode(),
        client.get(reverse("status:incident", args=["xmas-2005"])).content.decode(),
        client.get(reverse("status:feed")).content.decode(),
        client.get(reverse("status:incident_feed", args=["xmas-2005"])).content.decode(),
    ]
    internal = ["srv-zh-db19", "srv-zh-web03", "netapp-a7", "db19.int", "web03.int"]
    for page in pages:
        assert not [name for name in internal if name in page]
    assert "Storage cluster Zürich" in pages[0] and "Storage cluster Zürich" in pages[1]
    # when a server gets a public name, that name shows
    Server.objects.filter(name="srv-zh-web03").update(public_name="Web 3")
    from campaigns.status.cache import status_cache_bump

    with django_capture_on_commit_callbacks(execute=True):
        status_cache_bump()
    assert "Web 3" in client.get(reverse("status:incident", args=["xmas-2005"])).content.decode()
