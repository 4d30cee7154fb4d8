"""The suppression list in the console: see, search, lift with a reason (audited); the next
mailing reaches a lifted address again."""

import pytest

from campaigns.models import AuditEntry, SuppressedAddress
from tests.factories import CustomerFactory, DeliveryFactory


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def suppressed(db):
    delivery = DeliveryFactory(email="anna@example.ch", customer=CustomerFactory(number="K100123"))
    anna = SuppressedAddress.objects.create(email="anna@example.ch", reason="bounced", delivery=delivery)
    SuppressedAddress.objects.create(email="bruno@example.ch", reason="complained")
    return anna


def test_support_sees_and_searches_the_list_in_german(support_client, suppressed):
    support_client.cookies["django_language"] = "de"

    page = support_client.get("/console/suppressions/", {"q": "K100123"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "anna@example.ch" in page
    assert "bruno@example.ch" not in page
    assert "1 gesperrte Adresse." in page
    everyone = support_client.get("/console/suppressions/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "bruno@example.ch" in everyone


def test_lifting_needs_a_reason_and_nothing_changes_without_one(support_client, suppressed):
    response = support_client.post(f"/console/suppressions/{suppressed.pk}/lift/", {"reason": "  "})

    assert response.status_code == 302
    assert SuppressedAddress.objects.count() == 2
    assert not AuditEntry.objects.filter(action="suppression.lift").exists()


def test_lifting_with_a_reason_removes_the_address_and_audits_it(support_client, suppressed, support_user):
    response = support_client.post(f"/console/suppressions/{suppressed.pk}/lift/", {"reason": "Postfach repariert"})

    assert response.status_code == 302
    assert list(SuppressedAddress.objects.values_list("email", flat=True)) == ["bruno@example.ch"]
    entry = AuditEntry.objects.get(action="suppression.lift")
    assert (entry.actor, entry.data["email"], entry.data["suppressed_for"], entry.data["reason"]) == (
        support_user,
        "anna@example.ch",
        "bounced",
        "Postfach repariert",
    )


def test_staff_without_support_role_cannot_lift(client, suppressed, django_user_model):
    client.force_login(django_user_model.objects.create_user("ops", is_staff=True))

    assert client.post(f"/console/suppressions/{suppressed.pk}/lift/", {"reason": "x"}).status_code == 403
    assert SuppressedAddress.objects.count() == 2


# --- a mailing's pace ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "sending", "paused"])
def test_support_changes_the_pace_until_the_mailing_finishes(support_client, status):
    from tests.factories import MailingFactory

    mailing = MailingFactory(status=status, rate_per_second=0, batch_size=200)

    response = support_client.post(
        f"/console/mailings/{mailing.pk}/pace/", {"rate_per_second": "2.5", "batch_size": "50"}
    )

    assert response.status_code == 302
    mailing.refresh_from_db()
    assert (mailing.rate_per_second, mailing.batch_size) == (2.5, 50)
    entry = AuditEntry.objects.get(action="mailing.pace")
    assert entry.data == {
        "before": {"rate_per_second": 0, "batch_size": 200},
        "after": {"rate_per_second": 2.5, "batch_size": 50},
    }


@pytest.mark.parametrize(
    ("status", "data"),
    [
        ("done", {"rate_per_second": "2", "batch_size": "50"}),
        ("sending", {"rate_per_second": "-1", "batch_size": "50"}),
        ("sending", {"rate_per_second": "2", "batch_size": "0"}),
        ("sending", {"rate_per_second": "nan", "batch_size": "50"}),
    ],
)
def test_a_finished_mailing_or_a_bad_pace_changes_nothing(support_client, status, data):
    from tests.factories import MailingFactory

    mailing = MailingFactory(status=status, rate_per_second=1, batch_size=200)

    response = support_client.post(f"/console/mailings/{mailing.pk}/pace/", data)

    assert response.status_code == 302
    mailing.refresh_from_db()
    assert (mailing.rate_per_second, mailing.batch_size) == (1, 200)
    assert not AuditEntry.objects.filter(action="mailing.pace").exists()
