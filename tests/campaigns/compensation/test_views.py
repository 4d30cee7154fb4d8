"""The console page for an incident's compensation (approval views and the export)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from campaigns.models import Compensation, Voucher
from tests.factories import CustomerFactory, ExposureFactory, HostingAccountFactory, IncidentFactory


@pytest.fixture
def incident(db):
    incident = IncidentFactory(slug="xmas")
    account = HostingAccountFactory(
        customer=CustomerFactory(number="K1", name="Muster AG"), monthly_fee=Decimal("100.00")
    )
    ExposureFactory(incident=incident, account=account, affected_seconds=10 * 3600)
    return incident


@pytest.fixture
def second_finance_user(django_user_model):
    user = django_user_model.objects.create_user("controller", "c@example.ch", "pw-controller-1", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


def url(name, **kwargs):
    return reverse(f"console:{name}", kwargs={"slug": "xmas", **kwargs})


def test_finance_sees_a_preview_before_anything_is_stored(client, finance_user, incident):
    client.force_login(finance_user)

    response = client.get(url("compensation"))

    assert response.status_code == 200
    assert "CHF 25.00" in response.content.decode()
    assert not Compensation.objects.exists()


def test_four_eyes_in_the_console(client, finance_user, second_finance_user, incident):
    client.force_login(finance_user)
    client.post(url("compensation_prepare"))
    assert Compensation.objects.get().prepared_by == finance_user

    response = client.post(url("compensation_approve"), follow=True)
    assert "Approval refused" in response.content.decode()
    assert not Voucher.objects.exists()

    client.force_login(second_finance_user)
    response = client.post(url("compensation_approve"), follow=True)
    assert "1 compensation approved. 1 voucher issued." in response.content.decode()
    assert Voucher.objects.count() == 1
    assert Compensation.objects.get().status == "approved"

    export = client.get(url("compensation_export", fmt="csv"))
    assert export["Content-Type"].startswith("text/csv")
    assert "K1,Muster AG" in export.content.decode()


def test_support_prepares_but_cannot_approve(client, support_user, incident):
    # support runs the dry run and prepares; a second person with the finance role approves
    client.force_login(support_user)

    assert client.get(url("compensation")).status_code == 200
    client.post(url("compensation_prepare"))
    assert Compensation.objects.get().prepared_by == support_user
    assert client.post(url("compensation_approve")).status_code == 403
    assert client.get(url("compensation_export", fmt="csv")).status_code == 403
    assert Compensation.objects.get().status == "draft" and not Voucher.objects.exists()


def test_the_approve_button_shows_exactly_when_the_service_would_approve(
    client, finance_user, second_finance_user, support_user, incident
):
    from campaigns.compensation.services import compensation_can_approve

    button = "Approve and issue vouchers"
    page = lambda: client.get(url("compensation")).content.decode()  # noqa: E731
    # given nothing prepared: nobody may approve
    assert not compensation_can_approve(second_finance_user, incident=incident)
    # when finance prepares
    client.force_login(finance_user)
    client.post(url("compensation_prepare"))
    # then the preparer gets no button, the second finance user does, support never
    assert not compensation_can_approve(finance_user, incident=incident) and button not in page()
    client.force_login(support_user)
    assert not compensation_can_approve(support_user, incident=incident) and button not in page()
    client.force_login(second_finance_user)
    assert compensation_can_approve(second_finance_user, incident=incident) and button in page()


def test_preparers_are_named_once_with_their_count_and_statuses_in_the_readers_language(client, support_user, incident):
    # given: a second affected customer, and the compensation prepared by one person
    account = HostingAccountFactory(customer=CustomerFactory(number="K2"), monthly_fee=Decimal("50.00"))
    ExposureFactory(incident=incident, account=account, affected_seconds=30 * 3600)
    client.force_login(support_user)
    client.post(url("compensation_prepare"))
    # when: the page is read in German
    client.cookies["django_language"] = "de"
    page = client.get(url("compensation")).content.decode()
    # then: one line for the person, the drafts counted, the status as a word of the reader
    assert page.count("supporter (2 Entwürfe)") == 1
    assert "<td>Entwurf</td>" in page and "<td>draft</td>" not in page


def test_preparing_again_without_a_change_says_so_and_asks_no_approval(client, support_user, incident):
    client.force_login(support_user)
    client.post(url("compensation_prepare"), follow=True)
    stored = list(Compensation.objects.values_list("pk", "amount", "status"))

    response = client.post(url("compensation_prepare"), follow=True)

    html = response.content.decode()
    assert "Nothing changed: the stored compensation already matches" in html
    assert "must now approve" not in html
    assert list(Compensation.objects.values_list("pk", "amount", "status")) == stored
