"""Replays the webhook findings: every ESP's endpoint was mounted (six answered 500 to an anonymous
POST) and Postmark's answered 500 to an empty or malformed body. Now only the configured ESP's
endpoint exists and malformed payloads answer 400 with nothing written."""

import json

import pytest

from tests.campaigns.mailings.test_webhooks import URL, auth, delivered, snapshot
from tests.factories import DeliveryFactory

OTHER_ESPS = [
    "amazon_ses", "brevo", "mailersend", "mailgun", "mailjet", "mailtrap", "mandrill", "postal", "resend",
    "sendgrid", "sendinblue", "sparkpost", "unisender_go",
]  # fmt: skip


@pytest.fixture
def delivery(db):
    return DeliveryFactory(status="sent", message_id="pm-0001", email="kunde@example.ch")


@pytest.mark.parametrize("esp", OTHER_ESPS)
@pytest.mark.parametrize("kind", ["tracking", "inbound"])
def test_only_the_configured_esp_is_mounted(client, db, esp, kind):
    assert client.post(f"/anymail/{esp}/{kind}/", data="{}", content_type="application/json").status_code == 404
    assert client.post("/anymail/postmark/inbound/", data="{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/json"),  # empty
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),  # JSON, not an object
        ('"text"', "application/json"),
        ("null", "application/json"),
        ("{}", "application/json"),  # no RecordType
        ('{"RecordType": "Delivery"}', "application/json"),  # no message, no time
        ('{"RecordType": "Bounce", "Type": "HardBounce", "BouncedAt": "yesterday"}', "application/json"),
        ('{"RecordType": "Delivery", "DeliveredAt": 12, "MessageID": []}', "application/json"),
        ("\xff\xfe", "application/json"),  # not UTF-8
    ],
)
def test_malformed_payloads_answer_400_and_write_nothing(client, delivery, body, content_type):
    before = snapshot()
    response = client.post(URL, data=body.encode("latin-1"), content_type=content_type, **auth())
    assert response.status_code == 400, response.content
    assert snapshot() == before


def test_a_well_formed_event_still_counts(client, delivery):
    response = client.post(URL, data=json.dumps(delivered(delivery)), content_type="application/json", **auth())
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.tracking == "delivered"
