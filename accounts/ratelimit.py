"""Fixed-window rate limits on the Django cache (Redis when configured, so every web worker
shares the counters). Keys are hashed: no e-mail address or IP address is stored in clear."""

import hashlib

from django.core.cache import cache


def _key(scope: str, subject: str) -> str:
    digest = hashlib.sha256(f"{scope}|{subject}".lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}"


def rate_limited(*, scope: str, subjects: list[str], limit: int) -> bool:
    """True when any subject (a customer id, an address, …) has used up its ``limit`` in ``scope``."""
    keys = [_key(scope, subject) for subject in subjects if subject]
    counts = cache.get_many(keys)
    return any(int(count) >= limit for count in counts.values())


def rate_limit_count(*, scope: str, subjects: list[str], window: int) -> None:
    """Count one attempt for every subject; a counter lives ``window`` seconds from its first attempt."""
    for subject in subjects:
        if not subject:
            continue
        key = _key(scope, subject)
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def rate_limit_reset(*, scope: str, subjects: list[str]) -> None:
    cache.delete_many([_key(scope, subject) for subject in subjects if subject])
