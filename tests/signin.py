"""Signing in to the portal in tests: the sign-in link of a mail, and rate-limit counters of the
test's own."""

import re
import uuid

LINK = re.compile(r"https?://[^\s]+/portal/login/[^\s/]+/")


def link_from(message) -> str:
    """The sign-in link in a sent mail."""
    return LINK.search(message.body).group(0)


def private_cache(settings) -> None:
    """A cache of the test's own: rate-limit counters of parallel test workers (which share the
    client address 127.0.0.1 and, with REDIS_URL, one Redis database) must not add up."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
