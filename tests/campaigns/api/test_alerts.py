"""Alertmanager's webhook: firing opens a window at startsAt, resolved ends it at endsAt, the same
alert again changes nothing, grouped alerts share an incident, unknown targets are kept for support."""

import datetime as dt

from campaigns.api.models import MonitoringAlert
from campaigns.models import AuditEntry, Exposure, Incident, OutageWindow
from tests.campaigns.api.conftest import ApiClient
from tests.factories import IncidentFactory, PlacementFactory, ServerFactory, StorageVolumeFactory

URL = "/api/v1/alerts/alertmanager/"
UTC = dt.UTC


def notification(*alerts, status="firing"):
    return {
        "version": "4",
        "groupKey": '{}:{alertname="NodeDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "hostnotify",
        "groupLabels": {"alertname": "NodeDown"},
        "commonLabels": {"alertname": "NodeDown"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def alert(fingerprint, labels, starts="2026-01-01T10:00:00.123456789Z", ends="0001-01-01T00:00:00Z", status="firing"):
    return {
        "status": status,
        "labels": {"alertname": "NodeDown", **labels},
        "annotations": {"summary": "node down"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint,
    }


def windows():
    return list(
        OutageWindow.objects.order_by("start", "id").values_list(
            "incident__slug", "server__name", "volume__name", "start", "end"
        )
    )


def _world():
    server = ServerFactory(name="server19", hostname="s19.example.ch")
    PlacementFactory(server=server, account__name="web1")
    ServerFactory(name="server20")
    StorageVolumeFactory(name="vol-a")


START = dt.datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)
END = dt.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_firing_opens_a_window_on_a_new_unpublished_incident(api):
    _world()

    response = api.post(URL, notification(alert("a1", {"instance": "server19:9100"})))

    assert response.json() == {
        "opened": 1,
        "ended": 0,
        "unchanged": 0,
        "unknown_target": 0,
        "frozen": 0,
        "incidents": ["alert-nodedown-20260101-1000"],
    }
    assert windows() == [("alert-nodedown-20260101-1000", "server19", None, START, None)]
    incident = Incident.objects.get()
    assert (incident.public, incident.status, incident.title) == (False, "open", "NodeDown")
    assert Exposure.objects.get().account.name == "web1"
    assert AuditEntry.objects.filter(action="window.add").get().actor_label == "api:integration"


def test_resolved_ends_the_window_and_repeats_change_nothing(api):
    _world()
    firing = notification(alert("a1", {"server": "server19"}))
    resolved = notification(
        alert("a1", {"server": "server19"}, ends="2026-01-01T12:00:00Z", status="resolved"), status="resolved"
    )

    answers = [api.post(URL, body).json() for body in (firing, firing, resolved, resolved, firing)]

    assert [(a["opened"], a["ended"], a["unchanged"]) for a in answers] == [
        (1, 0, 0),
        (0, 0, 1),
        (0, 1, 0),
        (0, 0, 1),
        (0, 0, 1),
    ]
    assert windows() == [("alert-nodedown-20260101-1000", "server19", None, START, END)]
    assert Exposure.objects.get().affected_seconds == 7199  # 10:00:00.123456 to 12:00, whole seconds


def test_grouped_alerts_share_the_open_incident_named_by_their_group_label(api):
    _world()
    IncidentFactory(slug="storage-2026")

    api.post(
        URL,
        notification(
            alert("a1", {"server": "s19.example.ch", "incident": "storage-2026"}),
            alert("a2", {"volume": "vol-a", "incident": "storage-2026"}, starts="2026-01-01T10:05:00Z"),
        ),
    )
    api.post(
        URL,
        notification(alert("a3", {"server": "server20", "incident": "storage-2026"}, starts="2026-01-01T11:00:00Z")),
    )

    assert [(w[0], w[1], w[2]) for w in windows()] == [
        ("storage-2026", "server19", None),
        ("storage-2026", None, "vol-a"),
        ("storage-2026", "server20", None),
    ]
    assert Incident.objects.count() == 1


def test_a_group_without_an_incident_keeps_the_incident_its_first_alert_opened(api):
    _world()

    api.post(URL, notification(alert("a1", {"server": "server19"})))
    api.post(URL, notification(alert("a2", {"server": "server20"}, starts="2026-01-01T10:30:00Z")))

    assert {w[0] for w in windows()} == {"alert-nodedown-20260101-1000"}


def test_an_unknown_target_is_recorded_and_listed_for_support(api, client, support_user):
    _world()

    answer = api.post(URL, notification(alert("a9", {"instance": "db7:9100"}))).json()
    api.post(URL, notification(alert("a9", {"instance": "db7:9100"})))

    assert (answer["unknown_target"], answer["opened"]) == (1, 0)
    assert windows() == []
    record = MonitoringAlert.objects.get()
    assert (record.outcome, record.labels["instance"]) == ("unknown_target", "db7:9100")
    client.force_login(support_user)
    page = client.get("/console/api/alerts/").content.decode()
    assert "instance=db7:9100" in page


def test_the_token_may_come_in_the_url(make_api):
    _world()
    raw = make_api("incidents").raw

    response = ApiClient(None).post(f"{URL}?token={raw}", notification(alert("a1", {"server": "server19"})))

    assert response.status_code == 200
    assert len(windows()) == 1


def test_a_malformed_payload_is_a_422_problem_and_changes_nothing(api):
    _world()

    response = api.post(URL, {"alerts": [{"status": "burning", "labels": {"server": "server19"}, "startsAt": "soon"}]})

    assert response.status_code == 422
    assert sorted(e["loc"][-1] for e in response.json()["errors"]) == ["startsAt", "status"]
    assert windows() == []
    assert MonitoringAlert.objects.count() == 0
