"""Alertmanager sends the alerts of one outage in parallel notifications (one per group key, and
again from each Alertmanager replica): when alerts of a new group arrive at the same moment, they
open exactly one incident between them, on PostgreSQL, through the API as shipped."""

import threading

import pytest
from django.db import connection

from campaigns.api.models import MonitoringAlert
from campaigns.api.tokens import api_token_create
from campaigns.models import Incident, OutageWindow
from tests.campaigns.api.conftest import ApiClient
from tests.campaigns.api.test_alerts import URL, alert, notification
from tests.factories import PlacementFactory, ServerFactory

SENDERS = 12


@pytest.mark.postgres
@pytest.mark.slow
def test_alerts_of_a_new_group_at_once_open_one_incident(transactional_db):
    # given twelve servers, each with a hosting account, and twelve alerts of the group "storage-b"
    for n in range(SENDERS):
        PlacementFactory(server=ServerFactory(name=f"server{n}"), account__name=f"web{n}")
    _, raw = api_token_create(name="alertmanager", scopes=["incidents"], rate_limit=1000)
    barrier = threading.Barrier(SENDERS)
    answers: list[object] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        body = notification(
            alert(f"fp{n}", {"server": f"server{n}", "incident": "storage-b"}, starts=f"2026-01-01T10:{n:02d}:00Z")
        )
        try:
            client = ApiClient(raw)
            barrier.wait(timeout=30)
            response = client.post(URL, body)
            answer: object = (response.status_code, response.json()["opened"], response.json()["incidents"])
        except Exception as exc:  # any other outcome is the bug this test looks for
            answer = repr(exc)
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    # when each is sent in its own request, all at once
    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then one incident holds the twelve windows, and every answer names it
    incident = Incident.objects.get()
    assert incident.slug.startswith("alert-storage-b-2026010")
    assert sorted(answers) == [(200, 1, [incident.slug])] * SENDERS
    assert OutageWindow.objects.filter(incident=incident).count() == SENDERS
    assert set(MonitoringAlert.objects.values_list("incident_id", flat=True)) == {incident.pk}
