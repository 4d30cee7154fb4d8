"""The web server as shipped (gunicorn with ``hostnotify/gunicorn.conf.py``, production settings,
PostgreSQL): pages that hang do not starve ``/status/``, and they end after the statement timeout
instead of holding a thread for ever."""

import concurrent.futures
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from accounts.portal_session import SESSION_CONTACT, SESSION_HASH, _password_digest
from tests.factories import AffectedCustomerFactory

ROOT = Path(__file__).resolve().parent.parent
STATEMENT_TIMEOUT_MS = 8000
HANGING = 6  # twice the sync workers the server used to run; fewer than one worker's threads

pytestmark = pytest.mark.postgres


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def server(tmp_path):
    """gunicorn started the way docker-compose starts it, on a port the OS chooses."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_STATEMENT_TIMEOUT"}},
        "DATABASE_URL": _database_url(),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ANYMAIL_WEBHOOK_SECRET": f"test:{secrets.token_urlsafe(24)}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "HOSTNOTIFY_VAR_DIR": str(tmp_path),
        "WEB_BIND": "127.0.0.1:0",
        "WEB_WORKERS": "2",
        "WEB_ACCESS_LOG": "",
        "STATUS_CACHE_SECONDS": "0",  # every /status/ request reaches the database
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "hostnotify.wsgi",
                "--config",
                "hostnotify/gunicorn.conf.py",
                "--env",
                f"DATABASE_STATEMENT_TIMEOUT={STATEMENT_TIMEOUT_MS}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield found.group(1), env["SECRET_KEY"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(url: str, cookie: str = "") -> tuple[int, float]:
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_hanging_portal_pages_neither_starve_the_status_page_nor_hang_for_ever(transactional_db, server, settings):
    base, secret_key = server
    # given a signed-in customer (a session the server can read: same key, same database)
    world = AffectedCustomerFactory(with_voucher=True, pdf=True)
    settings.SECRET_KEY = secret_key
    session = SessionStore()
    session[SESSION_CONTACT] = world.contact.pk
    session[SESSION_HASH] = _password_digest(world.contact)
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    page = f"{base}/portal/incidents/{world.incident.slug}/"
    # (the incident page itself is not fetched before: a second fetch would come from the
    # customer's page cache and never reach the locked table)
    assert _get(f"{base}/portal/", cookie)[0] == 200
    assert _get(f"{base}/status/")[0] == 200

    with connection.cursor() as cursor:
        # when the portal pages hang: another transaction holds the exposures locked
        cursor.execute("BEGIN")
        try:
            cursor.execute("LOCK TABLE campaigns_exposure IN ACCESS EXCLUSIVE MODE")
            with concurrent.futures.ThreadPoolExecutor(HANGING) as pool:
                hanging = [pool.submit(_get, page, cookie) for _ in range(HANGING)]
                time.sleep(1)
                assert not any(f.done() for f in hanging)
                # then the status page still answers while every portal request is still held:
                # it did not queue behind them (counted by order of completion, not by a clock,
                # so a busy machine does not fail it)
                for _ in range(3):
                    status, _seconds = _get(f"{base}/status/")
                    assert status == 200
                    assert not any(f.done() for f in hanging)
                # and the hanging pages end with an error after the statement timeout, not for ever
                results = [f.result(timeout=60) for f in hanging]
        finally:
            cursor.execute("ROLLBACK")
    assert [status for status, _ in results] == [500] * HANGING
    assert all(seconds < STATEMENT_TIMEOUT_MS / 1000 + 5 for _, seconds in results)
    # and the page serves again once the lock is gone
    assert _get(page, cookie)[0] == 200
