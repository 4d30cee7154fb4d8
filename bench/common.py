"""Benchmark context shared by the ``bench_*.py`` modules."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


@dataclass
class Row:
    issue: str
    metric: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Context:
    customers: int = 100_000
    rows: list[Row] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(settings.VAR_DIR) / "bench")

    def record(self, issue: str, metric: str, value, target: str = "", ok: bool | None = None) -> None:
        if isinstance(value, float):
            value = f"{value:,.2f}"
        self.rows.append(Row(issue, metric, str(value), target, ok))
        mark = {True: "ok", False: "MISSED", None: ""}[ok]
        print(f"  [{issue}] {metric}: {value} {('(target ' + target + ')') if target else ''} {mark}", flush=True)

    @contextlib.contextmanager
    def queries(self):
        """Counts SQL statements run through Django inside the block: ``with ctx.queries() as q: …; q.count``."""
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            counter = _Counter(captured)
            yield counter

    @contextlib.contextmanager
    def timer(self):
        result = _Timer()
        start = time.perf_counter()
        try:
            yield result
        finally:
            result.seconds = time.perf_counter() - start


class _Counter:
    def __init__(self, captured):
        self._captured = captured

    @property
    def count(self) -> int:
        return len(self._captured.captured_queries)


class _Timer:
    seconds: float = 0.0


def worker_secrets() -> dict[str, str]:
    """Secrets for the benchmark's worker processes, which run with production settings and refuse
    to start on the published defaults; the environment's own win."""
    import secrets

    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ANYMAIL_WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET") or f"bench:{secrets.token_urlsafe(30)}",
    }


def ensure_exposed_incident(ctx: Context):
    """The demo incident scaled to ``ctx.customers`` customers, imported and with exposure computed.

    Made once per run (by the foundation benchmark, or here when a module runs alone)."""
    from campaigns.incidents.models import Incident

    slug = ctx.state.get("incident_slug")
    if slug:
        return Incident.objects.get(slug=slug)
    from accounts.services.inventory import inventory_import
    from campaigns.demo import data as demo
    from campaigns.incidents.outages import outages_import

    paths = write_bench_csvs(ctx)
    inventory_import(servers=paths["servers"], customers=paths["customers"], accounts=paths["accounts"])
    outages_import(source=paths["windows"])
    ctx.state["incident_slug"] = demo.INCIDENT
    return Incident.objects.get(slug=demo.INCIDENT)


def write_bench_csvs(ctx: Context) -> dict[str, Path]:
    """100,000 customers → 100,000 accounts with 150,000 placements (half of them migrated), every
    one of them hit by the incident."""
    from campaigns.demo import data as demo

    if "paths" not in ctx.state:
        ctx.state["paths"] = demo.write_demo_csvs(
            ctx.workdir,
            customers=ctx.customers,
            extra_account_share=0.0,
            migrated_share=0.5,
            cancelled_share=0.0,
            seed=42,
        )
    return ctx.state["paths"]


def _proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from "state" on (the name may hold spaces)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc; 0.0 elsewhere)."""
    fields = _proc_stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float | None:
    """CPU seconds of the local PostgreSQL server so far: every live postgres process plus what
    the postmaster's exited children used. None when no local server is visible."""
    tick = os.sysconf("SC_CLK_TCK")
    total, seen = 0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        fields = _proc_stat(int(entry.name))
        if fields is None:
            continue
        seen = True
        total += int(fields[11]) + int(fields[12])
        parent = Path(f"/proc/{fields[1]}/comm")
        if not parent.exists() or parent.read_text().strip() != "postgres":  # the postmaster
            total += int(fields[13]) + int(fields[14])
    return total / tick if seen else None


def settle_database() -> str:
    """What a production server does between bulk steps, before a timed one: VACUUM ANALYZE the
    tables (visibility, hint bits and statistics, as autovacuum would; this check also runs where
    autovacuum is off) and a CHECKPOINT, so the timing does not pay for earlier steps' dirty pages.
    pgbench vacuums before its runs for the same reason. Returns what it did, for the table."""
    if connection.vendor != "postgresql":
        return "nothing (not PostgreSQL)"
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")
    return f"VACUUM (ANALYZE) and CHECKPOINT (server autovacuum: {autovacuum})"


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process and its live children (a prefork Celery worker
    and its pool processes; Linux /proc)."""
    total = process_cpu_seconds(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(process_cpu_seconds(int(child)) for child in children)


class DatabaseBackendsCPU:
    """CPU seconds that the local PostgreSQL server's backends of one database use while it runs:
    ``with DatabaseBackendsCPU(name) as db: …; db.seconds``. The machine's PostgreSQL serves other
    databases too, so the whole server's CPU says nothing about this run; each backend's process
    title names its database. Sampled every ``interval`` seconds in a thread (a backend that ends
    between two samples loses at most that much), whose own CPU is ``db.sampler_seconds``."""

    def __init__(self, database: str, interval: float = 0.5):
        self.marker = f" {database} "
        self.interval = interval
        self.seconds = 0.0
        self.sampler_seconds = 0.0
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}

    def _backends(self) -> dict[int, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and self.marker in title:
                found[int(entry.name)] = process_cpu_seconds(int(entry.name))
        return found

    def _sample(self) -> None:
        for pid, seconds in self._backends().items():
            self._first.setdefault(pid, seconds if self._started else 0.0)
            self._last[pid] = seconds

    def __enter__(self):
        import threading

        self._started = True
        self._sample()
        self._started = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        start = time.thread_time()
        while not self._stop.wait(self.interval):
            self._sample()
        self._sample()
        self.sampler_seconds = time.thread_time() - start

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.seconds = sum(self._last[pid] - self._first[pid] for pid in self._last)
