"""Shared fixtures. Services (PostgreSQL, Redis, Chromium) are used where the behaviour depends
on them; without them those tests skip, unless REQUIRE_SERVICES=1, where they fail."""

import os
import shutil

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("this test needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not _redis_url():
        _missing("this test needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    if request.node.get_closest_marker("browser") and not shutil.which("chromium"):
        _missing("this test needs Chromium (Debian package chromium)")


def _services_line() -> str:
    """What this run talks to, e.g. ``database: PostgreSQL 16.4 (test_hostnotify), broker: Redis …``."""
    from urllib.parse import urlsplit

    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        name = db["NAME"] if db["NAME"].startswith("test_") else f"test_{db['NAME']}"
        database = f"PostgreSQL at {db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432} ({name})"
    else:
        database = "SQLite (PostgreSQL tests skip, or fail with REQUIRE_SERVICES=1)"
    url = urlsplit(_redis_url())
    broker = f"Redis at {url.hostname}:{url.port or 6379}{url.path}" if url.hostname else "none, Celery in-process"
    return f"database: {database}; broker: {broker}"


def pytest_report_header(config):
    return _services_line()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(_services_line())


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if url:
        return url
    return ""


@pytest.fixture
def redis_url():
    url = _redis_url()
    if not url:
        _missing("this test needs Redis: set REDIS_URL")
    return url


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _erase_test_ledger(request):
    """A transactional test ends with ``flush``, which the append-only ledger refuses while it
    holds rows (and on PostgreSQL its TRUNCATE trigger too). The test database's superuser
    empties it first with triggers off for this session — what no application role can do."""
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up before, torn down after this fixture
    yield
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM accounts_ledgerentry")


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Media and .eml mail go to a per-test directory; Celery runs eagerly unless a test opts out;
    passwords hash with MD5 (one PBKDF2 hash costs most of a second; hashing is not under test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    # Tests read English unless they choose a language: the product default is German.
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    translation.activate("en")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from hostnotify.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def support_user(db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("supporter", "support@example.ch", "pw-support-1", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="support")[0])
    return user


@pytest.fixture
def finance_user(db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("financier", "finance@example.ch", "pw-finance-1", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


@pytest.fixture(autouse=True)
def _fresh_mailing_cache():
    """the sending engine caches approved mailings per process; test databases reuse ids."""
    from campaigns.mailings.sending import _MAILING_CACHE

    _MAILING_CACHE.clear()
    yield
    _MAILING_CACHE.clear()


@pytest.fixture(autouse=True)
def _affected_customers_count_from_zero():
    """The n-th affected customer a test builds is K00000n (its mail k00000n@kunde.example.ch)."""
    from tests.factories import AffectedCustomerFactory

    AffectedCustomerFactory.reset_sequence()


@pytest.fixture(autouse=True)
def _fresh_portal_pages():
    """Cached portal pages are keyed by customer ids, which test databases reuse: every test starts
    with a new portal version for everyone."""
    from accounts.portal_version import portal_changed

    portal_changed()
