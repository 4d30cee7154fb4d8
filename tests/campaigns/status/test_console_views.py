"""Support console for status updates and windows: roles, validation, effects."""

import pytest

from campaigns.models import Exposure, IncidentUpdate, Mailing
from tests.factories import IncidentFactory, IncidentUpdateFactory, OutageWindowFactory, PlacementFactory, utc


@pytest.fixture
def incident(db):
    return IncidentFactory(slug="storage-2005", title="Storage failure")


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


def _post_data(**overrides):
    data = {"phase": "identified", "text_de": "", "text_fr": "", "text_it": "", "text_en": ""}
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login_and_finance_without_support_is_allowed(client, incident, finance_user):
    response = client.get("/console/incidents/storage-2005/status/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")

    client.force_login(finance_user)  # finance includes support rights (accounts.roles.is_support)
    assert client.get("/console/incidents/storage-2005/status/").status_code == 200


def test_staff_without_support_role_gets_403_and_nothing_is_posted(client, incident, django_user_model):
    client.force_login(django_user_model.objects.create_user("ops", is_staff=True))

    response = client.post("/console/incidents/storage-2005/status/", _post_data(text_de="x"))

    assert response.status_code == 403
    assert IncidentUpdate.objects.count() == 0


def test_support_posts_an_update_in_one_language(support_client, incident):
    response = support_client.post("/console/incidents/storage-2005/status/", _post_data(text_fr="Cause trouvée."))

    assert response.status_code == 302
    update = IncidentUpdate.objects.get()
    assert (update.phase, update.texts, update.notify, update.mailing) == (
        "identified",
        {"fr": "Cause trouvée."},
        False,
        None,
    )
    page = support_client.get("/console/incidents/storage-2005/status/").content.decode()
    assert "Cause trouvée." in page


def test_posting_without_any_text_is_refused(support_client, incident):
    response = support_client.post("/console/incidents/storage-2005/status/", _post_data(text_de="   "))

    assert response.status_code == 400
    assert "Write the update in at least one language." in response.content.decode()
    assert IncidentUpdate.objects.count() == 0


def test_posting_an_unknown_phase_is_refused(support_client, incident):
    response = support_client.post("/console/incidents/storage-2005/status/", _post_data(phase="x", text_de="a"))

    assert response.status_code == 400
    assert IncidentUpdate.objects.count() == 0


def test_notify_creates_a_draft_mailing(support_client, incident):
    support_client.post(
        "/console/incidents/storage-2005/status/", _post_data(text_de="Behoben.", phase="resolved", notify="on")
    )

    mailing = Mailing.objects.get()
    assert (mailing.kind, mailing.status) == ("update", "draft")
    assert IncidentUpdate.objects.get().mailing == mailing


def test_support_edits_an_update(support_client, incident):
    update = IncidentUpdateFactory(incident=incident, texts={"de": "Alt."})

    form = support_client.get(f"/console/incidents/storage-2005/status/updates/{update.pk}/")
    response = support_client.post(
        f"/console/incidents/storage-2005/status/updates/{update.pk}/", _post_data(phase="monitoring", text_en="New.")
    )

    assert "Alt." in form.content.decode()
    assert response.status_code == 302
    update.refresh_from_db()
    assert (update.phase, update.texts) == ("monitoring", {"en": "New."})


def test_editing_to_no_text_is_refused(support_client, incident):
    update = IncidentUpdateFactory(incident=incident, texts={"de": "Alt."})

    response = support_client.post(f"/console/incidents/storage-2005/status/updates/{update.pk}/", _post_data())

    assert response.status_code == 400
    update.refresh_from_db()
    assert update.texts == {"de": "Alt."}


def test_update_of_another_incident_is_404(support_client, incident):
    other = IncidentUpdateFactory(incident=IncidentFactory(slug="other"))

    assert support_client.get(f"/console/incidents/storage-2005/status/updates/{other.pk}/").status_code == 404


def test_mark_window_ended_in_zurich_time_recomputes_exposure(support_client, incident):
    placement = PlacementFactory()
    window = OutageWindowFactory(incident=incident, server=placement.server, start=utc(2006, 1, 1, 10), end=None)

    response = support_client.post(
        f"/console/incidents/storage-2005/status/windows/{window.pk}/ended/", {f"w{window.pk}-end": "2006-01-01T13:00"}
    )

    assert response.status_code == 302
    window.refresh_from_db()
    assert window.end == utc(2006, 1, 1, 12)  # 13:00 in Zurich (CET) is 12:00 UTC
    assert Exposure.objects.get().affected_seconds == 2 * 3600
    page = support_client.get("/console/incidents/storage-2005/status/").content.decode()
    assert "Exposure recomputed: 1 accounts of 1 customers affected." in page


def test_mark_window_ended_before_start_is_refused(support_client, incident):
    window = OutageWindowFactory(incident=incident, start=utc(2006, 1, 1, 10), end=None)

    response = support_client.post(
        f"/console/incidents/storage-2005/status/windows/{window.pk}/ended/", {f"w{window.pk}-end": "2006-01-01T10:30"}
    )

    assert response.status_code == 400
    assert "The end must be after the start of the window." in response.content.decode()
    window.refresh_from_db()
    assert window.end is None


def test_mark_window_ongoing_requires_post(support_client, incident):
    placement = PlacementFactory()
    window = OutageWindowFactory(
        incident=incident, server=placement.server, start=utc(2006, 1, 1, 10), end=utc(2006, 1, 1, 11)
    )
    url = f"/console/incidents/storage-2005/status/windows/{window.pk}/ongoing/"

    assert support_client.get(url).status_code == 405
    response = support_client.post(url)

    assert response.status_code == 302
    window.refresh_from_db()
    assert window.end is None
    assert Exposure.objects.get().affected_seconds > 3600
