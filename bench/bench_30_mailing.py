"""Issues 4/13/16/17: a ctx.customers-recipient mailing from launch until every delivery is handed
to anymail's test backend by two real Celery worker processes on Redis, twice: without attachments
(one ESP batch call per chunk with merge data) and, once the voucher PDFs are rendered, with each
customer's voucher PDF attached (one ESP batch call per chunk of complete messages,
``campaigns.mailings.esp_batch``: the path Postmark takes). SQL statements per batch; a naive
per-customer loop (render, send, save) on a sample and the ratio."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.common import (
    Context,
    ensure_exposed_incident,
    postgres_cpu_seconds,
    process_cpu_seconds,
    settle_database,
    worker_secrets,
)
from bench.letter_render import OLD_ENGINE_MICROSECONDS, SAMPLE, render_seconds_per_letter
from campaigns.compensation.models import Voucher
from campaigns.mailings import letters
from campaigns.mailings import services as services
from campaigns.mailings.handover import in_doubt_per_claim
from campaigns.mailings.models import Delivery, Mailing
from campaigns.mailings.sending import batch_send, cached_mailing, delivery_message_id

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"
BACKEND = "bench.mail_probe.CountingTestBackend"
BATCH_SIZE = 500
WORKERS = 2
MERGE_BATCH_SIZE = int(os.environ.get("BENCH_MERGE_BATCH_SIZE", "500"))  # ESP batch calls (Postmark's cap)
NAIVE_SAMPLE = 1_000
TIMEOUT = 900  # with each voucher PDF attached on a shared machine


def run(ctx: Context) -> None:
    import redis

    from hostnotify.celery import app

    incident = ensure_exposed_incident(ctx)
    settings.EMAIL_BACKEND = BACKEND
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "MAIL_MERGE_BATCH_SIZE": MERGE_BATCH_SIZE}  # as the workers
    app.conf.broker_url = REDIS_URL
    app.conf.task_always_eager = False
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    # The mailing with each voucher attached runs only when their PDFs are rendered already.
    unrendered = Voucher.objects.filter(compensation__incident=incident, pdf="").count()
    attach = Voucher.objects.filter(compensation__incident=incident).exists() and not unrendered

    settled = settle_database()
    ctx.record("#4", "database before the launch", settled)
    workers = [_start_worker(ctx, n) for n in range(WORKERS)]
    try:
        _wait_for_workers(app, len(workers))
        plain = _mailing_run(broker, workers, incident, attach=False)
        attached = _mailing_run(broker, workers, incident, attach=True) if attach else None
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    total, seconds, mailing = plain["total"], plain["seconds"], plain["mailing"]
    _record_run(ctx, "#4", plain, "without attachments (merge data)", "≤ 20 s", 20)
    ctx.record("#4", "snapshot of the deliveries at launch (one INSERT … SELECT)", f"{plain['launched']:.2f} s")
    if attached is not None:
        _record_run(ctx, "#17", attached, "with each voucher PDF attached (complete messages)", "≤ 30 s", 30)
        if "approve_seconds" in ctx.state and "pdf_all_seconds" in ctx.state:
            stages = (ctx.state["approve_seconds"], ctx.state["pdf_all_seconds"], attached["seconds"])
            ctx.record(
                "#17",
                f"end to end: approve → {total:,} voucher PDFs → mailing with each attached",
                f"{sum(stages):.1f} s (approve {stages[0]:.1f} s, PDFs {stages[1]:.1f} s, mailing {stages[2]:.1f} s)",
                "≤ 180 s",
                sum(stages) <= 180,
            )
    else:
        ctx.record("#17", "mailing with each voucher PDF attached", f"not run ({unrendered:,} PDFs not rendered yet)")
    ctx.record(
        "#4",
        "most deliveries in doubt after a worker dies (per worker)",
        f"{in_doubt_per_claim():,} (one ESP batch call of ≤ {MERGE_BATCH_SIZE}, with or without attachments; "
        "each call's outcomes are recorded before the next call; SMTP: 1)",
        "≤ one hand-over",
        in_doubt_per_claim() <= max(1, MERGE_BATCH_SIZE),
    )
    _query_count_by_batch_size(ctx, incident)

    fast_per_message = seconds / total
    naive_seconds, done = _naive(mailing, NAIVE_SAMPLE)
    naive_per_message = naive_seconds / done
    ctx.record(
        "#4",
        f"naive loop: render, send, save per customer ({done:,} sampled)",
        f"{naive_seconds:.1f} s → {naive_per_message * total:,.0f} s for all",
    )
    ratio = naive_per_message / fast_per_message
    ctx.record(
        "#4",
        "mailing speed-up over the naive loop (without attachments)",
        f"{ratio:,.0f}x ({total / seconds:,.0f} vs {1 / naive_per_message:,.0f} msg/s)",
        "≥ 20x",
        ratio >= 20,
    )
    per_letter = render_seconds_per_letter(mailing)
    ctx.record(
        "#16",
        f"render time per letter: subject, text and HTML part, batch data read ({SAMPLE} letters)",
        f"{per_letter * 1e6:,.0f} µs (Jinja2 sandbox + cmark-gfm + branded layout, CSS inlined by css-inline); "
        f"before: {OLD_ENGINE_MICROSECONDS} µs (hand-written compiler over Django's template nodes, bare HTML)",
    )
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def _mailing_run(broker, workers: list[subprocess.Popen], incident, *, attach: bool) -> dict:
    """The default apology (with or without the vouchers attached) launched and sent by the
    workers; what the workers counted per batch task."""
    broker.delete("bench:batch-queries", "bench:batch-seconds")
    mailing = services.mailing_create_default(incident=incident, by=None)
    Mailing.objects.filter(pk=mailing.pk).update(batch_size=BATCH_SIZE, attach_voucher=attach)
    mailing = services.mailing_approve(mailing=Mailing.objects.get(pk=mailing.pk), by=None)
    cpu_before = _cpu(workers)
    uptime_before = os.getloadavg()[0]
    started = time.perf_counter()
    services.mailing_launch(mailing=mailing, by=None)
    launched = time.perf_counter() - started
    total = Delivery.objects.filter(mailing=mailing).count()
    _wait_until_sent(mailing, total, started)
    seconds = time.perf_counter() - started
    cpu = {k: v - cpu_before[k] for k, v in _cpu(workers).items() if v is not None and cpu_before[k] is not None}
    statuses = dict(Delivery.objects.filter(mailing=mailing).values_list("status").annotate(n=Count("pk")))
    return {
        "mailing": mailing,
        "total": total,
        "seconds": seconds,
        "launched": launched,
        "statuses": statuses,
        "cpu": cpu,
        "load": (uptime_before, os.getloadavg()[0]),
        "per_batch": [int(n) for n in broker.lrange("bench:batch-queries", 0, -1)],
        "busy": [float(x) for x in broker.lrange("bench:batch-seconds", 0, -1)],
    }


def _record_run(ctx: Context, issue: str, run: dict, what: str, bar: str, limit: float) -> None:
    total, seconds, cpu = run["total"], run["seconds"], run["cpu"]
    ctx.record(
        issue,
        f"mailing to {total:,} recipients {what}, {WORKERS} workers, batches of {BATCH_SIZE}",
        f"{seconds:.1f} s (load average {run['load'][0]:.1f} → {run['load'][1]:.1f})",
        bar,
        seconds <= limit,
    )
    ctx.record(
        issue,
        "  delivery states after the run",
        ", ".join(f"{k} {v:,}" for k, v in sorted(run["statuses"].items())),
        f"sent {total:,}",
        run["statuses"].get("sent") == total,
    )
    per_batch = run["per_batch"]
    if per_batch:
        spread = ", ".join(f"{n} statements × {k}" for n, k in sorted(Counter(per_batch).items()))
        ctx.record(
            issue,
            f"  SQL statements per batch task in the workers ({len(per_batch)} tasks)",
            f"{spread} (claim + letters' data in one, one record per ESP call; a worker's first batch also "
            "loads the mailing)",
            "≤ 3",
            max(per_batch) <= 3,
        )
    busy = run["busy"]
    if busy:
        ctx.record(
            issue,
            "  worker time per batch task",
            f"mean {sum(busy) / len(busy):.2f} s, max {max(busy):.2f} s; busy {sum(busy) / WORKERS:.1f} s per worker",
        )
    ctx.record(
        issue,
        "  CPU used during the mailing (2 cores)",
        f"workers {cpu['workers']:.1f} s ({cpu['workers'] / total * 1000:.2f} ms/msg), "
        + (f"PostgreSQL {cpu['postgres']:.1f} s ({cpu['postgres'] / total * 1000:.2f} ms/msg, every database), "
           if "postgres" in cpu else "")
        + f"this process {cpu['launcher']:.1f} s",
    )  # fmt: skip


def _start_worker(ctx: Context, number: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": BACKEND,
        "DEBUG": "0",
        **worker_secrets(),
        "PYTHONPATH": str(ROOT),
        "MAIL_MERGE_BATCH_SIZE": str(MERGE_BATCH_SIZE),
    }
    log = open(ctx.workdir / f"mail-worker-{number}.log", "wb")  # noqa: SIM115 - lives as long as the worker
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hostnotify", "worker", "-P", "solo", "-Q", "send,default",
         "-n", f"bench{number}@%h", "--include", "bench.mail_probe", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _cpu(workers: list[subprocess.Popen]) -> dict[str, float | None]:
    return {
        "workers": sum(process_cpu_seconds(p.pid) for p in workers),
        "postgres": postgres_cpu_seconds(),
        "launcher": time.process_time(),
    }


def _wait_for_workers(app, count: int) -> None:
    # Two Django processes importing everything take a minute and more on a loaded 2-core machine.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise RuntimeError("the benchmark's Celery workers did not start")


def _wait_until_sent(mailing: Mailing, total: int, started: float) -> None:
    """Until the mailing is done (the engine marks it so once no delivery is pending or being sent),
    or, should that mark be missed, no delivery is open. The mailing's row is cheap to poll; the
    deliveries are looked at every few seconds only, so that polling does not slow the run."""
    open_rows = Delivery.objects.filter(mailing=mailing, status__in=["pending", "sending"])
    status = Mailing.objects.filter(pk=mailing.pk).values_list("status", flat=True)
    checked = time.perf_counter()
    while True:
        if status.get() == Mailing.Status.DONE:
            break
        if time.perf_counter() - checked > 5:
            if not open_rows.exists():
                break
            checked = time.perf_counter()
        if time.perf_counter() - started > TIMEOUT:
            raise RuntimeError(f"mailing {mailing.pk} not sent after {TIMEOUT} s")
        time.sleep(0.1)
    if open_rows.exists():
        raise RuntimeError(f"mailing {mailing.pk} is done with deliveries still open")


def _query_count_by_batch_size(ctx: Context, incident) -> None:
    """The same batch code in this process, for a small and a large batch: the count is constant."""
    counts = []
    for size in (50, BATCH_SIZE * 2):
        mailing = services.mailing_clone(mailing=incident.mailings.order_by("pk").first(), by=None)
        Mailing.objects.filter(pk=mailing.pk).update(batch_size=size, status=Mailing.Status.SENDING)
        mailing.batch_size = size
        services._snapshot_deliveries(mailing, timezone.now())
        cached_mailing(mailing.pk)  # loaded once per worker process, not per batch
        with ctx.queries() as q:
            result = batch_send(mailing_id=mailing.pk, batch=0)
        counts.append((result.sent, q.count))
        Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.CANCELLED)
    text = ", ".join(f"{n} for {sent:,} messages" for sent, n in counts)
    ctx.record("#4", "SQL statements per batch (in-process)", text, "≤ 3, constant", all(n <= 3 for _, n in counts))


def _naive(mailing: Mailing, limit: int) -> tuple[float, int]:
    """Per customer: render (a query), a new connection and send, save the row."""
    mailing = Mailing.objects.select_related("incident").get(pk=mailing.pk)
    sample = list(Delivery.objects.filter(mailing=mailing).order_by("pk")[:limit])
    started = time.perf_counter()
    for delivery in sample:
        item = letters.render_messages(mailing, [delivery])[0]
        message = EmailMultiAlternatives(item.subject, item.text, mailing.from_email, [delivery.email],
                                         headers={"Message-ID": delivery_message_id(delivery)},
                                         connection=get_connection())  # fmt: skip
        message.attach_alternative(item.html, "text/html")
        message.send()
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save()
    connection.close()
    return time.perf_counter() - started, len(sample)
