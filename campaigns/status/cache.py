"""Generation counter for the public status pages' server-side cache.

Cached pages are keyed by the current generation; writing services bump it after their
transaction commits, so the next request renders afresh. Changes made elsewhere (admin, bulk
imports) show after at most ``STATUS_CACHE_SECONDS``, the lifetime of a cached page.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

_VERSION_KEY = STATUS_GENERATION_KEY = "status:generation"


def status_cache_seconds() -> int:
    return int(settings.HOSTNOTIFY.get("STATUS_CACHE_SECONDS", 0))


def status_cache_generation(known: dict | None = None) -> int:
    """The current generation; ``known``: cache entries already fetched that may hold it
    (``STATUS_GENERATION_KEY``), saving a round trip."""
    if known and _VERSION_KEY in known:
        return int(known[_VERSION_KEY])
    return int(cache.get_or_set(_VERSION_KEY, time.time_ns, timeout=None) or 0)


def status_cache_bump() -> None:
    """Invalidate every cached status page once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(_VERSION_KEY, time.time_ns(), timeout=None))
