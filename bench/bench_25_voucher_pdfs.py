"""Issue 17, end to end, stage 2: every voucher PDF of the approved incident rendered again by
``render_vouchers`` on the ``pdf`` queue, taken by the worker docker-compose.yml ships (its
command as written there: prefork, two processes); stage 1 is the approval in bench_20, stage 3
the mailing with each voucher attached in bench_30. CPU per PDF in the worker, in PostgreSQL (the
backends of this database) and in the command, which the machine's load does not distort."""

from __future__ import annotations

import io
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.common import Context, DatabaseBackendsCPU, ensure_exposed_incident, process_tree_cpu_seconds, worker_secrets
from campaigns.compensation.voucher_render import (
    PDF_BATCH,
    stored_files_delete,
    voucher_pdf_pending_count,
    voucher_pdf_pending_ids,
    voucher_pdfs_forget,
)

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"
TIMEOUT = 900


def shipped_worker_command() -> list[str]:
    """The worker's command in docker-compose.yml, as it is written there."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    return shlex.split(services["worker"]["command"])


def run(ctx: Context) -> None:
    import redis

    from hostnotify.celery import app

    incident = ensure_exposed_incident(ctx)
    app.conf.broker_url = REDIS_URL
    app.conf.task_always_eager = False
    redis.Redis.from_url(REDIS_URL).flushdb()
    old_files = voucher_pdfs_forget(incident=incident)
    ids = voucher_pdf_pending_ids(incident=incident)
    command = shipped_worker_command()
    worker = _start_worker(ctx, command)
    out = io.StringIO()
    try:
        _wait_for_worker(app)
        cpu_before = process_tree_cpu_seconds(worker.pid)
        with DatabaseBackendsCPU(connection.settings_dict["NAME"]) as database:
            started, own_cpu = time.perf_counter(), time.process_time()
            call_command("render_vouchers", incident.slug, "--timeout", str(TIMEOUT), stdout=out)
            seconds, own_cpu = time.perf_counter() - started, time.process_time() - own_cpu
        cpu = process_tree_cpu_seconds(worker.pid) - cpu_before
        load = os.getloadavg()[0]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    stored_files_delete(old_files)
    left = voucher_pdf_pending_count(ids=ids)
    done = len(ids) - left
    per_pdf = 1000 / max(done, 1)
    ctx.state["pdf_all_seconds"] = seconds
    ctx.record(
        "#17",
        f"all {len(ids):,} voucher PDFs: render_vouchers, the shipped worker ({' '.join(command[3:])})",
        f"{seconds:.1f} s ({done / seconds:,.0f} /s, load {load:.1f}; batches of {PDF_BATCH})",
        "≥ 1,400 /s",
        left == 0 and done / seconds >= 1_400,
    )
    own = own_cpu - database.sampler_seconds
    total = cpu + database.seconds + own
    ctx.record(
        "#17",
        "  CPU per PDF: worker + PostgreSQL + render_vouchers",
        f"{cpu * per_pdf:.2f} + {database.seconds * per_pdf:.2f} + {own * per_pdf:.2f} = {total * per_pdf:.2f} ms"
        f" (two free cores: {2 * done / total:,.0f} /s)",
    )
    sizes = [entry.stat().st_size for entry in list((Path(settings.MEDIA_ROOT) / "vouchers").rglob("*.pdf"))[:2000]]
    if sizes:
        ctx.record("#17", "voucher PDF size (sample)", f"mean {sum(sizes) / len(sizes) / 1024:.1f} KiB")


def _start_worker(ctx: Context, command: list[str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        **worker_secrets(),
        "PYTHONPATH": str(ROOT),
    }
    if command[0] != "celery":
        raise RuntimeError(f"docker-compose.yml's worker does not run celery: {command}")
    log = open(ctx.workdir / "pdf-worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
    return subprocess.Popen(
        [sys.executable, "-m", *command, "--hostname", "benchpdf@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for_worker(app) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the benchmark's pdf worker did not start")
