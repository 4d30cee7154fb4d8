"""Authentication of API requests: a token (``Authorization: Bearer …``, or ``?token=…`` for
senders that cannot set a header, such as some Alertmanager set-ups), its scope, its rate limit."""

from __future__ import annotations

import time

from django.http import HttpRequest
from ninja.security import APIKeyQuery, HttpBearer

from campaigns.api.models import ApiToken
from campaigns.api.problems import Forbidden, Problem, RateLimited
from campaigns.api.schemas import unstorable
from campaigns.api.tokens import ApiActor, api_token_admit


def _admit(request: HttpRequest, raw: str | None, scope: str) -> ApiToken | None:
    if unstorable([request.path, *request.GET.values()]):
        raise Problem("The path and the query must be valid UTF-8 without NUL characters.")
    token, wait = api_token_admit(raw or "", now=time.time())
    if token is None:
        return None  # 401
    if wait:
        raise RateLimited(wait)
    if scope not in token.scopes:
        raise Forbidden(f"This token lacks the scope {scope!r}.")
    request.api_token = token  # type: ignore[attr-defined]
    return token


class TokenBearer(HttpBearer):
    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return _admit(request, token, self.scope)


class TokenQuery(APIKeyQuery):
    """``?token=…``: for the Alertmanager receiver, whose senders cannot always set a header."""

    param_name = "token"

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiToken | None:
        return _admit(request, key, self.scope) if key else None


def scoped(scope: str) -> list:
    return [TokenBearer(scope)]


def actor(request: HttpRequest) -> ApiActor:
    """The token of the request as the actor the audit log names."""
    return ApiActor(token_name=request.auth.name)  # type: ignore[attr-defined]


def has_scope(request: HttpRequest, scope: str) -> bool:
    return scope in request.auth.scopes  # type: ignore[attr-defined]
