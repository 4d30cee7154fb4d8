"""The embedded default (SQLite, no services) under the shipped web server: gunicorn with several
worker processes takes 50 concurrent redemptions of one voucher. Exactly one credits the customer;
every other one is told it was redeemed already (409) — none fails with "database is locked" (500).

Runtime: about 70 s (migrating the SQLite file and starting gunicorn included) at load 11."""

import concurrent.futures
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REQUESTS = 50

pytestmark = pytest.mark.slow

SETUP = """
import json
from django.contrib.sessions.backends.db import SessionStore
from accounts.portal_session import SESSION_CONTACT, SESSION_HASH, _password_digest
from tests.factories import AffectedCustomerFactory
world = AffectedCustomerFactory(with_voucher=True)
session = SessionStore()
session[SESSION_CONTACT] = world.contact.pk
session[SESSION_HASH] = _password_digest(world.contact)
session.create()
print(json.dumps({"session": session.session_key, "voucher": world.voucher.pk, "customer": world.customer.pk}))
"""


@pytest.fixture
def sqlite_server(tmp_path):
    """The embedded default's database, migrated, with a signed-in customer; gunicorn as shipped."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ANYMAIL_WEBHOOK_SECRET": f"test:{secrets.token_urlsafe(24)}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "HOSTNOTIFY_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "WEB_BIND": "127.0.0.1:0",
        "WEB_WORKERS": "4",
        "WEB_ACCESS_LOG": "",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    world = json.loads(subprocess.run([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True).stdout.strip().splitlines()[-1])  # fmt: skip
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hostnotify.wsgi", "--config", "hostnotify/gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield found.group(1), world, tmp_path / "hostnotify.sqlite3"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_fifty_concurrent_redemptions_on_sqlite_credit_once_and_never_fail(sqlite_server):
    base, world, database = sqlite_server
    url = f"{base}/portal/vouchers/{world['voucher']}/redeem/"
    session_cookie = f"sessionid={world['session']}"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": session_cookie}), timeout=30) as page:
        html = page.read().decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "form": "balance"}).encode()
    barrier = threading.Barrier(REQUESTS)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def redeem() -> int:
        request = urllib.request.Request(
            url, data=body, headers={"Cookie": f"{session_cookie}; csrftoken={csrf_cookie}", "Referer": url}
        )
        barrier.wait(timeout=30)
        try:
            with opener.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with concurrent.futures.ThreadPoolExecutor(REQUESTS) as pool:
        statuses = sorted(pool.map(lambda _: redeem(), range(REQUESTS)))

    assert statuses == [302] + [409] * (REQUESTS - 1)  # one redeemed, the rest told so: no 500
    with sqlite3.connect(database) as db:
        credits = db.execute(
            "SELECT book, amount FROM accounts_ledgerentry WHERE customer_id = ? ORDER BY amount", [world["customer"]]
        ).fetchall()
        status = db.execute("SELECT status FROM campaigns_voucher WHERE id = ?", [world["voucher"]]).fetchone()[0]
    assert [(book, str(amount)) for book, amount in credits] == [("voucher", "-10"), ("balance", "10")]
    assert status == "redeemed"
