"""Real parts for the sending tests: an SMTP listener on a loopback port the OS chooses, and
Celery worker and beat processes started as deployed (``celery -A hostnotify …``) on this test's
database and Redis."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


class Inbox:
    """Counts what arrives, per recipient. ``refuse`` maps an address to the RCPT answer it gets
    (e.g. "451 4.3.0 greylisted"); ``delay`` slows each DATA down, like a real server; a message to
    an address in ``hang_up`` is taken, and then the connection is closed before the answer."""

    def __init__(self, *, delay: float = 0.0, refuse: dict[str, str] | None = None):
        self.delay = delay
        self.refuse = refuse or {}
        self.hang_up: set[str] = set()
        self.received: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.rcpt_attempts: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_attempts[address] += 1
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message_id = BytesHeaderParser().parsebytes(envelope.content).get("Message-ID", "")
        with self.lock:
            self.received.extend((rcpt, message_id) for rcpt in envelope.rcpt_tos)
        if self.hang_up.intersection(envelope.rcpt_tos):
            server.transport.close()  # taken, but the client never hears so
        return "250 OK"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.received)


class LoopbackController(Controller):
    """aiosmtpd's controller on port 0: the port the OS gave is read back before the first use."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def smtp_listener(inbox: Inbox) -> LoopbackController:
    controller = LoopbackController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    return controller


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def production_secrets() -> dict[str, str]:
    """What an operator gives every process: DEBUG off and secrets of its own (workers, beat and
    commands refuse the published defaults, ``hostnotify.checks``)."""
    return {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
            "ANYMAIL_WEBHOOK_SECRET": f"hooks:{secrets.token_urlsafe(24)}"}  # fmt: skip


class Processes:
    """Celery processes of one test; whatever is still running at the end is stopped."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
                    "PYTHONPATH": str(BASE_DIR), **production_secrets(), **env}  # fmt: skip
        self.started: list[subprocess.Popen] = []

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hostnotify", *args],
            cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.started.append(process)
        return process

    def worker(self, name: str) -> subprocess.Popen:
        return self._start(name, ["worker", "-P", "solo", "-Q", "send,default", "-n", f"{name}@%h",
                                  "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"])  # fmt: skip

    def beat(self) -> subprocess.Popen:
        return self._start("beat", ["beat", "-l", "WARNING", "--pidfile="])

    def manage(self, *args: str) -> None:
        """A management command as an operator runs it (production settings: its own secrets)."""
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True, capture_output=True
        )

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
