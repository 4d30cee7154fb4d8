"""Status services: posting and editing updates, incident status, window end/ongoing and exposure."""

import pytest

from accounts.mail.markdown import markdown_html
from campaigns.models import AuditEntry, Compensation, CompensationPolicy, Exposure, Incident, IncidentUpdate, Mailing
from campaigns.status.models import localized_text
from campaigns.status.services import (
    UpdatePhaseInvalid,
    UpdateTextMissing,
    WindowEndInvalid,
    incident_status_after,
    update_edit,
    update_post,
    window_mark_ended,
    window_mark_ongoing,
)
from tests.factories import (
    CustomerFactory,
    IncidentFactory,
    IncidentUpdateFactory,
    OutageWindowFactory,
    PlacementFactory,
    utc,
)


@pytest.mark.parametrize(
    ("texts", "language", "default", "expected"),
    [
        ({"de": "Hallo", "fr": "Salut"}, "fr", "de", ("Salut", "fr")),
        ({"de": "Hallo", "fr": "Salut"}, "it", "de", ("Hallo", "de")),
        ({"de": "Hallo", "fr": "Salut"}, "en", "fr", ("Salut", "fr")),
        ({"it": "Ciao"}, "en", "de", ("Ciao", "it")),  # default language missing too: any text
        ({"de": "  ", "en": "Hi"}, "de", "de", ("Hi", "en")),  # blank counts as missing
        ({}, "de", "de", ("", "")),
    ],
)
def test_localized_text_falls_back_to_default_then_any(texts, language, default, expected):
    assert localized_text(texts, language, default) == expected


@pytest.mark.parametrize(
    ("current", "phase", "expected"),
    [
        ("open", "resolved", "resolved"),
        ("open", "monitoring", "open"),
        ("resolved", "identified", "open"),
        ("closed", "investigating", "closed"),
        ("open", None, "open"),
    ],
)
def test_incident_status_follows_latest_phase(current, phase, expected):
    assert incident_status_after(current=current, latest_phase=phase) == expected


def test_update_post_stores_clean_texts_and_audits(db, support_user):
    incident = IncidentFactory()

    update = update_post(
        incident=incident,
        phase="identified",
        texts={"de": "  Ursache gefunden. ", "fr": "", "xx": "ignored", "en": "Cause found."},
        by=support_user,
    )

    update.refresh_from_db()
    assert update.texts == {"de": "Ursache gefunden.", "en": "Cause found."}
    assert update.author == support_user
    assert update.mailing is None
    assert AuditEntry.objects.get(action="status.update_post").object_id == str(update.pk)


def test_update_post_resolved_resolves_the_incident(db, support_user):
    incident = IncidentFactory(status="open")

    update_post(incident=incident, phase="resolved", texts={"en": "Fixed."}, by=support_user)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_update_post_without_text_changes_nothing(db, support_user):
    incident = IncidentFactory()

    with pytest.raises(UpdateTextMissing):
        update_post(incident=incident, phase="identified", texts={"de": " ", "fr": ""}, by=support_user)
    with pytest.raises(UpdatePhaseInvalid):
        update_post(incident=incident, phase="panicking", texts={"de": "x"}, by=support_user)

    assert IncidentUpdate.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_update_post_with_notify_creates_a_draft_update_mailing(db, support_user):
    incident = IncidentFactory(slug="storage-2005", title="Storage failure", default_language="de")

    update = update_post(
        incident=incident,
        phase="monitoring",
        texts={"de": "Alles läuft wieder.", "fr": "Tout fonctionne <enfin>."},
        by=support_user,
        notify=True,
    )

    mailing = Mailing.objects.get()
    assert update.mailing == mailing
    assert (mailing.kind, mailing.status, mailing.incident, mailing.attach_voucher) == (
        "update",
        "draft",
        incident,
        False,
    )
    assert (mailing.created_by, mailing.contact_roles) == (support_user, ["primary", "technical"])
    assert sorted(mailing.content) == ["de", "en", "fr", "it"]
    assert mailing.content["fr"]["subject"] == "Storage failure: sous surveillance"
    assert mailing.content["fr"]["body"] == (
        "Bonjour\n\nDu nouveau sur la panne « Storage failure » – sous surveillance :\n\n"
        "Tout fonctionne \\<enfin>.\n\n"  # what looks like an HTML tag stays text in the HTML part
        "L’état actuel est toujours disponible sur <http://127.0.0.1:8000/status/storage-2005/>\n\n"
        "Meilleures salutations\nHostnotify Hosting AG\n"
    )
    assert "<p>Tout fonctionne &lt;enfin&gt;.</p>" in markdown_html(mailing.content["fr"]["body"])
    assert "Alles läuft wieder." in mailing.content["it"]["body"]  # no Italian text: the German one
    assert AuditEntry.objects.filter(action="mailing.create", object_id=str(mailing.pk)).count() == 1


def test_update_mail_content_keeps_template_syntax_literal(db, support_user):
    from campaigns.status.services import update_mail_content

    update = IncidentUpdateFactory(texts={"en": "Use {{ this }} and {% that %} {# x #} {single}"})

    text = update_mail_content(update)["en"]["body"]

    assert "{{" not in text and "{%" not in text and "{#" not in text
    assert "{\u200b{ this }} and {\u200b% that %} {\u200b# x #} {single}" in text


def test_update_notice_goes_through_the_mailing_pipeline(
    db, support_user, django_user_model, django_capture_on_commit_callbacks, monkeypatch
):
    # The sending engine caches mailings per process by id; SQLite reuses ids across tests.
    monkeypatch.setattr("campaigns.mailings.sending._MAILING_CACHE", {})
    from django.core import mail

    from campaigns.mailings.services import mailing_approve, mailing_launch
    from tests.factories import ExposureFactory

    exposure = ExposureFactory(account__customer__language="fr")
    reviewer = django_user_model.objects.create_user("reviewer", "r@example.ch", "pw-review-1", is_staff=True)
    update = update_post(
        incident=exposure.incident, phase="resolved", texts={"fr": "C’est réparé."}, by=support_user, notify=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        mailing_approve(mailing=update.mailing, by=reviewer)
        mailing_launch(mailing=update.mailing, by=reviewer)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [exposure.customer.contacts.get().email]
    assert message.subject == "Storage outage: résolue"
    assert "C’est réparé." in message.body


def test_update_edit_changes_texts_and_reopens_when_no_longer_resolved(db, support_user):
    incident = IncidentFactory(status="open")
    update = update_post(incident=incident, phase="resolved", texts={"de": "Behoben."}, by=support_user)

    update_edit(
        update=update, phase="monitoring", texts={"de": "Wir beobachten.", "it": "Osserviamo."}, by=support_user
    )

    update.refresh_from_db()
    incident.refresh_from_db()
    assert (update.phase, update.texts) == ("monitoring", {"de": "Wir beobachten.", "it": "Osserviamo."})
    assert update.edited_at is not None
    assert incident.status == Incident.Status.OPEN


def test_update_edit_rejects_empty_texts_and_keeps_the_old_ones(db, support_user):
    update = IncidentUpdateFactory(texts={"de": "Alt."})

    with pytest.raises(UpdateTextMissing):
        update_edit(update=update, phase="identified", texts={}, by=support_user)

    update.refresh_from_db()
    assert (update.phase, update.texts, update.edited_at) == ("investigating", {"de": "Alt."}, None)


@pytest.fixture
def exposed(db):
    placement = PlacementFactory(account__customer=CustomerFactory())
    window = OutageWindowFactory(server=placement.server, start=utc(2006, 1, 1, 10), end=None)
    return window


def test_window_mark_ended_recomputes_exposure(exposed, support_user):
    change = window_mark_ended(window=exposed, end=utc(2006, 1, 1, 13), by=support_user)

    exposed.refresh_from_db()
    assert exposed.end == utc(2006, 1, 1, 13)
    assert (change.exposure.accounts, change.exposure.customers, change.exposure.affected_seconds) == (1, 1, 3 * 3600)
    assert Exposure.objects.get().affected_seconds == 3 * 3600
    assert AuditEntry.objects.filter(action="status.window_ended").count() == 1


def test_window_mark_ongoing_recomputes_up_to_now(exposed, support_user):
    window_mark_ended(window=exposed, end=utc(2006, 1, 1, 11), by=support_user)

    change = window_mark_ongoing(window=exposed, by=support_user)

    exposed.refresh_from_db()
    assert exposed.end is None
    assert change.exposure.affected_seconds > 3600  # counted up to now, years later
    assert Exposure.objects.get().affected_seconds == change.exposure.affected_seconds


def test_window_end_before_start_is_refused(exposed, support_user):
    with pytest.raises(WindowEndInvalid):
        window_mark_ended(window=exposed, end=utc(2006, 1, 1, 9), by=support_user)

    exposed.refresh_from_db()
    assert exposed.end is None
    assert Exposure.objects.count() == 0


def test_window_change_on_frozen_exposure_is_kept_and_reported(exposed, support_user):
    window_mark_ended(window=exposed, end=utc(2006, 1, 1, 12), by=support_user)
    customer = Exposure.objects.get().customer
    policy = CompensationPolicy.objects.create(name="default", version=1, kind="tiers")
    Compensation.objects.create(
        incident=exposed.incident,
        customer=customer,
        policy=policy,
        amount="5.00",
        currency="CHF",
        affected_seconds=7200,
        status="approved",
        computed_at=utc(2006, 1, 2),
    )

    change = window_mark_ended(window=exposed, end=utc(2006, 1, 1, 14), by=support_user)

    exposed.refresh_from_db()
    assert exposed.end == utc(2006, 1, 1, 14)
    assert change.exposure is None
    assert "frozen" in change.frozen_reason
    assert Exposure.objects.get().affected_seconds == 2 * 3600  # unchanged


def test_status_demo_updates_posts_the_timeline_once(db):
    from campaigns.demo.status_timeline import TIMELINE, status_demo_updates

    incident = IncidentFactory(status="open")

    assert status_demo_updates(incident=incident) == len(TIMELINE)
    assert status_demo_updates(incident=incident) == 0

    incident.refresh_from_db()
    assert IncidentUpdate.objects.filter(incident=incident).count() == 5
    assert incident.status == Incident.Status.RESOLVED
    assert IncidentUpdate.objects.order_by("published_at").first().published_at == utc(2005, 12, 26, 7, 40)
