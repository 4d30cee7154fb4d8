"""Rendered portal pages, cached per customer, page, language and version.

The body of a portal page (everything inside the layout: what happened, the timeline, the
compensation and its explanation, vouchers, balances, history) depends only on the customer's
data, their language and time zone; it is cached under the customer's portal version
(``accounts.portal_version``: every service that changes what a customer sees moves it) and the
status pages' generation (status updates shown on the incident page). The layout around it —
navigation, the sign-out form's CSRF token, flash messages — is rendered per request. A cache hit
costs three cache round trips and no database query beyond the session's.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import get_language

from accounts.portal_version import portal_version
from campaigns.status.cache import status_cache_generation


def portal_page_cached(request: HttpRequest, page: str, *parts: str, render: Callable[[], dict]) -> dict:
    """``render()``'s ``{"page_title": …, "body": …}`` for this customer and page, from the cache
    when the customer's portal version and the status generation are unchanged."""
    seconds = settings.HOSTNOTIFY["PORTAL_CACHE_SECONDS"]
    if not seconds:
        return render()
    customer = request.portal_customer  # type: ignore[attr-defined]
    key = ":".join(
        (
            "portal:page",
            page,
            str(customer.pk),
            get_language() or "",
            *parts,
            portal_version(customer.pk),
            str(status_cache_generation()),
        )
    )
    found = cache.get(key)
    if found is None:
        found = render()
        cache.set(key, found, seconds)
    return found
