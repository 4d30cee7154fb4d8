"""Benchmark context shared by the ``bench_*.py`` modules."""

from __future__ import annotations

import contextlib
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


def ensure_exposed_incident(ctx: Context):
    """The demo incident scaled to ``ctx.customers`` customers, imported and with exposure computed.

    Made once per run (by the foundation benchmark, or here when a module runs alone)."""
    from campaigns.models import Incident

    slug = ctx.state.get("incident_slug")
    if slug:
        return Incident.objects.get(slug=slug)
    from accounts.services.inventory import inventory_import
    from campaigns import demo
    from campaigns.services.outages import outages_import

    paths = write_bench_csvs(ctx)
    inventory_import(servers=paths["servers"], customers=paths["customers"], accounts=paths["accounts"])
    outages_import(source=paths["windows"])
    ctx.state["incident_slug"] = demo.INCIDENT
    return Incident.objects.get(slug=demo.INCIDENT)


def write_bench_csvs(ctx: Context) -> dict[str, Path]:
    """100,000 customers → 100,000 accounts with 150,000 placements (half of them migrated), every
    one of them hit by the incident."""
    from campaigns import demo

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
