#!/usr/bin/env python
"""`make bench`: run every bench/bench_*.py module against a fresh database and print a table.

Uses PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/hostnotify_bench; the
database is dropped and created anew) — the figures the issues ask for are PostgreSQL figures — and
Redis (REDIS_URL, default redis://127.0.0.1:6379/4) as broker and shared cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hostnotify_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"  # as bench_25 and bench_30 default to


def fresh_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--only", nargs="*", help="module name parts to run, e.g. foundation mailing")
    parser.add_argument("--keep-db", action="store_true", help="don't recreate the database")
    parser.add_argument("--rows-json", type=Path, help="also write the table's rows to this JSON file")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    # Redis as the production setup has it: the broker of the sending and PDF benches, and the
    # cache every process shares (the herd's gunicorn workers and this process, which draws the
    # portal timelines ahead). Without it each process would cache alone, as the embedded default.
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")
    os.environ.setdefault("HOSTNOTIFY_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ["DEBUG"] = "0"
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres") and not args.keep_db:
        fresh_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    from bench.common import Context

    ctx = Context(customers=args.customers)
    if args.keep_db:  # rerun single modules on the data a previous run left
        from campaigns.demo import data as demo
        from campaigns.incidents.models import Incident

        if Incident.objects.filter(slug=demo.INCIDENT, exposures__isnull=False).exists():
            ctx.state["incident_slug"] = demo.INCIDENT
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    modules = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if any(part in m for part in args.only)]
    started = time.perf_counter()
    for name in modules:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.run(ctx)
    print_table(ctx, time.perf_counter() - started)
    if args.rows_json:
        args.rows_json.write_text(json.dumps([dataclasses.asdict(row) for row in ctx.rows]))
    return 0 if all(row.ok is not False for row in ctx.rows) else 1


def print_table(ctx, seconds: float) -> None:
    import platform
    import subprocess

    from django.db import connection

    harfbuzz = subprocess.run(["dpkg", "-s", "libharfbuzz-subset0"], capture_output=True).returncode == 0
    print()
    print(
        f"hostnotify benchmarks — {ctx.customers:,} customers, {connection.vendor}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, libharfbuzz-subset0 "
        f"{'present' if harfbuzz else 'MISSING'}, {seconds:,.0f} s in all"
    )
    widths = [max(len(getattr(r, f)) for r in ctx.rows + [_header()]) for f in ("issue", "metric", "value", "target")]
    line = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    print(line.format("issue", "metric", "value", "target", "ok"))
    print(line.format(*("-" * w for w in widths), "--"))
    for r in ctx.rows:
        print(line.format(r.issue, r.metric, r.value, r.target, {True: "yes", False: "NO", None: ""}[r.ok]))


def _header():
    from bench.common import Row

    return Row("issue", "metric", "value", "target")


if __name__ == "__main__":
    sys.exit(main())
