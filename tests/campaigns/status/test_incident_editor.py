"""The console's incident editor: create an incident with its four titles, add windows with a
live count, publish; validation errors on the field, nothing written on bad input."""

import re

import pytest

from campaigns.models import AuditEntry, Exposure, Incident, OutageWindow
from tests.factories import (
    CustomerFactory,
    HostingAccountFactory,
    IncidentFactory,
    PlacementFactory,
    ServerFactory,
    StorageVolumeFactory,
    utc,
)


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


def _incident_data(**overrides):
    data = {
        "slug": "storage-2026",
        "default_language": "de",
        "redemption_options": ["balance", "extension"],
        "title_de": "Speicherausfall",
        "title_fr": "Panne de stockage",
        "title_it": "Guasto dello storage",
        "title_en": "Storage outage",
        "description_de": "",
        "description_fr": "La baie s'est arrêtée.",
        "description_it": "",
        "description_en": "",
    }
    data.update(overrides)
    return data


def test_support_creates_an_incident_with_four_titles_not_public(support_client, support_user):
    response = support_client.post("/console/incidents/new/", _incident_data())

    assert response.status_code == 302
    assert response["Location"] == "/console/incidents/storage-2026/edit/"
    incident = Incident.objects.get(slug="storage-2026")
    assert [incident.title_in(code) for code in ("de", "fr", "it", "en")] == [
        "Speicherausfall",
        "Panne de stockage",
        "Guasto dello storage",
        "Storage outage",
    ]
    assert incident.description_in("fr") == "La baie s'est arrêtée."
    assert (incident.public, incident.redemption_options) == (False, ["balance", "extension"])
    assert AuditEntry.objects.filter(action="incident.create", actor=support_user).count() == 1


def test_an_incident_without_any_title_is_refused_and_nothing_is_created(support_client):
    response = support_client.post(
        "/console/incidents/new/", _incident_data(title_de="", title_fr=" ", title_it="", title_en="")
    )

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Incident.objects.exists()


@pytest.mark.parametrize("slug", ["new", "Bad Slug", "storage-2005"])
def test_a_reserved_malformed_or_taken_slug_is_refused_on_its_field(support_client, slug):
    IncidentFactory(slug="storage-2005")

    response = support_client.post("/console/incidents/new/", _incident_data(slug=slug))

    assert response.status_code == 400
    assert 'aria-describedby="id_slug_helptext id_slug_error"' in response.content.decode()
    assert Incident.objects.count() == 1


def test_editing_changes_one_title_and_keeps_the_others(support_client):
    incident = IncidentFactory(slug="storage-2005", title_de="Ausfall", title_fr="Panne", public=False)

    response = support_client.post(
        "/console/incidents/storage-2005/edit/",
        _incident_data(slug="ignored", title_de="Ausfall des Speichers", title_fr="Panne", title_it="", title_en="",
                       status="resolved"),
    )  # fmt: skip

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.slug, incident.title_de, incident.title_fr, incident.status) == (
        "storage-2005",
        "Ausfall des Speichers",
        "Panne",
        "resolved",
    )
    entry = AuditEntry.objects.get(action="incident.update")
    assert entry.data["after"]["title_de"] == "Ausfall des Speichers"


def test_adding_a_window_on_a_volume_computes_the_exposure_and_the_live_count_says_so(support_client):
    volume = StorageVolumeFactory(name="vol-a")
    on_volume = ServerFactory(name="server06", storage_volume=volume)
    elsewhere = ServerFactory(name="server07")
    for server in (on_volume, on_volume, elsewhere):
        PlacementFactory(account=HostingAccountFactory(customer=CustomerFactory()), server=server)
    IncidentFactory(slug="storage-2005")
    window = {"target_type": "volume", "target": "vol-a", "start": "2026-12-01T10:00", "end": "2026-12-01T17:30"}

    reach = support_client.get("/console/incidents/storage-2005/edit/reach/", window).content.decode()
    assert "This window reaches 2 customers" in reach
    assert "2 not reached yet" in reach

    response = support_client.post("/console/incidents/storage-2005/edit/windows/", window)

    assert response.status_code == 302
    stored = OutageWindow.objects.get()
    assert (stored.volume, stored.start, stored.end) == (volume, utc(2026, 12, 1, 9, 0), utc(2026, 12, 1, 16, 30))
    assert Exposure.objects.filter(incident__slug="storage-2005").count() == 2
    assert set(Exposure.objects.values_list("affected_seconds", flat=True)) == {27000}
    again = support_client.get("/console/incidents/storage-2005/edit/reach/", window).content.decode()
    assert "0 not reached yet" in again


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"target_type": "server", "target": "nope", "start": "2026-12-01T10:00", "end": ""}, "target"),
        (
            {"target_type": "server", "target": "server06", "start": "2026-12-01T10:00", "end": "2026-12-01T09:00"},
            "end",
        ),
        ({"target_type": "server", "target": "server06", "start": "2026-03-29T02:30", "end": ""}, "start"),
    ],
)
def test_a_bad_window_is_refused_on_its_field_and_nothing_is_added(support_client, window, field):
    ServerFactory(name="server06")
    IncidentFactory(slug="storage-2005")

    response = support_client.post("/console/incidents/storage-2005/edit/windows/", window)

    assert response.status_code == 400
    assert f'id_{field}_error"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not OutageWindow.objects.exists()


def test_support_publishes_from_the_editor(support_client):
    incident = IncidentFactory(slug="storage-2005", public=False)

    support_client.post("/console/incidents/storage-2005/edit/publish/", {"public": "1"})

    incident.refresh_from_db()
    assert incident.public is True


def test_staff_without_support_role_cannot_create(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ops", is_staff=True))

    assert client.post("/console/incidents/new/", _incident_data()).status_code == 403
    assert not Incident.objects.exists()


def _incident_with_a_window(approved=False):
    server = ServerFactory(name="server06")
    for _ in range(2):
        PlacementFactory(account=HostingAccountFactory(customer=CustomerFactory()), server=server)
    incident = IncidentFactory(slug="storage-2005")
    window = OutageWindow.objects.create(
        incident=incident, target_type="server", server=server, start=utc(2026, 12, 1, 9), end=utc(2026, 12, 1, 11)
    )
    from campaigns.incidents.exposure import exposure_recompute

    exposure_recompute(incident=incident)
    return incident, window


def test_moving_a_window_s_end_recomputes_the_exposure_audits_and_says_how_many_it_reaches(support_client):
    incident, window = _incident_with_a_window()
    page = support_client.get("/console/incidents/storage-2005/edit/").content.decode()
    assert re.search(rf"<input[^>]*value=\"2026-12-01T10:00\"[^>]*id=\"w{window.pk}_start\"", page), page[-4000:]

    response = support_client.post(
        f"/console/incidents/storage-2005/edit/windows/{window.pk}/",
        {"start": "2026-12-01T10:00", "end": "2026-12-01T14:00", "target": "ignored", "target_type": "volume"},
        follow=True,
    )

    window.refresh_from_db()
    assert (window.server.name, window.start, window.end) == ("server06", utc(2026, 12, 1, 9), utc(2026, 12, 1, 13))
    assert set(Exposure.objects.filter(incident=incident).values_list("affected_seconds", flat=True)) == {4 * 3600}
    assert AuditEntry.objects.filter(action="window.update").count() == 1
    assert "Window changed. The incident now reaches 2 customers." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"start": "2026-12-01T10:00", "end": "2026-12-01T09:00"}, "The end must be after the start of the window."),
        ({"start": "2026-12-01T10:00", "end": ""}, "To mark an ended window as ongoing again, use the status page."),
        ({"start": "", "end": "2026-12-01T14:00"}, "This field is required."),
    ],
)
def test_a_bad_change_is_refused_on_its_field_and_nothing_changes(support_client, data, error):
    incident, window = _incident_with_a_window()
    before = list(Exposure.objects.filter(incident=incident).values_list("affected_seconds", flat=True))

    response = support_client.post(f"/console/incidents/storage-2005/edit/windows/{window.pk}/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and '<details data-test="window-change" open>' in html
    window.refresh_from_db()
    assert (window.start, window.end) == (utc(2026, 12, 1, 9), utc(2026, 12, 1, 11))
    assert list(Exposure.objects.filter(incident=incident).values_list("affected_seconds", flat=True)) == before
    assert not AuditEntry.objects.filter(action="window.update").exists()
