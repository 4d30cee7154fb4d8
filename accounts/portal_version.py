"""The version of what a customer sees in the portal: cached portal pages are keyed by it.

Call ``portal_changed`` after every write that changes what customers see on their portal pages
(exposure, compensation, vouchers, redemption, balances, claims, letters, incident texts and status
updates):

    portal_changed(customer_ids=[customer.pk])   # what these customers see changed
    portal_changed()                             # what any customer may see changed (incident-wide work)

The version moves at once and again when the transaction commits: a page rendered meanwhile from
the data before the commit is cached under a version no request asks for any more. Versions live in
the Django cache (Redis in production, shared by every web process); a version that is missing
(a restarted cache) starts from the clock, never from a value an old page was stored under.
Writes made outside the services (the admin, SQL by hand) show after ``PORTAL_CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

_ALL_KEY = "portal:version:all"


def _customer_key(customer_id: int) -> str:
    return f"portal:version:customer:{customer_id}"


def _bump(keys: list[str]) -> None:
    now = time.time_ns()
    cache.set_many(dict.fromkeys(keys, now), timeout=None)


def portal_changed(*, customer_ids: Iterable[int] | None = None) -> None:
    """What ``customer_ids`` (None: every customer) see in the portal changed; cached pages of theirs
    are not served again."""
    keys = [_ALL_KEY] if customer_ids is None else [_customer_key(pk) for pk in set(customer_ids)]
    if not keys:
        return
    _bump(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(keys))


def portal_version(customer_id: int) -> str:
    """The version of ``customer_id``'s portal pages (one cache round trip)."""
    return portal_version_and(customer_id)[0]


def portal_version_and(customer_id: int, *others: str) -> tuple[str, dict]:
    """``portal_version(customer_id)`` and the cache entries ``others`` (``cache.get_many``), in
    the same round trip."""
    keys = [_ALL_KEY, _customer_key(customer_id)]
    found = cache.get_many([*keys, *others])
    extra = {key: found.pop(key) for key in others if key in found}
    missing = [key for key in keys if key not in found]
    if missing:
        now = time.time_ns()
        for key in missing:
            cache.add(key, now, timeout=None)
        found = {**found, **cache.get_many(missing)}
    return f"{found.get(_ALL_KEY, 0)}.{found.get(keys[1], 0)}", extra
