"""The rate limiter on the cache: the same counters across processes when the cache is Redis."""

import pytest
from django.core.cache import caches

from accounts import ratelimit


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "accounts.private_apis.RedisCache",  # the backend settings.py ships
            "LOCATION": redis_url,
            "KEY_PREFIX": "hostnotify-test-ratelimit",
        }
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


def _exercise():
    subjects = ["customer:1", "ip:10.0.0.1"]
    for _ in range(3):
        assert not ratelimit.rate_limited(scope="t", subjects=subjects, limit=3)
        ratelimit.rate_limit_count(scope="t", subjects=subjects, window=60)
    assert ratelimit.rate_limited(scope="t", subjects=subjects, limit=3)
    # a subject that shares one key with a limited one is limited too; fresh ones are not
    assert ratelimit.rate_limited(scope="t", subjects=["customer:2", "ip:10.0.0.1"], limit=3)
    assert not ratelimit.rate_limited(scope="t", subjects=["customer:2", "ip:10.0.0.2"], limit=3)
    assert not ratelimit.rate_limited(scope="other", subjects=subjects, limit=3)
    ratelimit.rate_limit_reset(scope="t", subjects=subjects)
    assert not ratelimit.rate_limited(scope="t", subjects=subjects, limit=3)


def test_counts_and_limits_on_the_local_cache():
    caches["default"].clear()
    _exercise()


@pytest.mark.redis
def test_counts_and_limits_on_redis(redis_cache):
    _exercise()
    ratelimit.rate_limit_count(scope="t", subjects=["customer:9"], window=60)
    keys = caches["default"]._cache.get_client().keys("hostnotify-test-ratelimit:*")
    assert len(keys) == 1 and b"customer" not in keys[0]  # hashed, no identifiers in clear
