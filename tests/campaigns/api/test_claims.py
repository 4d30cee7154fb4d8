"""Claims through the API: list and read with the claims scope, answer through the console's
services, audited under the token's name; bad answers are problems, nothing changes."""

from decimal import Decimal

import pytest

from campaigns.claims.models import Claim
from campaigns.claims.services import claim_file
from campaigns.compensation.models import CompensationTopUp, Voucher
from campaigns.models import AuditEntry
from tests.claims_world import claims_world
from tests.factories import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    world = claims_world(language="it")
    return claim_file(
        customer=world.customer, contact=world.contact, incident=world.incident, account_id=world.account.pk,
        kind="longer", period=(utc(2006, 1, 2, 18), utc(2006, 1, 4)), text="Più lungo", uploads=[],
    )  # fmt: skip


def test_list_and_read_need_the_claims_scope(make_api, claim):
    assert make_api("read").get("/api/v1/claims/").status_code == 403
    api = make_api("claims")
    listing = api.get("/api/v1/claims/", status="open", incident="christmas-2005").json()
    assert listing["count"] == 1
    item = listing["items"][0]
    assert (item["id"], item["customer_number"], item["status"], item["language"]) == (
        claim.pk,
        "K004200",
        "open",
        "it",
    )
    assert api.get("/api/v1/claims/", status="rejected").json()["count"] == 0
    assert api.get(f"/api/v1/claims/{claim.pk}/").json()["text"] == "Più lungo"
    assert api.get("/api/v1/claims/999999/").status_code == 404


def test_accept_through_the_api_waits_for_finance_and_is_audited(make_api, claim):
    api = make_api("claims", name="crm")
    body = {"decision": "accept", "resolution": "goodwill", "amount": "15.00", "answer": "Le concediamo 15 franchi."}
    response = api.post(f"/api/v1/claims/{claim.pk}/answer/", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["resolution"], data["answered_by"]) == ("accepted", "goodwill", "api:crm")
    assert Decimal(data["amount_added"]) == Decimal("15.00")
    assert list(CompensationTopUp.objects.values_list("amount", "status")) == [(Decimal("15.00"), "pending")]
    assert not Voucher.objects.filter(is_topup=True).exists()
    entry = AuditEntry.objects.get(action="claim.accept_goodwill")
    assert (entry.actor, entry.actor_label) == (None, "api:crm")
    again = api.post(f"/api/v1/claims/{claim.pk}/answer/", {**body, "decision": "reject"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "accept", "answer": "x"},  # no resolution
        {"decision": "accept", "resolution": "goodwill", "answer": "x"},  # no amount
        {"decision": "reject", "answer": "   "},
        {"decision": "accept", "resolution": "adjustment", "start": "2006-01-02T18:00:00Z", "answer": "x"},
    ],
)
def test_bad_answers_are_problems_and_change_nothing(make_api, claim, body):
    response = make_api("claims").post(f"/api/v1/claims/{claim.pk}/answer/", body)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert Claim.objects.get().status == "open" and not CompensationTopUp.objects.exists()
