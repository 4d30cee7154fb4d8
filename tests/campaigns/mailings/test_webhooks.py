"""Tracking webhooks through anymail's real Postmark view: authenticated, idempotent, forward only."""

import base64
import json

import pytest

from campaigns.models import Delivery, DeliveryEvent, SuppressedAddress
from tests.factories import DeliveryFactory

URL = "/anymail/postmark/tracking/"


def auth(secret="hostnotify:webhook-secret"):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


@pytest.fixture
def delivery(db):
    return DeliveryFactory(status="sent", message_id="pm-0001", email="Kunde@Example.ch")


def post(client, payload, **headers):
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def delivered(delivery, at="2026-01-05T10:00:00Z"):
    return {
        "RecordType": "Delivery",
        "MessageID": delivery.message_id,
        "Recipient": delivery.email,
        "DeliveredAt": at,
        "Details": "250 OK",
        "Metadata": {"delivery_id": str(delivery.pk)},
    }


def bounce(delivery, kind="HardBounce", event_id=42):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "MessageID": delivery.message_id,
        "Email": delivery.email,
        "BouncedAt": "2026-01-05T11:00:00Z",
        "Description": "The server was unable to deliver your message",
        "Details": "550 5.1.1 user unknown",
        "Metadata": {},
    }


def snapshot():
    return (
        list(Delivery.objects.values_list("pk", "status", "tracking")),
        DeliveryEvent.objects.count(),
        SuppressedAddress.objects.count(),
    )


@pytest.mark.parametrize("headers", [{}, auth("hostnotify:wrong-secret"), auth("intruder:webhook-secret")])
def test_unauthenticated_or_wrong_secret_is_rejected_without_a_write(client, delivery, headers):
    before = snapshot()
    response = post(client, bounce(delivery), **headers)
    assert response.status_code in (400, 401, 403)
    assert snapshot() == before


def test_the_same_event_ten_times_changes_once(client, delivery):
    for _ in range(10):
        assert post(client, delivered(delivery), **auth()).status_code == 200
    delivery.refresh_from_db()
    assert delivery.tracking == "delivered"
    assert DeliveryEvent.objects.filter(delivery=delivery, esp="postmark").count() == 1


def test_bounce_after_delivered_is_recorded_and_status_never_moves_back(client, delivery):
    post(client, delivered(delivery), **auth())
    post(client, bounce(delivery), **auth())
    post(client, delivered(delivery, at="2026-01-05T12:00:00Z"), **auth())  # late, out of order

    delivery.refresh_from_db()
    assert (delivery.status, delivery.tracking) == ("sent", "bounced")
    types = list(DeliveryEvent.objects.filter(delivery=delivery).values_list("event_type", flat=True))
    assert types == ["delivered", "bounced", "delivered"]
    suppressed = SuppressedAddress.objects.get()
    assert (suppressed.email, suppressed.reason, suppressed.delivery_id) == ("kunde@example.ch", "bounced", delivery.pk)


def test_opened_does_not_undo_a_later_state(client, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(tracking="clicked")
    post(client, {**delivered(delivery), "RecordType": "Open", "ReceivedAt": "2026-01-05T10:00:00Z"}, **auth())
    delivery.refresh_from_db()
    assert delivery.tracking == "clicked"
    assert DeliveryEvent.objects.filter(event_type="opened").count() == 1


def test_soft_bounce_does_not_suppress(client, delivery):
    post(client, bounce(delivery, kind="Transient"), **auth())
    delivery.refresh_from_db()
    assert delivery.tracking == "deferred"
    assert SuppressedAddress.objects.count() == 0


def test_complaint_suppresses_the_address(client, delivery):
    complaint = {**bounce(delivery, kind="SpamComplaint", event_id=7), "RecordType": "SpamComplaint"}
    post(client, complaint, **auth())
    delivery.refresh_from_db()
    assert delivery.tracking == "complained"
    assert SuppressedAddress.objects.get().reason == "complained"


def test_event_for_an_unknown_message_writes_nothing(client, delivery):
    before = snapshot()
    payload = {**delivered(delivery), "MessageID": "not-ours", "Metadata": {}}
    assert post(client, payload, **auth()).status_code == 200
    assert snapshot() == before


def test_suppressed_address_is_skipped_by_later_mailings(client, delivery):
    from campaigns.mailings.services import audience_contacts
    from tests.factories import ExposureFactory, MailingFactory

    exposure = ExposureFactory()
    contact = exposure.customer.contacts.get()
    DeliveryFactory(contact=contact, status="sent", message_id="pm-0002")
    post(client, {**bounce(Delivery.objects.get(message_id="pm-0002"), event_id=99)}, **auth())
    mailing = MailingFactory(incident=exposure.incident)
    assert list(audience_contacts(mailing)) == []
