"""Issue 15: the morning after the mailing. Customers sign in through the real magic-link flow,
then 32 connections hammer the portal of the production server setup (gunicorn with
``hostnotify/gunicorn.conf.py``) with wrk, rotating the signed-in sessions: incident page, home,
credit page, voucher PDF, and ``/status/`` alone and beside the portal load.

Needs ``wrk`` (Debian package ``wrk``). ``BENCH_HERD_SIGNINS`` (default 1,000) customers sign in;
``BENCH_HERD_SECONDS`` (default 20) per wrk run. Then the same herd runs on the 3,000-customer demo
size, in a database of its own (this database's name + ``_demo``), and its figures join the table:
the cost of a portal page must not grow with the incident (``BENCH_HERD_DEMO=0``: skip it).
"""

from __future__ import annotations

import concurrent.futures
import functools
import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

from django.conf import settings

from accounts.portal_version import portal_changed
from bench.common import (
    Context,
    ensure_exposed_incident,
    process_cpu_seconds,
    settle_database,
)
from campaigns.compensation.models import Voucher
from campaigns.status.cache import status_cache_bump

ROOT = Path(__file__).resolve().parent.parent
SIGNINS = int(os.environ.get("BENCH_HERD_SIGNINS", "1000"))
SECONDS = int(os.environ.get("BENCH_HERD_SECONDS", "20"))
CONNECTIONS = 32
DEMO_CUSTOMERS = 3_000
# The compose service "status": the public status pages on processes of their own.
STATUS_SERVER_ARGS = ("--workers", "2", "--threads", "4")
PORTAL_RPS, PORTAL_P99_MS, PDF_RPS, STATUS_RPS, STATUS_BESIDE_RPS, CONFIRM_P99_MS = 300, 300, 200, 1000, 500, 300
LUA = """
local sessions = {%(rows)s}
local counter = 0
local failed = 0
local threads = {}
setup = function(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
init = function(args)
  counter = offset or 0
end
request = function()
  counter = counter + 1
  local s = sessions[(counter %% #sessions) + 1]
  return wrk.format("GET", s[2], {["Cookie"] = s[1]})
end
response = function(status, headers, body)
  if status ~= 200 then failed = failed + 1 end
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("failed") end
  io.write(string.format("not-200: %%d\\n", total))
end
"""


def run(ctx: Context) -> None:
    if not shutil.which("wrk"):
        ctx.record("#15", "portal herd", "skipped: wrk is not installed (apt-get install wrk)", ok=False)
        return
    incident = ensure_exposed_incident(ctx)
    vouchers = _vouchers(incident) or _compensated(incident)
    _render_pdfs(vouchers)
    _draw_timelines(ctx, incident)
    # Pages an earlier run cached (another database, the same customer ids) are not served again.
    portal_changed()
    status_cache_bump()
    ctx.record("#15", "database before the herd", settle_database())
    server = _Server(ctx.workdir, "web")
    status_server = _Server(ctx.workdir, "status", STATUS_SERVER_ARGS, secret_key=server.secret_key)
    try:
        _herd(ctx, incident, vouchers, server)
        _status_apart(ctx, incident, server, status_server)
    finally:
        server.stop()
        status_server.stop()
    if ctx.customers != DEMO_CUSTOMERS and os.environ.get("BENCH_HERD_DEMO", "1") != "0":
        _demo_size(ctx)


def _demo_size(ctx: Context) -> None:
    """The same herd on the demo's 3,000 customers, in a fresh database of its own (``bench/run.py``
    in a child process); its rows join this table."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database['NAME']}_demo"
    rows = ctx.workdir / "herd-demo-rows.json"
    rows.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BENCH_HERD_DEMO": "0",
        "HOSTNOTIFY_VAR_DIR": str(ctx.workdir / "demo-size"),
    }
    command = [str(ROOT / ".venv/bin/python"), "bench/run.py", "--customers", str(DEMO_CUSTOMERS), "--only", "herd"]
    with (ctx.workdir / "herd-demo.log").open("w") as log:
        subprocess.run([*command, "--rows-json", str(rows)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if not rows.exists():
        ctx.record(
            "#15", f"herd at {DEMO_CUSTOMERS:,} customers", f"failed: see {ctx.workdir / 'herd-demo.log'}", ok=False
        )
        return
    for row in json.loads(rows.read_text()):
        if row["issue"] == "#15":
            ctx.record(
                row["issue"], f"{DEMO_CUSTOMERS:,} customers: {row['metric']}", row["value"], row["target"], row["ok"]
            )


def _vouchers(incident) -> list[Voucher]:
    """``SIGNINS`` vouchers of the incident, spread over its customers."""
    ids = list(
        Voucher.objects.filter(compensation__incident=incident, is_topup=False)
        .order_by("customer_id")
        .values_list("pk", flat=True)
    )
    step = max(1, len(ids) // SIGNINS)
    picked = ids[::step][:SIGNINS]
    return list(Voucher.objects.filter(pk__in=picked).select_related("customer").order_by("customer_id"))


def _compensated(incident) -> list[Voucher]:
    """Run alone (``--only herd``): compensate and approve as the compensation module does; the
    PDFs the sessions fetch are rendered below, not all of them."""
    from unittest import mock

    from bench.bench_20_compensation import _finance_user
    from campaigns.compensation.services import compensation_approve, compensation_prepare

    compensation_prepare(incident=incident)
    with mock.patch("campaigns.compensation.vouchers._queue_pdfs"):
        compensation_approve(incident=incident, by=_finance_user())
    return _vouchers(incident)


def _render_pdfs(vouchers: list[Voucher]) -> None:
    """The PDFs the letters carried: rendered already when the mailing attached them."""
    from campaigns.compensation.voucher_pdf import voucher_pdfs_render

    missing = [v.pk for v in vouchers if not v.pdf]
    for start in range(0, len(missing), 200):
        voucher_pdfs_render(missing[start : start + 200])


def _draw_timelines(ctx: Context, incident) -> None:
    """The portal's outage charts, drawn before the letters go out as the periodic job
    ``draw-portal-timelines`` does once the exposure is computed: customers find them cached."""
    from campaigns.portal.timelines import portal_timelines_draw

    started, cpu = time.perf_counter(), time.process_time()
    drawn = portal_timelines_draw(incident=incident)
    ctx.record(
        "#15",
        "portal timelines drawn before the mailing (periodic job)",
        f"{drawn.drawings:,} for {drawn.customers:,} customers in {time.perf_counter() - started:.1f} s "
        f"({(time.process_time() - cpu) * 1000 / max(drawn.drawings, 1):.0f} ms CPU each)",
    )


class _Server:
    """gunicorn as docker-compose starts it (its shipped configuration), on a free loopback port."""

    def __init__(self, workdir: Path, name: str, args: tuple[str, ...] = (), *, secret_key: str = ""):
        self.secret_key = secret_key or secrets.token_urlsafe(50)
        settings.SECRET_KEY = self.secret_key  # the links this process signs open on the server
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": self.secret_key,
            "ANYMAIL_WEBHOOK_SECRET": f"bench:{secrets.token_urlsafe(24)}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "WEB_BIND": "127.0.0.1:0",
            "WEB_ACCESS_LOG": "",
        }
        self.log = (workdir / f"herd-gunicorn-{name}.log").open("w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "hostnotify.wsgi", "--config", "hostnotify/gunicorn.conf.py", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.port = self._port(workdir / f"herd-gunicorn-{name}.log")
        self.workers = int(env.get("WEB_WORKERS", max(2, os.cpu_count() or 2)))
        self.threads = int(env.get("WEB_THREADS", 8))

    def _port(self, log: Path) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def cpu_seconds(self) -> float:
        """CPU used so far by the gunicorn workers (all their threads), live ones and those the
        arbiter has already replaced (``max_requests``) and reaped: their CPU is in its children's."""
        workers = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    workers.append(int(entry.name))
        reaped = 0.0
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime
        except OSError:
            pass
        return reaped + sum(process_cpu_seconds(pid) for pid in workers)

    def database_cpu_seconds(self) -> dict[int, float]:
        """CPU used so far by each PostgreSQL backend serving this database (the server is shared)."""
        name = settings.DATABASES["default"]["NAME"]
        backends = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    title = (entry / "cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    continue
                if title.startswith("postgres: ") and f" {name} " in title:
                    backends[int(entry.name)] = process_cpu_seconds(int(entry.name))
        return backends

    def measured(self, work):
        """``work()``'s result with the CPU milliseconds per request of the web workers and of
        PostgreSQL added: what the load costs, whatever else runs on the machine. (A backend
        that ends meanwhile is not counted: the PostgreSQL figure is a lower bound.)"""
        app, database = self.cpu_seconds(), self.database_cpu_seconds()
        result = work()
        requests = max(result["requests"], 1)
        result["app_ms"] = (self.cpu_seconds() - app) * 1000 / requests
        after = self.database_cpu_seconds()
        result["db_ms"] = sum(cpu - database.get(pid, 0.0) for pid, cpu in after.items()) * 1000 / requests
        return result

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _herd(ctx: Context, incident, vouchers: list[Voucher], server: _Server) -> None:
    from accounts.models import Contact
    from accounts.services.portal_auth import MagicLinks

    ctx.record("#15", "server", f"gunicorn gthread, {server.workers} workers × {server.threads} threads")
    links = MagicLinks()
    contacts = {
        c.customer_id: c for c in Contact.objects.filter(customer__in=[v.customer_id for v in vouchers], role="primary")
    }
    tokens = [(v, links.token(contacts[v.customer_id])) for v in vouchers if v.customer_id in contacts]
    _warm(server.port, ["/status/", "/portal/login/"])

    def sign_in_all() -> dict:
        with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
            signins = list(pool.map(lambda pair: _sign_in(server.port, pair[1]), tokens))
        return {"signins": signins, "requests": 3 * len(tokens)}  # link page, confirm, first page

    outcome = server.measured(sign_in_all)
    signins = outcome["signins"]
    failures = sum(1 for s in signins if s is None)
    done = [s for s in signins if s is not None]
    confirm = [s["confirm"] for s in done]
    first = [s["first"] for s in done]
    p99 = _percentile(confirm, 99)
    ctx.record(
        "#15",
        f"sign in {len(tokens):,} customers (magic link, {CONNECTIONS} in parallel): confirm POST",
        f"p50 {_percentile(confirm, 50):.0f} ms, p99 {p99:.0f} ms, {failures} failed",
        f"p99 ≤ {CONFIRM_P99_MS} ms, 0 failed",
        p99 <= CONFIRM_P99_MS and failures == 0,
    )
    ctx.record(
        "#15",
        "first portal page after signing in",
        f"p50 {_percentile(first, 50):.0f} ms, p99 {_percentile(first, 99):.0f} ms; CPU per request of the three "
        f"(link page, confirm, first page) {outcome['app_ms']:.1f} ms gunicorn + {outcome['db_ms']:.1f} ms PostgreSQL",
    )
    sessions = [(s["cookie"], v) for s, (v, _) in zip(signins, tokens, strict=True) if s is not None]
    pages = {
        "portal incident page": lambda v: f"/portal/incidents/{incident.slug}/",
        "portal home": lambda v: "/portal/",
        "credit page": lambda v: "/portal/credit/",
        "voucher PDF": lambda v: f"/portal/vouchers/{v.pk}/pdf/",
    }
    for label, path in pages.items():
        script = _script(ctx.workdir, label, [(cookie, path(v)) for cookie, v in sessions])
        _warm(server.port, [path(sessions[0][1])], cookie=sessions[0][0])
        result = server.measured(functools.partial(_wrk, server.port, script))
        rps_target = PDF_RPS if label == "voucher PDF" else PORTAL_RPS
        ok = result["rps"] >= rps_target and result["errors"] == 0
        target = f"≥ {rps_target} req/s, 0 errors"
        if label != "voucher PDF":
            ok = ok and result["p99"] <= PORTAL_P99_MS
            target = f"≥ {rps_target} req/s, p99 ≤ {PORTAL_P99_MS} ms, 0 errors"
        ctx.record("#15", f"{label} ({CONNECTIONS} connections, {SECONDS} s)", _describe(result), target, ok)
    status = server.measured(lambda: _wrk(server.port, None, path="/status/"))
    ctx.record(
        "#15",
        "/status/ alone",
        _describe(status),
        f"≥ {STATUS_RPS} req/s, 0 errors",
        status["rps"] >= STATUS_RPS and status["errors"] == 0,
    )
    portal_script = _script(
        ctx.workdir, "beside", [(cookie, f"/portal/incidents/{incident.slug}/") for cookie, _ in sessions]
    )
    beside: dict = {}
    thread = threading.Thread(target=lambda: beside.update(_wrk(server.port, portal_script)))
    thread.start()
    time.sleep(1)
    status = _wrk(server.port, None, path="/status/", seconds=SECONDS - 2)
    thread.join()
    ctx.record(
        "#15",
        "/status/ beside the portal incident page load",
        f"{_describe(status)}; portal meanwhile {beside['rps']:,.0f} req/s",
        f"≥ {STATUS_BESIDE_RPS} req/s, 0 errors",
        status["rps"] >= STATUS_BESIDE_RPS and status["errors"] == 0 and beside["errors"] == 0,
    )


def _status_apart(ctx: Context, incident, server: _Server, status_server: _Server) -> None:
    """``/status/`` from the compose service of its own while the portal load runs on web."""
    sessions_script = ctx.workdir / "herd-beside.lua"
    _warm(status_server.port, ["/status/"])
    beside: dict = {}
    thread = threading.Thread(target=lambda: beside.update(_wrk(server.port, sessions_script)))
    thread.start()
    time.sleep(1)
    status = _wrk(status_server.port, None, path="/status/", seconds=SECONDS - 2)
    thread.join()
    ctx.record(
        "#15",
        "/status/ from the status service beside the portal load on web",
        f"{_describe(status)}; portal meanwhile {beside['rps']:,.0f} req/s",
        f"≥ {STATUS_BESIDE_RPS} req/s, 0 errors",
        status["rps"] >= STATUS_BESIDE_RPS and status["errors"] == 0 and beside["errors"] == 0,
    )


def _warm(port: int, paths: list[str], cookie: str = "") -> None:
    for _ in range(8):
        for path in paths:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)  # a first page on a busy machine
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            connection.getresponse().read()
            connection.close()


def _sign_in(port: int, token: str) -> dict | None:
    """Open the link from the letter, confirm, follow the redirect: as a browser does."""
    path = f"/portal/login/{token}/"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        page = response.read().decode()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or csrf is None or "csrftoken" not in cookies:
            return None
        body = f"csrfmiddlewaretoken={csrf.group(1)}"
        started = time.perf_counter()
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            },
        )
        response = connection.getresponse()
        response.read()
        confirm = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        if response.status != 302 or settings.SESSION_COOKIE_NAME not in cookies:
            return None
        cookie = "; ".join(f"{name}={cookies[name].value}" for name in cookies if cookies[name].value)
        started = time.perf_counter()
        connection.request("GET", response.headers["Location"], headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        first = (time.perf_counter() - started) * 1000
        if response.status != 200:
            return None
        return {"confirm": confirm, "first": first, "cookie": cookie}
    finally:
        connection.close()


def _script(workdir: Path, label: str, rows: list[tuple[str, str]]) -> Path:
    path = workdir / f"herd-{re.sub(r'[^a-z]+', '-', label.lower())}.lua"
    lua_rows = ",\n".join(f'{{"{cookie}", "{url}"}}' for cookie, url in rows)
    path.write_text(LUA % {"rows": lua_rows})
    return path


def _wrk(port: int, script: Path | None, *, path: str = "/", seconds: int = SECONDS) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    not_200 = re.search(r"not-200: (\d+)", out)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    errors += int(not_200.group(1)) if not_200 else int(non_2xx.group(1)) if non_2xx else 0
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # the latency distribution's lines, not a "…99%" column of the thread statistics
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)),
        "errors": errors,
    }


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _describe(result: dict) -> str:
    text = (
        f"{result['rps']:,.0f} req/s, p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms, {result['errors']} errors"
    )
    if "app_ms" in result:
        cores = os.cpu_count() or 1
        capacity = cores * 1000 / (result["app_ms"] + result["db_ms"])
        text += (
            f"; CPU per request {result['app_ms']:.1f} ms gunicorn + {result['db_ms']:.1f} ms PostgreSQL"
            f" (≈ {capacity:,.0f} req/s if they had the {cores} cores to themselves)"
        )
    return text
