"""Claiming a batch's deliveries and recording what became of each hand-over.

A delivery is claimed (pending → sending) with the rest of its batch in one statement, and its
hand-over is recorded (sending → sent, failed or pending again) as soon as the mail server or the
ESP has answered, before the next hand-over starts: one statement per SMTP message, or per ESP
batch call. The deliveries of one claim share its stamp (``updated_at``) and are handed over in id
order, so after a crash the rows of a claim still "sending" are: the first hand-over unit (one
message, or one ESP call) — perhaps handed over, in doubt — and after it, rows never tried
(``recovery.deliveries_reconcile``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from accounts.bulk import bulk_update_rows
from accounts.private_apis import db_datetime
from campaigns.mailings import letters, liveness, rules
from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing

OWN_ESP = "hostnotify"  # DeliveryEvent.esp of our own attempts


def product_setting(name: str, default):
    return settings.HOSTNOTIFY.get(name, default)


def message_domain() -> str:
    return product_setting("MAIL_MESSAGE_ID_DOMAIN", "hostnotify.invalid")


def delivery_message_id(delivery) -> str:
    return rules.message_id_for(
        mailing_id=delivery.mailing_id, delivery_id=delivery.pk, attempt=delivery.attempts, domain=message_domain()
    )


@dataclass(slots=True)
class Claimed:
    """A delivery this run claimed (pending → sending), as the sender reads and records it."""

    pk: int
    mailing_id: int
    contact_id: int
    customer_id: int
    email: str
    language: str
    attempts: int
    status: str = Delivery.Status.SENDING
    message_id: str = ""
    last_error: str = ""
    next_attempt_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclass
class Outcome:
    """What became of one claimed delivery. ``tried`` is False for one that waits because of
    another message's failure or the batch's time budget: its attempt is given back."""

    delivery: Claimed
    status: str
    message_id: str = ""
    error: str = ""
    next_attempt_at: dt.datetime | None = None
    tried: bool = True


_CLAIMED_COLUMNS = ("id", "contact_id", "customer_id", "email", "language", "attempts")


def claim_batch(mailing: Mailing, batch: int, now: dt.datetime) -> tuple[list[Claimed], dict | None]:
    """pending → sending, only while the mailing is sending, committed at once (autocommit), so a
    concurrent run of the same batch finds nothing left to claim. On PostgreSQL the same
    statement also reads everything the batch's letters need (``letters.BatchRead``): one
    UPDATE … RETURNING in a WITH, joined to the letters' query. Elsewhere the letters read it
    with a query of their own (the recipients are then None). Sorted by id: the hand-over order."""
    table, mailing_table = Delivery._meta.db_table, Mailing._meta.db_table
    stamp = db_datetime(now)
    owner_sql, owner_params = liveness.claim_owner_sql()
    claim_sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, updated_at = %s, claimed_by = {owner_sql} "
        f"WHERE mailing_id = %s AND batch = %s AND status = %s "
        f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
        f"AND EXISTS (SELECT 1 FROM {mailing_table} m WHERE m.id = %s AND m.status = %s) "
        f"RETURNING {', '.join(_CLAIMED_COLUMNS)}"
    )
    claim_params = [
        Delivery.Status.SENDING, stamp, *owner_params, mailing.pk, batch, Delivery.Status.PENDING, stamp, mailing.pk,
        Mailing.Status.SENDING,
    ]  # fmt: skip
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(claim_sql, claim_params)
            rows = cursor.fetchall()
        rows.sort()
        return [Claimed(pk, mailing.pk, *rest) for pk, *rest in rows], None
    # One join to claimed, its only reference: the planner starts from the claimed rows and looks
    # each contact up, whatever it estimates their number to be. LEFT: a claimed delivery always
    # comes back, so that it is recorded even if its letter cannot be written.
    read = letters.BatchRead(mailing.incident_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH claimed AS ({claim_sql}) "
            f"SELECT b.*, {', '.join(f'claimed.{column}' for column in _CLAIMED_COLUMNS)} "
            f"FROM claimed LEFT JOIN ({read.sql}) b ON b.{read.contact_alias} = claimed.contact_id "
            f"ORDER BY {read.order_by('b')}",
            [*claim_params, *read.params],
        )
        rows = read.convert(cursor.fetchall())
    deliveries = {}
    for row in rows:
        pk = row[read.width]
        if pk not in deliveries:
            deliveries[pk] = Claimed(pk, mailing.pk, *row[read.width + 1 :])
    return [deliveries[pk] for pk in sorted(deliveries)], letters.recipients_from_rows(rows)


RECORDED_FIELDS = ("status", "message_id", "last_error", "next_attempt_at", "sent_at", "updated_at", "attempts")


_EVENT_TYPES: dict[str, str] = {Delivery.Status.FAILED: "failed", Delivery.Status.UNKNOWN: "in_doubt"}


class ClaimTakenOver(Exception):
    """The sweep took this run's claim over (it found the claiming worker's session gone): the
    rest of the claim is someone else's now, so this run must hand nothing more over."""


def record_outcomes(outcomes: list[Outcome], now: dt.datetime, *, mailing_id: int, batch: int) -> None:
    """One UPDATE for these outcomes (plus the failure events, only when there are any). Only rows
    still "sending" are written: a reconcile that took them over wins, and ``ClaimTakenOver`` tells
    the sender to stop."""
    rows = []
    for outcome in outcomes:
        delivery = outcome.delivery
        delivery.status = outcome.status
        delivery.message_id = outcome.message_id
        delivery.last_error = outcome.error
        delivery.next_attempt_at = outcome.next_attempt_at
        delivery.sent_at = now if outcome.status == Delivery.Status.SENT else None
        delivery.updated_at = now
        if not outcome.tried:
            delivery.attempts -= 1
        rows.append(delivery)
    # One UPDATE … FROM unnest(arrays) on PostgreSQL. The mailing and batch in the condition keep
    # the plan right when the statistics are stale: analysed at launch, they know of no "sending"
    # row, and the planner, trusting that, would otherwise look for "sending" rows across the
    # whole (mailing, status, batch) index.
    written = bulk_update_rows(
        Delivery,
        [{"id": d.pk, **{name: getattr(d, name) for name in RECORDED_FIELDS}} for d in rows],
        RECORDED_FIELDS,
        where={"mailing_id": mailing_id, "status": Delivery.Status.SENDING, "batch": batch},
    )
    if written < len(rows):
        raise ClaimTakenOver(f"batch {batch} of mailing {mailing_id}: {len(rows) - written} rows taken over")
    events = [
        DeliveryEvent(
            delivery_id=o.delivery.pk,
            esp=OWN_ESP,
            event_type=_EVENT_TYPES.get(o.status, "deferred"),
            event_id=f"attempt:{o.delivery.pk}:{o.delivery.attempts}",
            occurred_at=now,
            description=o.error,
        )
        for o in outcomes
        if o.status != Delivery.Status.SENT and o.error and o.tried
    ]
    if events:
        DeliveryEvent.objects.bulk_create(events, ignore_conflicts=True)
