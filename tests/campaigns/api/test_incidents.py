"""Incidents and windows through the API: create, update, publish, end; exposure follows."""

from campaigns.models import AuditEntry, Exposure, Incident, OutageWindow
from tests.factories import CompensationFactory, IncidentFactory, PlacementFactory, ServerFactory

BASE = "/api/v1/incidents/"


def _world():
    server = ServerFactory(name="server19")
    PlacementFactory(server=server, account__name="web1")
    return server


def test_create_an_unpublished_incident_with_a_window_and_its_exposure(api):
    _world()

    created = api.post(BASE, {"slug": "storage-2026", "title": "Storage outage"})
    window = api.post(
        f"{BASE}storage-2026/windows/",
        {"target_type": "server", "target": "server19", "start": "2026-01-01T10:00:00Z", "end": "2026-01-01T13:00:00Z"},
    )

    assert created.status_code == 201
    assert (created.json()["public"], created.json()["status"]) == (False, "open")
    assert window.status_code == 201
    assert window.json()["target"] == "server19"
    exposure = Exposure.objects.get(incident__slug="storage-2026")
    assert (exposure.account.name, exposure.affected_seconds) == ("web1", 3 * 3600)
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_label")) == [
        ("api.token_create", "system"),
        ("incident.create", "api:integration"),
        ("window.add", "api:integration"),
    ]


def test_an_ongoing_window_ended_then_moved_recomputes_exposure(api):
    _world()
    api.post(BASE, {"slug": "storage-2026", "title": "Storage outage"})
    window_id = api.post(
        f"{BASE}storage-2026/windows/", {"target_type": "server", "target": "server19", "start": "2026-01-01T10:00Z"}
    ).json()["id"]

    ended = api.post(f"{BASE}storage-2026/windows/{window_id}/end/", {"end": "2026-01-01T12:00:00+01:00"})
    assert ended.json()["end"] == "2026-01-01T11:00:00Z"
    assert Exposure.objects.get().affected_seconds == 3600

    moved = api.patch(f"{BASE}storage-2026/windows/{window_id}/", {"end": "2026-01-01T12:30:00Z"})
    assert moved.json()["end"] == "2026-01-01T12:30:00Z"
    assert Exposure.objects.get().affected_seconds == 9000


def test_update_publish_and_end_an_incident(api):
    _world()
    api.post(BASE, {"slug": "storage-2026", "title": "Storage outage"})
    api.post(
        f"{BASE}storage-2026/windows/", {"target_type": "server", "target": "server19", "start": "2026-01-01T10:00Z"}
    )

    updated = api.patch(
        f"{BASE}storage-2026/", {"title": "Storage system failure", "redemption_options": ["balance", "partner"]}
    )
    published = api.post(f"{BASE}storage-2026/publish/")
    ended = api.post(f"{BASE}storage-2026/end/", {"end": "2026-01-01T18:00:00Z"})

    assert updated.json()["title"] == "Storage system failure"
    assert published.json()["public"] is True
    assert ended.json()["status"] == "resolved"
    assert [w["end"] for w in ended.json()["windows"]] == ["2026-01-01T18:00:00Z"]
    assert Exposure.objects.get().affected_seconds == 8 * 3600


def test_bad_input_is_refused_and_changes_nothing(api):
    _world()
    IncidentFactory(slug="taken")

    responses = [
        api.post(BASE, {"slug": "taken", "title": "Again"}),
        api.post(BASE, {"slug": "Not A Slug", "title": "x"}),
        api.post(
            f"{BASE}taken/windows/", {"target_type": "server", "target": "server99", "start": "2026-01-01T10:00Z"}
        ),
        api.post(
            f"{BASE}taken/windows/",
            {"target_type": "server", "target": "server19", "start": "2026-01-01T10:00Z", "end": "2026-01-01T09:00Z"},
        ),
        api.post(f"{BASE}taken/windows/", {"target_type": "server", "target": "server19", "start": "2026-01-01 10:00"}),
        api.post(f"{BASE}missing/publish/"),
    ]

    assert [r.status_code for r in responses] == [409, 422, 422, 422, 422, 404]
    assert responses[2].json()["detail"] == "Unknown server 'server99'."
    assert all(r["Content-Type"] == "application/problem+json" for r in responses)
    assert OutageWindow.objects.count() == 0
    assert Incident.objects.count() == 1


def test_windows_of_an_incident_with_approved_compensation_are_frozen(api):
    _world()
    incident = IncidentFactory(slug="frozen")
    CompensationFactory(incident=incident, status="approved")

    response = api.post(
        f"{BASE}frozen/windows/", {"target_type": "server", "target": "server19", "start": "2026-01-01T10:00Z"}
    )

    assert response.status_code == 409
    assert OutageWindow.objects.count() == 0


def test_writes_need_the_incidents_scope(make_api):
    response = make_api("read").post(BASE, {"slug": "x", "title": "x"})

    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_text_postgresql_cannot_store_is_a_400_problem_and_changes_nothing(api):
    for body in ('{"slug": "x", "title": "a\\u0000b"}', '{"slug": "x", "title": "\\ud800"}'):
        response = api.client.post(BASE, body, content_type="application/json", headers=api.headers)

        assert response.status_code == 400
        assert response.json()["detail"] == "The body must be JSON in UTF-8 without NUL characters."
    assert Incident.objects.count() == 0
