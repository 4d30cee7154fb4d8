"""Public status pages: what is down right now, the history, one incident's windows and timeline.

Everyone opens these during an outage, so every response is rendered once per language and cache
generation (see ``campaigns.status.cache``), carries an ETag and Last-Modified for conditional GETs
and may be cached publicly for ``STATUS_CACHE_SECONDS``.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from accounts.languages import LANGUAGE_CODES
from campaigns.incidents.models import Incident
from campaigns.status.cache import status_cache_generation, status_cache_seconds
from campaigns.status.edge import EDGE_MARK
from campaigns.status.selectors import status_incident, status_overview

_LANGUAGES = frozenset(LANGUAGE_CODES)


def activate_requested_language(request) -> str:
    """``?lang=xx`` (feed readers send no preferences) wins over the cookie and Accept-Language."""
    requested = request.GET.get("lang", "")
    if requested in _LANGUAGES:
        translation.activate(requested)
        request.LANGUAGE_CODE = requested
    return translation.get_language()


def status_cacheable(view):
    """Serve the view's 200 responses from the cache, with validators and public caching headers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        language = activate_requested_language(request)
        seconds = status_cache_seconds()
        key = entry = None
        if seconds:
            path_hash = hashlib.md5(request.path.encode(), usedforsecurity=False).hexdigest()
            key = f"status:page:{status_cache_generation()}:{language}:{path_hash}"
            entry = cache.get(key)
        if entry is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            content = response.content
            entry = {
                "content": content,
                "content_type": response["Content-Type"],
                "last_modified": response.get("Last-Modified"),
                "etag": f'"{hashlib.sha256(content).hexdigest()[:32]}"',
            }
            if key:
                cache.set(key, entry, seconds)
        response = HttpResponse(entry["content"], content_type=entry["content_type"])
        response["ETag"] = entry["etag"]
        if entry["last_modified"]:
            response["Last-Modified"] = entry["last_modified"]
        patch_cache_control(response, public=True, max_age=seconds)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        setattr(response, EDGE_MARK, language)  # the WSGI layer in front may answer the next readers
        return get_conditional_response(
            request,
            etag=entry["etag"],
            last_modified=parse_http_date_safe(entry["last_modified"] or ""),
            response=response,
        )

    return require_safe(wrapper)


def _last_modified(response, *moments):
    known = [moment for moment in moments if moment is not None]
    if known:
        response["Last-Modified"] = http_date(max(known).timestamp())
    return response


def _context(**extra):
    return {"brand": settings.HOSTNOTIFY["BRAND_NAME"], **extra}


@status_cacheable
def index(request):
    overview = status_overview(translation.get_language())
    response = render(request, "status/index.html", _context(**overview))
    incidents = [*(entry.incident for entry in overview["current"]), *overview["history"]]
    updates = [update for entry in overview["current"] for update in entry.latest_updates]
    return _last_modified(response, *(i.updated_at for i in incidents), *(u.updated_at for u in updates))


@status_cacheable
def incident_detail(request, slug):
    incident = get_object_or_404(Incident, slug=slug, public=True)
    detail = status_incident(incident, translation.get_language())
    response = render(request, "status/incident.html", _context(incident=incident, **detail))
    return _last_modified(response, incident.updated_at, *(u.updated_at for u in detail["updates"]))


def language(request, code):
    """Remember the reader's language in the cookie LocaleMiddleware reads; pages stay cacheable
    because this, not the cached page, carries no per-reader state (no CSRF form needed)."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("status:index")
    response = HttpResponseRedirect(next_url)
    if code in _LANGUAGES:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response
