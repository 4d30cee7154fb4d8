"""The console pages of the forms of compensation: finance proposes, a second finance user
approves, support cannot reach them; partner code uploads show every bad row and add nothing."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import PartnerCode
from campaigns.offers.configuration import offer_in_force
from tests.campaigns.offers.world import upload
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def controller(django_user_model):
    user = django_user_model.objects.create_user("controller", "controller@example.ch", "pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


def _client(client, user):
    client.force_login(user)
    return client


def test_finance_proposes_and_a_second_person_approves(client, finance_user, controller, django_user_model):
    incident = IncidentFactory(redemption_options=["balance"])
    upload()
    url = reverse("console:incident_offers", kwargs={"slug": incident.slug})
    proposal = {"forms_offered": ["balance", "partner", "donation"], "default": "partner", "partners": ["Digitec"],
                "organisation": "Glückskette"}  # fmt: skip

    response = _client(client, finance_user).post(url, proposal)
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-test="offer-pending"' in page and 'data-test="approve-offers"' not in page
    client.post(reverse("console:incident_offers_approve", kwargs={"slug": incident.slug}))
    assert offer_in_force(incident).forms == ("balance",)  # the proposer's approval is refused

    client.logout()
    _client(client, controller)
    assert 'data-test="approve-offers"' in client.get(url).content.decode()
    client.post(reverse("console:incident_offers_approve", kwargs={"slug": incident.slug}))
    assert offer_in_force(incident).forms == ("partner", "balance", "donation")  # the default first


def test_a_bad_proposal_shows_why(client, finance_user):
    incident = IncidentFactory()
    url = reverse("console:incident_offers", kwargs={"slug": incident.slug})
    response = _client(client, finance_user).post(url, {"forms_offered": ["donation"], "default": "donation"})
    assert response.status_code == 400
    assert "Name the organisation that receives donations." in response.content.decode()


def test_support_reaches_neither_page(client, support_user):
    incident = IncidentFactory()
    _client(client, support_user)
    assert client.get(reverse("console:incident_offers", kwargs={"slug": incident.slug})).status_code == 403
    assert client.get(reverse("console:partners")).status_code == 403
    assert client.post(reverse("console:incident_offers_approve", kwargs={"slug": incident.slug})).status_code == 403


def test_upload_shows_every_bad_row_and_adds_nothing(client, finance_user):
    csv = b"code,face_value,currency\nDG-0001,20,CHF\nDG-0001,20,CHF\nDG-0002,20,CHX\n"
    response = _client(client, finance_user).post(
        reverse("console:partners"),
        {"partner": "Digitec", "low_threshold": 5, "file": SimpleUploadedFile("codes.csv", csv)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "codes.csv:3: code DG-0001 is also on line 2" in page and "codes.csv:4: currency" in page
    assert not PartnerCode.objects.exists()


def test_upload_fills_a_pool_and_the_page_warns_when_it_runs_low(client, finance_user):
    csv = b"code,face_value,currency\nDG-0001,20,CHF\nDG-0002,20,CHF\n"
    response = _client(client, finance_user).post(
        reverse("console:partners"),
        {"partner": "Digitec", "low_threshold": 5, "file": SimpleUploadedFile("codes.csv", csv)},
        follow=True,
    )
    page = response.content.decode()
    assert "2 codes added for Digitec" in page
    assert 'data-test="pool-low"' in page and "2 codes left" in page
    assert PartnerCode.objects.count() == 2
    assert "DG-0001" not in page  # the codes themselves are not listed
