"""The shipped WSGI application: pages through ``MIDDLEWARE``, the HTTP API through ``API_MIDDLEWARE``.

A browser page needs sessions, CSRF, messages, the signed-in user, clickjacking headers, static
files and django-axes. An API request authenticates with a token (``campaigns.api.auth``: scope,
rate limit, the audit log's actor) and needs none of them: they cost a voucher lookup about a
fifth of its time. So requests under ``API_PATH_PREFIX`` go to a second Django handler whose
middleware chain is ``API_MIDDLEWARE``; everything else goes to Django's own handler, behind
``campaigns.status.edge.StatusEdge``, which answers the public status pages it has seen Django
answer from the cache, before any middleware runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from accounts.private_apis import middleware_setting
from campaigns.status.edge import StatusEdge


class ApiWSGIHandler(WSGIHandler):
    """Django's WSGI handler with ``API_MIDDLEWARE`` as its middleware chain."""

    def load_middleware(self, is_async: bool = False) -> None:
        with middleware_setting(settings.API_MIDDLEWARE):
            super().load_middleware(is_async)


class ByPath:
    """A WSGI application that hands ``API_PATH_PREFIX`` to ``api`` and the rest to ``site``."""

    def __init__(self, *, site: Callable, api: Callable, prefix: str):
        self.site, self.api, self.prefix = site, api, prefix

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        application = self.api if environ.get("PATH_INFO", "").startswith(self.prefix) else self.site
        return application(environ, start_response)


def wsgi_application() -> ByPath:
    """Call after ``django.setup()`` (``get_wsgi_application`` does it)."""
    site = StatusEdge(WSGIHandler(), prefix=settings.STATUS_PATH_PREFIX)
    return ByPath(site=site, api=ApiWSGIHandler(), prefix=settings.API_PATH_PREFIX)
