"""Which batches have a live task: small markers in the shared cache (Redis when configured).

A batch queued to the broker carries a "queued" marker until its task starts; a running task
keeps a "running" marker for its claim alive from a thread, every few seconds, with a short time
to live. So when a worker is killed its marker lapses within ``RUNNING_TTL`` seconds, and when
Redis restarts empty (taking the queued tasks with it) every marker is gone: the periodic sweep
re-queues what has no live task, and reconciles the claims of dead tasks, within a minute.

Without a shared cache (the embedded default, in-process tasks) the markers are not visible to
another process, and the sweep falls back to the lease (``MAIL_SENDING_LEASE_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

log = logging.getLogger(__name__)

RUNNING_TTL = 20  # seconds a running marker lives unless its task refreshes it
REFRESH_SECONDS = 5  # how often a running task refreshes its marker
QUEUED_MARGIN = 45  # seconds a delayed task may start late before the sweep queues it again


def cache_is_shared() -> bool:
    return not isinstance(cache, LocMemCache | DummyCache) and not isinstance(
        getattr(cache, "_cache", None), LocMemCache | DummyCache
    )


def _queued_key(mailing_id: int, batch: int) -> str:
    return f"hostnotify:batch:{mailing_id}:{batch}:queued"


def _running_key(mailing_id: int, batch: int, stamp: dt.datetime) -> str:
    return f"hostnotify:batch:{mailing_id}:{batch}:running:{stamp.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}"


def mark_queued(mailing_id: int, batches: Iterable[int], *, ttl: float) -> None:
    try:
        cache.set_many({_queued_key(mailing_id, b): 1 for b in batches}, timeout=max(1, int(ttl)))
    except Exception:  # the broker is the same Redis: publishing fails too, the sweep retries
        log.warning("could not mark batches of mailing %s as queued", mailing_id, exc_info=True)


def queued_batches(mailing_id: int, batches: Iterable[int]) -> set[int]:
    """Those of ``batches`` that have a task waiting in the broker."""
    batches = list(batches)
    found = cache.get_many([_queued_key(mailing_id, b) for b in batches])
    return {b for b in batches if _queued_key(mailing_id, b) in found}


def live_claims(mailing_id: int, claims: Iterable[tuple[int, dt.datetime]]) -> set[tuple[int, dt.datetime]]:
    """Those of the (batch, claim stamp) pairs whose task is still running."""
    claims = list(claims)
    found = cache.get_many([_running_key(mailing_id, b, s) for b, s in claims])
    return {(b, s) for b, s in claims if _running_key(mailing_id, b, s) in found}


@contextmanager
def running(mailing_id: int, batch: int, stamp: dt.datetime) -> Iterator[None]:
    """Mark a batch task's claim (its stamp) as alive while the block runs."""
    if not cache_is_shared():  # nobody else could see it
        yield
        return
    key = _running_key(mailing_id, batch, stamp)
    stop = threading.Event()

    def mark() -> None:
        try:
            cache.set(key, 1, timeout=RUNNING_TTL)  # set, not touch: survives a Redis restart
        except Exception:
            log.warning("could not refresh the running marker %s", key, exc_info=True)

    def beat() -> None:
        while not stop.wait(REFRESH_SECONDS):
            mark()

    try:
        cache.delete(_queued_key(mailing_id, batch))
    except Exception:
        log.warning("could not clear the queued marker of batch %s", batch, exc_info=True)
    mark()
    thread = threading.Thread(target=beat, name=f"batch-{mailing_id}-{batch}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)
        try:
            cache.delete(key)
        except Exception:
            log.warning("could not clear the running marker %s", key, exc_info=True)
