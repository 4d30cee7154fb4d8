"""Tokens: stored hashed, shown once, scoped, revocable, expiring, rate limited; errors as problems."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns.api.models import ApiToken
from campaigns.api.tokens import TokenInvalid, api_token_create, api_token_revoke
from campaigns.models import AuditEntry
from tests.campaigns.api.conftest import ApiClient
from tests.factories import IncidentFactory

PATH = "/api/v1/incidents/"


def test_a_new_token_is_stored_only_as_its_digest(db):
    token, raw = api_token_create(name="billing", scopes=["vouchers", "read"])

    assert raw.startswith("hn_") and len(raw) == 46
    stored = ApiToken.objects.get(name="billing")
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(ApiToken.objects.values_list()))
    assert stored.scopes == ["read", "vouchers"]
    assert AuditEntry.objects.get(action="api.token_create").data == {"name": "billing", "scopes": ["read", "vouchers"]}


@pytest.mark.parametrize(
    ("name", "scopes"), [("", ["read"]), ("crm", []), ("crm", ["read", "admin"])], ids=["no name", "no scope", "bad"]
)
def test_a_token_needs_a_name_and_known_scopes(db, name, scopes):
    with pytest.raises(TokenInvalid):
        api_token_create(name=name, scopes=scopes)
    assert ApiToken.objects.count() == 0


def test_the_command_prints_the_token_once_and_it_works(db):
    IncidentFactory(slug="storage-2005")
    out = StringIO()

    call_command("create_api_token", "crm", "--scope", "read", "--scope", "inventory", stdout=out, stderr=StringIO())

    raw = out.getvalue().strip()
    response = ApiClient(raw).get(PATH)
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["items"]] == ["storage-2005"]
    assert ApiToken.objects.get(name="crm").scopes == ["inventory", "read"]


def test_the_command_refuses_a_second_token_of_the_same_name(db):
    api_token_create(name="crm", scopes=["read"])
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_api_token", "crm", "--scope", "read", stdout=StringIO(), stderr=StringIO())


def test_no_token_or_an_unknown_one_is_401_as_problem_json(db):
    for client in (ApiClient(None), ApiClient("hn_" + "x" * 43), ApiClient("garbage")):
        response = client.get(PATH)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Authentication required",
            "status": 401,
            "detail": "A valid API token is required.",
        }


def test_a_token_without_the_scope_gets_403(make_api):
    api = make_api("vouchers")

    response = api.get(PATH)

    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the scope 'read'."


def test_a_revoked_token_stops_working_at_once(make_api):
    api = make_api("read")
    assert api.get(PATH).status_code == 200

    api_token_revoke(token=api.token)

    assert api.get(PATH).status_code == 401
    assert AuditEntry.objects.filter(action="api.token_revoke").count() == 1


def test_an_expired_token_is_refused(make_api):
    api = make_api("read", expires_at=timezone.now() + dt.timedelta(seconds=30))
    ApiToken.objects.filter(pk=api.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert api.get(PATH).status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(make_api):
    api = make_api("read", rate_limit=3)

    statuses = [api.get(PATH).status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    response = api.get(PATH)
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_an_unknown_path_under_the_api_is_a_404_problem(db):
    response = ApiClient(None).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "No such resource; see /api/v1/openapi.json."


def test_a_method_an_operation_lacks_is_a_405_problem(make_api):
    response = make_api("read").client.delete("/api/v1/incidents/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert sorted(response["Allow"].replace(" ", "").split(",")) == ["GET", "POST"]
