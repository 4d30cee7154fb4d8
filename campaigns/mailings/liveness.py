"""Which claims still have a live worker, and which batches have a task waiting in the broker.

**Claims.** A claim records its owner on its rows (``Delivery.claimed_by``): on PostgreSQL the
claiming connection's backend process (``pg_backend_pid()``, written by the claim statement
itself), elsewhere (SQLite, one machine) the claiming operating-system process. A worker that is
killed takes its database session with it — PostgreSQL ends a backend as soon as its client's
socket closes — so the sweep sees at once that a claim's owner is gone, with or without Redis,
at no cost to the batch (no extra statement, no marker, no thread). An owner that still seems to
live (a PostgreSQL host that has not yet noticed a vanished client machine, a reused process id)
only delays the decision to the lease (``MAIL_SENDING_LEASE_SECONDS``), never makes it early.

**Queued tasks.** A batch queued to the broker carries a "queued" marker in the shared cache
until its task starts; when Redis restarts empty (taking the queued tasks with it) the markers
are gone too, and the sweep queues again what has none. Without a broker, tasks run one after the
other in the process that queued them: it writes its name on their pending rows the same way, so
that the sweep takes over what a process that died left unsent, at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.private_apis import db_datetime
from campaigns.mailings.models import Delivery

log = logging.getLogger(__name__)

QUEUED_MARGIN = 45  # seconds a delayed task may start late before the sweep queues it again


def cache_is_shared() -> bool:
    """Whether other processes see this cache (Redis), not only this one (local memory)."""
    return not isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache | DummyCache)


def claim_owner_sql() -> tuple[str, list]:
    """The SQL value (with its parameters) a claim writes into ``claimed_by``."""
    if connection.vendor == "postgresql":
        return "pg_backend_pid()", []
    return "%s", [os.getpid()]


def dead_claims(*, mailing_id: int, lease_cutoff: dt.datetime) -> list[tuple[int, int, dt.datetime]]:
    """``(pk, batch, claim stamp)`` of the mailing's "sending" rows whose claim has no live owner,
    or was made before ``lease_cutoff``. Rows claimed before owners were recorded (``claimed_by``
    NULL) wait for the lease."""
    sending = Delivery.objects.filter(mailing_id=mailing_id, status=Delivery.Status.SENDING)
    if connection.vendor != "postgresql":
        rows = sending.values_list("pk", "batch", "updated_at", "claimed_by")
        return [(pk, batch, stamp) for pk, batch, stamp, owner in rows if stamp <= lease_cutoff or _gone(owner)]
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        _fresh_activity(cursor)
        cursor.execute(
            f"SELECT d.id, d.batch, d.updated_at FROM {table} d "
            f"WHERE d.mailing_id = %s AND d.status = %s AND (d.updated_at <= %s OR (d.claimed_by IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = d.claimed_by)))",
            [mailing_id, Delivery.Status.SENDING, db_datetime(lease_cutoff)],
        )
        return list(cursor.fetchall())


def mark_attending(mailing_id: int, batches: list[int]) -> None:
    """Without a broker the tasks of ``batches`` run one after the other in this process: its
    name on their pending rows tells the sweep that they are attended while it lives."""
    owner_sql, owner_params = claim_owner_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET claimed_by = {owner_sql} "
            f"WHERE mailing_id = %s AND status = %s AND batch IN ({', '.join(['%s'] * len(batches))})",
            [*owner_params, mailing_id, Delivery.Status.PENDING, *batches],
        )


def unattended_batches(due: QuerySet, *, now: dt.datetime, lease_cutoff: dt.datetime) -> set[int]:
    """Without a broker: the batches of these due pending rows that no live process will send —
    their retry time has come, the process that queued them is gone, or they are older than the
    lease."""
    plain = Q(next_attempt_at__lte=now) | Q(updated_at__lte=lease_cutoff) | Q(claimed_by__isnull=True)
    if connection.vendor == "postgresql":
        gone = RawSQL(
            f"NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = {Delivery._meta.db_table}.claimed_by)",
            [],
            output_field=BooleanField(),
        )
        with connection.cursor() as cursor:
            _fresh_activity(cursor)
        return set(due.filter(plain | Q(gone)).values_list("batch", flat=True).distinct())
    batches = set(due.filter(plain).values_list("batch", flat=True).distinct())
    owners = due.exclude(batch__in=batches).values_list("batch", "claimed_by").distinct()
    return batches | {batch for batch, owner in owners if _gone(owner)}


def _fresh_activity(cursor) -> None:
    """PostgreSQL reads the sessions (pg_stat_activity) once per transaction and keeps that
    snapshot: inside a transaction, a worker that connected since would look dead."""
    if connection.in_atomic_block:
        cursor.execute("SELECT pg_stat_clear_snapshot()")


def _gone(pid: int | None) -> bool:
    """Whether no process of this id runs on this machine (a claim's owner without PostgreSQL)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: it exists
        return False
    return False


def _queued_key(mailing_id: int, batch: int) -> str:
    return f"hostnotify:batch:{mailing_id}:{batch}:queued"


def mark_queued(mailing_id: int, batches: Iterable[int], *, ttl: float) -> None:
    try:
        cache.set_many({_queued_key(mailing_id, b): 1 for b in batches}, timeout=max(1, int(ttl)))
    except Exception:  # the broker is the same Redis: publishing fails too, the sweep retries
        log.warning("could not mark batches of mailing %s as queued", mailing_id, exc_info=True)


def mark_started(mailing_id: int, batch: int) -> None:
    """The batch's task has left the broker: it no longer waits there."""
    if not cache_is_shared():
        return
    try:
        cache.delete(_queued_key(mailing_id, batch))
    except Exception:
        log.warning("could not clear the queued marker of batch %s", batch, exc_info=True)


def queued_batches(mailing_id: int, batches: Iterable[int]) -> set[int]:
    """Those of ``batches`` that have a task waiting in the broker."""
    batches = list(batches)
    found = cache.get_many([_queued_key(mailing_id, b) for b in batches])
    return {b for b in batches if _queued_key(mailing_id, b) in found}
