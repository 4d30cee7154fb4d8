"""Console and admin pages of the API: tokens created by an admin (shown once), revoked; the docs
page served without any third-party host."""

import re

from django.contrib.auth.models import User

from campaigns.api.models import ApiToken
from campaigns.api.tokens import token_digest
from tests.campaigns.api.conftest import ApiClient


def _admin(client):
    user = User.objects.create_superuser("root", "root@example.ch", "pw-root-1")
    client.force_login(user)
    return user


def test_an_admin_creates_a_token_sees_it_once_and_revokes_it(client, db):
    _admin(client)

    response = client.post(
        "/console/api/tokens/",
        {"name": "billing", "scopes": ["vouchers", "read"], "expires_at": "2099-01-01T00:00", "rate_limit": "0"},
    )

    raw = re.search(r'<code class="token-secret">(hn_[^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(name="billing")
    assert token.digest == token_digest(raw)
    assert response["Cache-Control"] == "no-store"
    assert raw not in client.get("/console/api/tokens/").content.decode()
    assert ApiClient(raw).get("/api/v1/vouchers/").status_code == 200

    client.post(f"/console/api/tokens/{token.pk}/revoke/")

    assert ApiClient(raw).get("/api/v1/vouchers/").status_code == 401


def test_staff_without_admin_rights_cannot_see_tokens(client, support_user):
    client.force_login(support_user)

    assert client.get("/console/api/tokens/").status_code == 403
    assert client.post("/console/api/tokens/", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert ApiToken.objects.count() == 0


def test_the_admin_adds_a_token_through_the_service(client, db):
    _admin(client)

    response = client.post(
        "/admin/campaigns/apitoken/add/",
        {
            "name": "crm",
            "scopes": ["inventory"],
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00",
            "rate_limit": "0",
        },
        follow=True,
    )

    raw = re.search(r"(hn_[A-Za-z0-9_\-]{43})", response.content.decode()).group(1)
    assert ApiToken.objects.get(name="crm").digest == token_digest(raw)


def test_openapi_document_and_offline_docs(client, db):
    document = client.get("/api/v1/openapi.json").json()
    docs = client.get("/api/v1/docs/").content.decode()

    assert document["openapi"].startswith("3.")
    assert "/api/v1/vouchers/{code}/redeem/" in document["paths"]
    assert document["components"]["securitySchemes"]["TokenBearer"] == {"type": "http", "scheme": "bearer"}
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert not re.search(r"""(src|href)=["']https?://""", docs)
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
