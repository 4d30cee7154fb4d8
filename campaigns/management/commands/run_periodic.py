"""run_periodic [--loop SECONDS]: the periodic work that Celery beat otherwise triggers — sending
heartbeat and scheduled mailings, voucher expiry, expiry reminders — once (for cron), or again
every SECONDS until stopped (the embedded default's scheduler, started by ``make demo``)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from campaigns.mailings.periodic import periodic_run_due


class Command(BaseCommand):
    help = "Run the periodic jobs that are due, once each, even if another runner starts at the same time."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=float, default=0, metavar="SECONDS", help="repeat every SECONDS until stopped"
        )

    def handle(self, *args, loop, **options):
        if loop < 0:
            raise CommandError("--loop must be a number of seconds ≥ 0")
        stop = threading.Event()
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        while True:
            for name, result in periodic_run_due().items():
                # Once (cron): a summary of every job. Looping beside the demo's server: only
                # the runs that did something, not a line every few seconds.
                if not loop or _did_something(result):
                    self.stdout.write(f"{name}: {result}")
            if not loop or stop.wait(loop):
                break


def _did_something(result) -> bool:
    values = result.values() if isinstance(result, dict) else [result]
    return any(values)
