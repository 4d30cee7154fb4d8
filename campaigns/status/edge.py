"""The public status pages answered in front of Django: a WSGI layer of the shipped application.

During an outage everyone reloads ``/status/``, and after a mailing they do so while customers rush
the portal. A status page is the same for every reader of a language (``status_cacheable`` renders
it once per language and cache generation), yet through Django each answer still paid for the
whole middleware chain — sessions, CSRF, locale, messages, axes — about 2.5 ms of CPU. This layer
keeps each page as Django answered it the first time (status line, headers, body) and answers the
next readers itself: one cache round trip for the generation, the page from this process's memory,
the conditional GET (``ETag``/``Last-Modified`` → 304) as Django does it.

What makes it the same answer as Django's:

- Only responses that ``status_cacheable`` marked are kept (``EDGE_MARK``), only a 200 without
  ``Set-Cookie``, and only when the language Django served (its ``Content-Language``) is the one this
  layer picks for the request: ``?lang=`` first, then the cookie and Accept-Language as
  ``LocaleMiddleware`` reads them.
- Keys carry the status cache generation: publishing an update bumps it (``status_cache_bump``),
  and the next request renders afresh through Django, in every process. An entry lives
  ``STATUS_CACHE_SECONDS`` at most, as the page in Django's own cache does.
- Requests that Django would answer differently go to Django: not GET/HEAD, a host not allowed, an
  http request when ``SECURE_SSL_REDIRECT`` wants https, ``If-Match``/``If-Unmodified-Since``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from campaigns.status.cache import status_cache_generation, status_cache_seconds

# Set by ``status_cacheable`` on the responses it serves: ``response.<EDGE_MARK> = language``.
EDGE_MARK = "status_edge_language"
# Headers a 304 repeats (as django.utils.cache's own not-modified answer does).
_NOT_MODIFIED_HEADERS = frozenset(
    ("cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary")
)
_LOCAL_ENTRIES = 256


class StatusEdge:
    """WSGI middleware: status pages under ``prefix`` from the cache, everything else to ``application``."""

    def __init__(self, application: Callable, *, prefix: str):
        self.application, self.prefix = application, prefix
        self._local: dict[str, dict] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        seconds = status_cache_seconds()
        if (
            not seconds
            or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or not environ.get("PATH_INFO", "").startswith(self.prefix)
            or "HTTP_IF_MATCH" in environ
            or "HTTP_IF_UNMODIFIED_SINCE" in environ
        ):
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        if not _host_allowed(request) or (settings.SECURE_SSL_REDIRECT and not request.is_secure()):
            return self.application(environ, start_response)
        language = _language(request)
        key = _key(status_cache_generation(), language, environ)
        entry = self._entry(key)
        if entry is None:
            return self._fill(environ, start_response, key, language, seconds)
        return _answer(request, entry, start_response)

    def _entry(self, key: str) -> dict | None:
        now = time.time()
        entry = self._local.get(key)
        if entry is None:
            entry = cache.get(key)
            if entry is None:
                return None
            self._remember(key, entry)
        return entry if entry["expires_at"] > now else None

    def _remember(self, key: str, entry: dict) -> None:
        with self._lock:
            if len(self._local) >= _LOCAL_ENTRIES:
                # older generations and expired pages go; if that frees nothing, start over
                generation = key.split(":", 3)[2]
                now = time.time()
                self._local = {
                    k: e for k, e in self._local.items() if k.split(":", 3)[2] == generation and e["expires_at"] > now
                }
                if len(self._local) >= _LOCAL_ENTRIES:
                    self._local = {}
            self._local[key] = entry

    def _fill(self, environ: dict, start_response: Callable, key: str, language: str, seconds: int):
        """Django answers; a marked 200 of the same language without cookies is kept for the next readers."""
        started: dict = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            started["status"], started["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        response = self.application(environ, capture)
        if (
            isinstance(response, HttpResponse)
            and getattr(response, EDGE_MARK, None) == language
            and started.get("status", "").startswith("200 ")
            and response.get("Content-Language") == language
            and not any(name.lower() == "set-cookie" for name, _ in started["headers"])
        ):
            entry = {
                "headers": [(name, value) for name, value in started["headers"] if name.lower() != "date"],
                "content": response.content,
                "etag": response.get("ETag"),
                "last_modified": parse_http_date_safe(response.get("Last-Modified") or ""),
                "expires_at": time.time() + seconds,
            }
            cache.set(key, entry, seconds)
            self._remember(key, entry)
        return response


def _host_allowed(request: WSGIRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


def _language(request: WSGIRequest) -> str:
    """The language Django serves this request in (``LocaleMiddleware``, then ``?lang=``)."""
    requested = request.GET.get("lang", "")
    if requested in dict(settings.LANGUAGES):
        return requested
    return translation.get_language_from_request(request)


def _key(generation: int, language: str, environ: dict) -> str:
    target = f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    digest = hashlib.md5(target.encode(), usedforsecurity=False).hexdigest()
    return f"status:edge:{generation}:{language}:{digest}"


def _answer(request: WSGIRequest, entry: dict, start_response: Callable) -> list[bytes]:
    not_modified = get_conditional_response(request, etag=entry["etag"], last_modified=entry["last_modified"])
    if not_modified is not None:  # only a 304 here: If-Match and If-Unmodified-Since went to Django
        start_response(
            "304 Not Modified",
            [(name, value) for name, value in entry["headers"] if name.lower() in _NOT_MODIFIED_HEADERS],
        )
        return []
    start_response("200 OK", entry["headers"])
    return [] if request.method == "HEAD" else [entry["content"]]
