"""Rendered portal pages, cached per customer, page, language and version.

A portal page (the body — what happened, the timeline, the compensation and its explanation,
vouchers, balances, history — and the layout around it: navigation, the customer's name) depends
only on the customer's data, their language and time zone; it is cached whole under the customer's
portal version (``accounts.portal_version``: every service that changes what a customer sees moves
it) and the status pages' generation (status updates shown on the incident page). What belongs to
the request stays per request: the CSRF token of the sign-out and language forms is rendered as a
slot and filled with this request's token on the way out; a request with flash messages or a query
string renders the layout afresh around the cached body. A cache hit costs three cache round
trips, a string replacement and no database query beyond the session's.

The morning after a mailing each customer's first visit renders the page; the pieces that are the
same for every customer of an incident (its status updates) come from the status cache per
incident and language (``campaigns.status.selectors.incident_updates_cached``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render as render_page
from django.template.loader import render_to_string
from django.utils.translation import get_language

from accounts.portal_version import portal_version_and
from campaigns.status.cache import STATUS_GENERATION_KEY, status_cache_generation

TEMPLATE = "portal/page.html"
# Rendered where {% csrf_token %} puts the token; replaced by the request's own (masked) token.
CSRF_SLOT = "csrf-slot-3f9a61c0d2b84e57"


def portal_page(request: HttpRequest, page: str, *parts: str, render: Callable[[], dict]) -> HttpResponse:
    """The portal page ``page`` (``render()`` gives its ``{"page_title": …, "body": …}``) for this
    customer, from the cache when the customer's portal version and the status generation are
    unchanged."""
    seconds = settings.HOSTNOTIFY["PORTAL_CACHE_SECONDS"]
    if not seconds:
        return render_page(request, TEMPLATE, render())
    key = _key(request, page, parts)
    layout_per_request = bool(request.GET) or bool(get_messages(request))
    found = cache.get_many([key, f"{key}:body"])  # one round trip
    if key in found and not layout_per_request:
        return _response(request, zlib.decompress(found[key]).decode())
    body = found.get(f"{key}:body") or render()
    if layout_per_request:
        # the body alone is kept for these (rare) requests: the whole page is what most requests need
        cache.set(f"{key}:body", body, seconds)
        return render_page(request, TEMPLATE, body)
    html = render_to_string(TEMPLATE, {**body, "csrf_token": CSRF_SLOT}, request)
    # compressed (fastest level: a tenth of a millisecond): the morning after a mailing holds a
    # page for every customer who came in the last PORTAL_CACHE_SECONDS
    cache.set(key, zlib.compress(html.encode(), 1), seconds)
    return _response(request, html)


def _response(request: HttpRequest, html: str) -> HttpResponse:
    return HttpResponse(html.replace(CSRF_SLOT, get_token(request)))


def _key(request: HttpRequest, page: str, parts: tuple[str, ...]) -> str:
    """The page's key: the customer's portal version and the status generation in one round trip
    (the generation is kept on the request for the status updates the page shows)."""
    customer = request.portal_customer  # type: ignore[attr-defined]
    version, found = portal_version_and(customer.pk, STATUS_GENERATION_KEY)
    generation = request.status_generation = status_cache_generation(found)  # type: ignore[attr-defined]
    return ":".join(("portal:page", page, str(customer.pk), get_language() or "", *parts, version, str(generation)))
