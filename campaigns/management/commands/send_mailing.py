"""send_mailing INCIDENT|MAILING [--wait]: the operator's short-cut to send the default apology."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from campaigns.incidents.models import Incident
from campaigns.mailings.apology import apology_send, mailing_send_now
from campaigns.mailings.models import Mailing
from campaigns.mailings.selectors import mailing_progress
from campaigns.mailings.services import MailingError
from hostnotify.celery import app, queue_consumed


class Command(BaseCommand):
    help = "Create (for an incident), approve and launch the default apology mailing; --wait shows progress."

    def add_arguments(self, parser):
        parser.add_argument("target", help="incident slug, or a mailing id")
        parser.add_argument("--wait", action="store_true", help="show a progress bar until the mailing is done")
        parser.add_argument("--timeout", type=float, default=0, help="with --wait: give up after this many seconds")
        parser.add_argument(
            "--worker-wait",
            type=float,
            default=120,
            help="with --wait and workers: how long to wait for a worker on the send queue to come up (default 120 s)",
        )

    def handle(self, *args, target, wait, timeout, worker_wait, **options):
        target_mailing, incident = self._target(target)
        if app.conf.task_always_eager:
            self.stdout.write("no Celery workers (REDIS_URL unset): sending in this process …")
        try:
            if incident is not None:
                sent = apology_send(incident=incident, by=None)
                mailing = sent.mailing
                if sent.continued:
                    self.stdout.write(f"continuing the apology mailing {mailing.pk}")
            else:
                assert target_mailing is not None
                mailing = mailing_send_now(mailing=target_mailing, by=None)
        except MailingError as exc:
            raise CommandError(str(exc)) from exc
        progress = mailing_progress(mailing)
        self.stdout.write(
            f"mailing {mailing.pk} ({mailing.display_name}): {mailing.status}, {progress.total} recipients"
        )
        if wait:
            self._require_send_worker(mailing, worker_wait)
            progress = self._wait(mailing, timeout)
        self.stdout.write(
            self.style.SUCCESS(
                f"mailing {mailing.pk}: sent {progress.sent}, failed {progress.failed}, "
                f"in doubt {progress.unknown}, pending {progress.pending}, bounced {progress.bounced}"
            )
        )
        if progress.unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"{progress.unknown} deliveries are in doubt (a worker stopped or the connection was lost while "
                    f"handing them over): "
                    f"mark them sent or send them again on the mailing's in-doubt page in the console"
                )
            )

    def _target(self, target: str) -> tuple[Mailing | None, Incident | None]:
        """A mailing id, or an incident slug."""
        if target.isdigit():
            mailing = Mailing.objects.filter(pk=int(target)).first()
            if mailing is None:
                raise CommandError(f"no mailing with id {target}")
            return mailing, None
        incident = Incident.objects.filter(slug=target).first()
        if incident is None:
            raise CommandError(f"no incident {target!r} (give an incident slug or a mailing id)")
        return None, incident

    def _require_send_worker(self, mailing: Mailing, grace: float) -> None:
        """Waiting for a mailing that no worker sends would wait forever: give a worker that is
        starting (``make demo`` starts one beside) ``grace`` seconds, then say what to do."""
        deadline = time.monotonic() + grace
        while not queue_consumed("send"):
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"no Celery worker consumes the 'send' queue, so nothing sends mailing {mailing.pk}: start one "
                    "with `celery -A hostnotify worker -Q default,send,pdf` (it is launched and goes out then), or "
                    "unset REDIS_URL to send in this process"
                )
            self.stdout.write("waiting for a Celery worker on the 'send' queue …")
            time.sleep(5)

    def _wait(self, mailing: Mailing, timeout: float):
        started = time.monotonic()
        progress = mailing_progress(mailing)
        with tqdm(total=progress.total, unit="mail", disable=None) as bar:
            while True:
                progress = mailing_progress(mailing)
                bar.n = progress.total - progress.pending - progress.sending
                bar.set_postfix(failed=progress.failed, rate=f"{progress.rate:.0f}/s")
                bar.refresh()
                mailing.refresh_from_db(fields=["status"])
                if progress.pending + progress.sending == 0 or mailing.status in (
                    Mailing.Status.DONE,
                    Mailing.Status.CANCELLED,
                    Mailing.Status.PAUSED,
                ):
                    return progress
                if timeout and time.monotonic() - started > timeout:
                    raise CommandError(f"mailing {mailing.pk} not done after {timeout:.0f} s")
                time.sleep(0.5)
