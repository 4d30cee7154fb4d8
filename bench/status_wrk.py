"""Requests per second of the public status page under ``wrk``, with and without its cache.

Not part of ``make bench`` (it starts gunicorn and wrk on loopback). Run it by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hostnotify_i7 .venv/bin/python bench/status_wrk.py

It loads the demo (if missing) plus a few past incidents, then for each configuration starts
``gunicorn hostnotify.wsgi -w 2`` on 127.0.0.1, warms it up and runs ``wrk -t2 -c32 -d10s``.
"""

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")


def prepare(customers: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from campaigns.demo import data as demo
    from campaigns.demo.status_timeline import status_demo_updates
    from campaigns.incidents.models import Incident
    from tests.factories import IncidentFactory, IncidentUpdateFactory, OutageWindowFactory, ServerFactory, utc

    call_command("migrate", verbosity=0)
    if not Incident.objects.filter(slug=demo.INCIDENT).exists():
        call_command("load_demo", customers=customers, stdout=open(os.devnull, "w"))  # noqa: SIM115
    status_demo_updates(incident=Incident.objects.get(slug=demo.INCIDENT))
    for year in range(2000, 2005):  # the history: one past incident a year
        incident = IncidentFactory(slug=f"past-{year}", title=f"Network outage {year}", status="resolved")
        if not incident.windows.exists():
            server = ServerFactory(name=f"server{year % 100:02d}")
            OutageWindowFactory(incident=incident, server=server, start=utc(year, 6, 1, 8), end=utc(year, 6, 1, 11))
            IncidentUpdateFactory(incident=incident, phase="resolved", texts={"de": "Behoben.", "en": "Fixed."})
    ongoing = IncidentFactory(slug="mail-2006", title="Mail delays", status="open")
    if not ongoing.windows.exists():
        OutageWindowFactory(incident=ongoing, server=ServerFactory(name="server07"), start=utc(2006, 1, 5, 9), end=None)
        IncidentUpdateFactory(
            incident=ongoing, phase="identified", texts={"de": "Warteschlange voll.", "en": "Queue full."}
        )


def measure(label: str, env_extra: dict, port: int, path: str, duration: str) -> float:
    env = {**os.environ, **env_extra}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "hostnotify.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}{path}"
        for _ in range(100):
            try:
                for _ in range(4):  # both workers warm (and their caches filled)
                    urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{duration}", "--timeout", "5s", url], capture_output=True, text=True, check=True
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        latency = re.search(r"Latency\s+(\S+)", out).group(1)
        print(f"{label:<40} {rps:>10.1f} req/s   mean latency {latency:<8} non-2xx {errors.group(1) if errors else 0}")
        return rps
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--port", type=int, default=18707)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--path", default="/status/")
    args = parser.parse_args()
    prepare(args.customers)
    redis_url = os.environ.pop("REDIS_URL", "")
    print(f"wrk -t2 -c32 -d{args.duration} {args.path}  (gunicorn -w 2, DB {os.environ.get('DATABASE_URL', 'SQLite')})")
    measure("no cache (STATUS_CACHE_SECONDS=0)", {"STATUS_CACHE_SECONDS": "0"}, args.port, args.path, args.duration)
    measure("cache 30 s, local memory per worker", {"STATUS_CACHE_SECONDS": "30"}, args.port, args.path, args.duration)
    if redis_url:
        measure(
            "cache 30 s, Redis",
            {"STATUS_CACHE_SECONDS": "30", "REDIS_URL": redis_url},
            args.port,
            args.path,
            args.duration,
        )


if __name__ == "__main__":
    main()
