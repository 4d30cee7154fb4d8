"""Issue 17, end to end, stage 2: every voucher PDF of the approved incident rendered again by two
real Celery worker processes on the ``pdf`` queue (fixed-size id batches, as approval queues them);
stage 1 is the approval in bench_20, stage 3 the mailing with each voucher attached in bench_30."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from bench.common import Context, ensure_exposed_incident, process_cpu_seconds, worker_secrets
from campaigns.compensation.voucher_render import (
    stored_files_delete,
    voucher_pdf_pending_count,
    voucher_pdf_pending_ids,
    voucher_pdfs_forget,
    voucher_pdfs_queue,
)

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"
WORKERS = 2
TIMEOUT = 900


def run(ctx: Context) -> None:
    import redis

    from hostnotify.celery import app

    incident = ensure_exposed_incident(ctx)
    app.conf.broker_url = REDIS_URL
    app.conf.task_always_eager = False
    redis.Redis.from_url(REDIS_URL).flushdb()
    old_files = voucher_pdfs_forget(incident=incident)
    ids = voucher_pdf_pending_ids(incident=incident)
    workers = [_start_worker(ctx, n) for n in range(WORKERS)]
    try:
        _wait_for_workers(app, len(workers))
        cpu_before = sum(process_cpu_seconds(p.pid) for p in workers)
        started = time.perf_counter()
        tasks = voucher_pdfs_queue(ids)
        left = len(ids)
        while left and time.perf_counter() - started < TIMEOUT:
            time.sleep(0.25)
            left = voucher_pdf_pending_count(ids=ids)
        seconds = time.perf_counter() - started
        cpu = sum(process_cpu_seconds(p.pid) for p in workers) - cpu_before
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    stored_files_delete(old_files)
    done = len(ids) - left
    ctx.state["pdf_all_seconds"] = seconds
    ctx.record(
        "#17",
        f"all {len(ids):,} voucher PDFs on {WORKERS} pdf workers ({tasks:,} tasks)",
        f"{seconds:.1f} s ({done / seconds:,.0f} /s; workers' CPU {cpu:.1f} s, {cpu / max(done, 1) * 1000:.2f} ms/PDF)",
        "all rendered",
        left == 0,
    )
    sizes = [entry.stat().st_size for entry in list((Path(settings.MEDIA_ROOT) / "vouchers").rglob("*.pdf"))[:2000]]
    if sizes:
        ctx.record("#17", "voucher PDF size (sample)", f"mean {sum(sizes) / len(sizes) / 1024:.1f} KiB")


def _start_worker(ctx: Context, number: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        **worker_secrets(),
        "PYTHONPATH": str(ROOT),
    }
    log = open(ctx.workdir / f"pdf-worker-{number}.log", "wb")  # noqa: SIM115 - lives as long as the worker
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hostnotify", "worker", "-P", "solo", "-Q", "pdf",
         "-n", f"benchpdf{number}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for_workers(app, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise RuntimeError("the benchmark's pdf workers did not start")
