"""HTTP API under load, through gunicorn (2 workers) on loopback against PostgreSQL.

1. Inventory upsert: 100,000 customers, then their 100,000 accounts with 150,000 placements (half
   of the accounts moved once), POSTed as JSON in requests of 5,000 items by two clients.
2. Voucher lookup: ``GET /api/v1/vouchers/{code}/`` with ``wrk -t2 -c16`` over 10,000 codes;
   requests per second and latency percentiles (p50, p99).

Not part of ``make bench`` (it starts gunicorn and wrk). Run it by hand on a database of its own
(dropped and created anew):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hostnotify_apibench REDIS_URL=redis://… \\
        .venv/bin/python bench/api_load.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")
BATCH = 5_000
SECRETS = {  # the fail-closed check of the shipped WSGI app wants real secrets
    "SECRET_KEY": "bench-" + "k" * 60,
    "ANYMAIL_WEBHOOK_SECRET": "bench:" + "w" * 40,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str) -> str:
    from bench.run import fresh_database

    fresh_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from campaigns.api.tokens import api_token_create

    call_command("migrate", verbosity=0)
    _, raw = api_token_create(name="bench", scopes=["inventory", "vouchers"], rate_limit=10**9)
    return raw


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, **SECRETS, "DEBUG": "0"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "hostnotify.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU of gunicorn's workers so far (the machine may be shared: wall-clock rates
    then understate what the code does on free cores; CPU per request does not)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def inventory_batches(customers: int) -> tuple[list[dict], list[dict]]:
    customer_batches, account_batches = [], []
    for start in range(0, customers, BATCH):
        numbers = range(start, min(start + BATCH, customers))
        customer_batches.append(
            {
                "servers": [{"name": f"srv{n:03d}", "hostname": f"srv{n:03d}.example.ch"} for n in range(100)]
                if start == 0
                else [],
                "customers": [
                    {
                        "number": f"K{n:07d}",
                        "name": f"Kunde {n}",
                        "email": f"k{n}@kunde.example.ch",
                        "language": ("de", "fr", "it", "en")[n % 4],
                        "currency": "CHF",
                    }
                    for n in numbers
                ],
            }
        )
        accounts = []
        for n in numbers:
            server = f"srv{n % 100:03d}"
            if n % 2:  # moved once: two placements
                placements = [
                    {"server": server, "active_from": "2004-01-01", "active_until": "2005-06-01 12:00"},
                    {"server": f"srv{(n + 1) % 100:03d}", "active_from": "2005-06-01 12:00"},
                ]
            else:
                placements = [{"server": server, "active_from": "2004-01-01"}]
            accounts.append(
                {
                    "account": f"web{n:07d}",
                    "customer_number": f"K{n:07d}",
                    "product": "Webhosting",
                    "monthly_fee": "20.00",
                    "placements": placements,
                }
            )
        account_batches.append({"accounts": accounts})
    return customer_batches, account_batches


def post_all(port: int, raw: str, batches: list[dict], clients: int = 2) -> float:
    bodies = [json.dumps(b).encode() for b in batches]
    failures: list[str] = []
    queue = list(enumerate(bodies))
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                if not queue:
                    break
                i, body = queue.pop(0)
            conn.request(
                "POST",
                "/api/v1/inventory/",
                body,
                {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            text = response.read()
            if response.status != 200:
                with lock:
                    failures.append(f"batch {i}: {response.status} {text[:300]!r}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError("; ".join(failures[:3]))
    return elapsed


def make_vouchers(count: int) -> list[str]:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Customer
    from campaigns.compensation.codes import generate_codes
    from campaigns.compensation.models import Compensation, CompensationPolicy, Voucher
    from campaigns.incidents.models import Incident

    incident = Incident.objects.create(slug="bench", title="Bench", redemption_options=["balance"])
    policy = CompensationPolicy.objects.create(name="bench", version=1, kind="tiers", params={})
    now = timezone.now()
    customers = list(Customer.objects.order_by("id").values_list("id", flat=True)[:count])
    compensations = Compensation.objects.bulk_create(
        Compensation(
            incident=incident,
            customer_id=c,
            policy=policy,
            amount=Decimal("10.00"),
            currency="CHF",
            affected_seconds=7200,
            computed_at=now,
            status="approved",
        )
        for c in customers
    )
    codes = generate_codes(len(customers))
    Voucher.objects.bulk_create(
        Voucher(
            compensation=comp,
            customer_id=comp.customer_id,
            code=code,
            amount=Decimal("10.00"),
            currency="CHF",
            expires_on=timezone.localdate() + dt.timedelta(days=365),
            issued_at=now,
        )
        for comp, code in zip(compensations, codes, strict=True)
    )
    return codes


def wrk_lookup(port: int, raw: str, codes: list[str], duration: str, master: int) -> tuple[str, float]:
    paths = ",".join(f'"/api/v1/vouchers/{code}/"' for code in codes)
    script = (
        f"local paths = {{{paths}}}\n"
        f'wrk.headers["Authorization"] = "Bearer {raw}"\n'
        "local i = 0\n"
        'request = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        url = f"http://127.0.0.1:{port}"
        subprocess.run(["wrk", "-t2", "-c16", "-d3s", "-s", handle.name, url], capture_output=True, check=True)  # warm
        cpu_before = workers_cpu_seconds(master)
        out = subprocess.run(
            ["wrk", "-t2", "-c16", f"-d{duration}", "--latency", "--timeout", "5s", "-s", handle.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return out, workers_cpu_seconds(master) - cpu_before
    finally:
        os.unlink(handle.name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--vouchers", type=int, default=10_000)
    parser.add_argument("--duration", default="15s")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hostnotify_apibench")
    raw = prepare(url)
    customer_batches, account_batches = inventory_batches(args.customers)
    placements = sum(len(a["placements"]) for b in account_batches for a in b["accounts"])
    port = free_port()
    server = start_gunicorn(port)
    try:
        cpu_before = workers_cpu_seconds(server.pid)
        seconds_customers = post_all(port, raw, customer_batches)
        seconds_accounts = post_all(port, raw, account_batches)
        cpu_inventory = workers_cpu_seconds(server.pid) - cpu_before
        total = seconds_customers + seconds_accounts
        items = args.customers * 2
        print(
            f"inventory upsert, gunicorn -w 2, {len(customer_batches) + len(account_batches)} requests of {BATCH} items"
        )
        print(
            f"  {args.customers:,} customers in {seconds_customers:.1f} s ({args.customers / seconds_customers:,.0f}/s)"
        )
        print(
            f"  {args.customers:,} accounts with {placements:,} placements in {seconds_accounts:.1f} s "
            f"({args.customers / seconds_accounts:,.0f} accounts/s, {placements / seconds_accounts:,.0f} placements/s)"
        )
        print(
            f"  all: {items:,} items in {total:.1f} s = {items / total:,.0f} items/s "
            f"({(args.customers + placements) / total:,.0f}/s counting customers + placements)"
        )
        print(
            f"  web workers' CPU: {cpu_inventory:.1f} s = {1e6 * cpu_inventory / items:.0f} µs per item "
            f"(on two free cores: {2 * items / cpu_inventory:,.0f} items/s before PostgreSQL's share)"
        )
        again = post_all(port, raw, account_batches[:4])
        print(f"  the same 20,000 accounts again (nothing changes): {again:.1f} s")
        codes = make_vouchers(args.vouchers)
        out, cpu_lookup = wrk_lookup(port, raw, codes, args.duration, server.pid)
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        distribution = out.split("Latency Distribution", 1)[1]
        p50 = re.search(r"50%\s+(\S+)", distribution).group(1)
        p99 = re.search(r"99%\s+(\S+)", distribution).group(1)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        print(f"voucher lookup, wrk -t2 -c16 -d{args.duration} over {len(codes):,} codes, gunicorn -w 2")
        print(f"  {rps} req/s, p50 {p50}, p99 {p99}, non-2xx {non2xx.group(1) if non2xx else 0}")
        per_request = cpu_lookup / requests
        print(
            f"  web workers' CPU: {1000 * per_request:.2f} ms per request "
            f"(on two free cores: {2 / per_request:,.0f} req/s before PostgreSQL's share)"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
