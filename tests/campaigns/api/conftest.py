"""An API client: Django's test client with a real token in the Authorization header."""

import pytest
from django.test import Client

from campaigns.api.tokens import api_token_create

ALL_SCOPES = ["incidents", "inventory", "read", "vouchers", "claims"]


class ApiClient:
    def __init__(self, raw: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"} if raw else {}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, data=None, headers=None, **kwargs):
        return self.client.post(
            path, data, content_type="application/json", headers={**self.headers, **(headers or {})}, **kwargs
        )

    def patch(self, path, data=None, headers=None):
        return self.client.patch(
            path, data, content_type="application/json", headers={**self.headers, **(headers or {})}
        )


@pytest.fixture
def make_api(db):
    def make(*scopes, name=None, **kwargs):
        scopes = list(scopes) or ALL_SCOPES
        token, raw = api_token_create(name=name or "-".join(scopes), scopes=scopes, **kwargs)
        api = ApiClient(raw)
        api.token, api.raw = token, raw
        return api

    return make


@pytest.fixture
def api(make_api):
    return make_api(*ALL_SCOPES, name="integration")
