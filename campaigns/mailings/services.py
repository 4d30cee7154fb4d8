"""Mailing lifecycle: draft → approved (by a second staff user) → scheduled / sending ⇄ paused →
done or cancelled. Launching snapshots one Delivery per (mailing, contact) in one INSERT … SELECT
and queues one Celery task per batch once the transaction commits."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Contact
from accounts.private_apis import analyze_stale, db_datetime, queryset_sql
from campaigns.audit.services import audit_record
from campaigns.compensation.models import Compensation
from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.selectors import exposure_on_servers
from campaigns.mailings import letters
from campaigns.mailings.defaults import mailing_defaults
from campaigns.mailings.models import Delivery, Mailing, SuppressedAddress
from campaigns.mailings.recovery import (
    deliveries_reconcile,
    mailing_finish_if_complete,
    open_deliveries_set,
    queue_batches,
    queue_pending_batches,
)


class MailingError(Exception):
    """A mailing action that the mailing's state or the acting user does not allow."""


class MailingStateError(MailingError):
    pass


class ApprovalRefused(MailingError):
    pass


def _locked(mailing: Mailing) -> Mailing:
    return Mailing.objects.select_for_update().get(pk=mailing.pk)


def _require(mailing: Mailing, *states: str, action: str) -> None:
    if mailing.status not in states:
        raise MailingStateError(f"cannot {action} mailing {mailing.pk}: it is {mailing.status}")


def mailing_create_default(*, incident: Incident, by=None) -> Mailing:
    """A draft apology to every affected customer's primary contact, in their language."""
    mailing = Mailing.objects.create(
        incident=incident,
        name="",  # named in the reader's language: Mailing.display_name
        kind=Mailing.Kind.APOLOGY,
        contact_roles=[Contact.Role.PRIMARY],
        content=letters.default_content(),
        attach_voucher=True,
        from_email=settings.DEFAULT_FROM_EMAIL,
        **mailing_defaults(),
        created_by=by,
    )
    audit_record(actor=by, action="mailing.create", incident=incident, obj=mailing)
    return mailing


def _approval_refusal(user, mailing: Mailing) -> str | None:
    """Why ``user`` (None: the operator's command line) may not approve ``mailing``, or None."""
    if user is not None and not user.is_staff:
        return "only staff may approve a mailing"
    if user is None and mailing.created_by_id is not None:
        return "a mailing written by a staff user needs another staff user's approval"
    if user is not None and user.pk == mailing.created_by_id:
        return "the author cannot approve their own mailing"
    if not mailing.content:
        return "the mailing has no content"
    return None


def mailing_can_approve(user, mailing: Mailing) -> bool:
    """Four eyes, as ``mailing_approve`` decides it: the console offers "Approve" only then."""
    return mailing.status == Mailing.Status.DRAFT and _approval_refusal(user, mailing) is None


def mailing_approve(*, mailing: Mailing, by) -> Mailing:
    """Four eyes: a staff user other than the author approves. The operator's command line (no
    user on either side) approves what it created itself."""
    with transaction.atomic():
        mailing = _locked(mailing)
        _require(mailing, Mailing.Status.DRAFT, action="approve")
        refusal = _approval_refusal(by, mailing)
        if refusal is not None:
            raise ApprovalRefused(refusal)
        mailing.status = Mailing.Status.APPROVED
        mailing.approved_by = by
        mailing.approved_at = timezone.now()
        mailing.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(actor=by, action="mailing.approve", incident=mailing.incident, obj=mailing)
    return mailing


def mailing_launch(*, mailing: Mailing, by, now: dt.datetime | None = None) -> Mailing:
    """Start sending an approved mailing, or schedule it when its time has not come yet."""
    now = now or timezone.now()
    with transaction.atomic():
        mailing = _locked(mailing)
        _require(mailing, Mailing.Status.APPROVED, Mailing.Status.SCHEDULED, action="launch")
        if mailing.scheduled_at and mailing.scheduled_at > now:
            mailing.status = Mailing.Status.SCHEDULED
            mailing.save(update_fields=["status"])
            audit_record(actor=by, action="mailing.schedule", incident=mailing.incident, obj=mailing)
            return mailing
        recipients = _snapshot_deliveries(mailing, now)
        batches = -(-recipients // mailing.batch_size)
        mailing.status = Mailing.Status.SENDING if recipients else Mailing.Status.DONE
        mailing.launched_at = now
        mailing.finished_at = None if recipients else now
        mailing.save(update_fields=["status", "launched_at", "finished_at"])
        audit_record(actor=by, action="mailing.launch", incident=mailing.incident, obj=mailing, recipients=recipients)
        open_deliveries_set(mailing.pk, recipients)
        transaction.on_commit(lambda: _refresh_planner_statistics(new_deliveries=recipients))  # before the batches
        queue_batches(mailing.pk, range(batches))
    return mailing


def mailing_launch_due(*, now: dt.datetime | None = None) -> int:
    """Launch every scheduled mailing whose time has come (the periodic task calls this)."""
    now = now or timezone.now()
    due = Mailing.objects.filter(status=Mailing.Status.SCHEDULED, scheduled_at__lte=now)
    launched = 0
    for mailing in due:
        mailing_launch(mailing=mailing, by=None, now=now)
        launched += 1
    return launched


def audience_contacts(mailing: Mailing):
    """The contacts a mailing goes to: affected customers of its incident (a correction: the
    customers it names, also those it no longer affects; narrowed by the audience filters), contacts of the chosen roles (all roles when none is chosen), minus
    suppressed addresses. Annotated with the letter's language."""
    audience = mailing.audience or {}
    exposures = Exposure.objects.filter(incident_id=mailing.incident_id)
    if audience.get("servers"):
        exposures = exposures.filter(exposure_on_servers(audience["servers"]))
    if audience.get("volumes"):
        from accounts.models import Server

        names = Server.objects.filter(storage_volume__name__in=audience["volumes"]).values_list("name", flat=True)
        exposures = exposures.filter(exposure_on_servers(list(names)))
    if audience.get("products"):
        exposures = exposures.filter(account__product__in=audience["products"])
    contacts = Contact.objects.filter(customer_id__in=exposures.values("customer_id"))
    narrowed = any(audience.get(key) for key in ("servers", "volumes", "products"))
    if mailing.kind == Mailing.Kind.CORRECTION and audience.get("customer_ids") and not narrowed:
        # A correction goes to the customers it names (mailings.corrections), also those whom the
        # corrected windows no longer affect (issue 12).
        contacts = Contact.objects.all()
    # a voucher expiry reminder goes only to the customers whose voucher expires soon.
    if audience.get("customer_ids"):
        contacts = contacts.filter(customer_id__in=audience["customer_ids"])
    if audience.get("min_amount") not in (None, "") or audience.get("max_amount") not in (None, ""):
        amounts = Compensation.objects.filter(incident_id=mailing.incident_id, customer_id=OuterRef("customer_id"))
        if audience.get("min_amount") not in (None, ""):
            amounts = amounts.filter(amount__gte=audience["min_amount"])
        if audience.get("max_amount") not in (None, ""):
            amounts = amounts.filter(amount__lte=audience["max_amount"])
        contacts = contacts.filter(Exists(amounts))
    if mailing.contact_roles:
        contacts = contacts.filter(role__in=mailing.contact_roles)
    contacts = contacts.exclude(Exists(SuppressedAddress.objects.filter(email=Lower(OuterRef("email")))))
    contacts = contacts.annotate(letter_language=Coalesce(NullIf("language", Value("")), F("customer__language")))
    if audience.get("languages"):
        contacts = contacts.filter(letter_language__in=audience["languages"])
    return contacts


def _snapshot_deliveries(mailing: Mailing, now: dt.datetime) -> int:
    """One INSERT … SELECT: a Delivery per audience contact, numbered into fixed-size batches."""
    contacts = audience_contacts(mailing).values_list("id", "customer_id", "email", "letter_language")
    select_sql, select_params = queryset_sql(contacts)
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (mailing_id, contact_id, customer_id, email, language, status, tracking, "
            f"batch, attempts, message_id, last_error, updated_at) "
            f"SELECT %s, c.id, c.customer_id, c.email, c.letter_language, %s, '', "
            f"(ROW_NUMBER() OVER (ORDER BY c.customer_id, c.id) - 1) / %s, 0, '', '', %s "
            f"FROM ({select_sql}) c WHERE true ON CONFLICT (mailing_id, contact_id) DO NOTHING",
            [
                mailing.pk,
                Delivery.Status.PENDING,
                mailing.batch_size,
                db_datetime(now),
                *select_params,
            ],
        )
        return cursor.rowcount


# The tables every batch reads. Freshly imported (or freshly snapshotted) rows have no planner
# statistics until autovacuum comes round; a bad plan for the render query costs ~0.2 s per batch.
_BATCH_TABLES = (
    "accounts_contact",
    "accounts_customer",
    "accounts_hostingaccount",
    "campaigns_exposure",
    "campaigns_compensation",
    "campaigns_voucher",
    "campaigns_delivery",
)


def _refresh_planner_statistics(*, new_deliveries: int = 0) -> None:
    """ANALYZE those batch tables whose statistics are missing or more than 10 % out of date, the
    deliveries just snapshotted counted in."""
    analyze_stale(_BATCH_TABLES, growing={Delivery._meta.db_table: new_deliveries})


def mailing_pause(*, mailing: Mailing, by, reason: str = "") -> Mailing:
    """Stop claiming new batches; a batch already handing over finishes its messages."""
    with transaction.atomic():
        mailing = _locked(mailing)
        _require(mailing, Mailing.Status.SENDING, Mailing.Status.SCHEDULED, action="pause")
        mailing.status = Mailing.Status.PAUSED
        mailing.paused_reason = (reason or "paused by staff")[:255]
        mailing.save(update_fields=["status", "paused_reason"])
        audit_record(actor=by, action="mailing.pause", incident=mailing.incident, obj=mailing, reason=reason)
    return mailing


def mailing_resume(*, mailing: Mailing, by, stale_after: dt.timedelta | None = None) -> Mailing:
    """Continue a paused mailing (or kick a sending one after a crash): reconcile deliveries a dead
    worker left in "sending", then queue every batch that still has pending deliveries. Sent
    deliveries are never claimed again."""
    with transaction.atomic():
        mailing = _locked(mailing)
        _require(mailing, Mailing.Status.PAUSED, Mailing.Status.SENDING, action="resume")
        if mailing.status == Mailing.Status.PAUSED and not mailing.launched_at:
            mailing.status = Mailing.Status.APPROVED  # paused while scheduled: launch it now
            mailing.save(update_fields=["status"])
            return mailing_launch(mailing=mailing, by=by)
        mailing.status = Mailing.Status.SENDING
        mailing.paused_reason = ""
        mailing.save(update_fields=["status", "paused_reason"])
        audit_record(actor=by, action="mailing.resume", incident=mailing.incident, obj=mailing)
    deliveries_reconcile(mailing=mailing, stale_after=stale_after)
    queue_pending_batches(mailing.pk)
    return mailing


def mailing_cancel(*, mailing: Mailing, by) -> Mailing:
    """No further messages; pending deliveries stay pending as the record of what was not sent."""
    with transaction.atomic():
        mailing = _locked(mailing)
        _require(
            mailing,
            Mailing.Status.DRAFT,
            Mailing.Status.APPROVED,
            Mailing.Status.SCHEDULED,
            Mailing.Status.SENDING,
            Mailing.Status.PAUSED,
            action="cancel",
        )
        mailing.status = Mailing.Status.CANCELLED
        mailing.finished_at = timezone.now()
        mailing.save(update_fields=["status", "finished_at"])
        audit_record(actor=by, action="mailing.cancel", incident=mailing.incident, obj=mailing)
    return mailing


def _reopen(mailing: Mailing) -> None:
    if mailing.status == Mailing.Status.DONE:
        mailing.status = Mailing.Status.SENDING
        mailing.finished_at = None
        mailing.save(update_fields=["status", "finished_at"])


def mailing_retry_failed(*, mailing: Mailing, by) -> int:
    """Send failed deliveries again (never sent ones, nor those in doubt: staff decide those one
    by one, ``in_doubt.deliveries_resolve``); returns how many."""
    with transaction.atomic():
        mailing = _locked(mailing)
        _require(mailing, Mailing.Status.SENDING, Mailing.Status.PAUSED, Mailing.Status.DONE, action="retry")
        retry = Delivery.objects.filter(mailing=mailing, status=Delivery.Status.FAILED)
        batches = sorted(set(retry.values_list("batch", flat=True)))
        count = retry.update(status=Delivery.Status.PENDING, next_attempt_at=None, updated_at=timezone.now())
        _reopen(mailing)
        open_deliveries_set(mailing.pk)
        audit_record(actor=by, action="mailing.retry_failed", incident=mailing.incident, obj=mailing, count=count)
        if mailing.status == Mailing.Status.SENDING:
            queue_batches(mailing.pk, batches)
    return count


def mailing_resend(*, delivery: Delivery, by) -> Delivery:
    """Send one recipient's letter again (a new message with its own Message-ID). One in doubt
    is decided as on the in-doubt page, which then lists who sent it again."""
    if delivery.status == Delivery.Status.UNKNOWN:
        from campaigns.mailings.in_doubt import RESEND, InDoubtDecisionRefused, deliveries_resolve

        try:
            decided = deliveries_resolve(mailing=delivery.mailing, by=by, decision=RESEND, delivery_ids=[delivery.pk])
        except InDoubtDecisionRefused as exc:
            raise MailingStateError(str(exc)) from exc
        if decided:
            return Delivery.objects.get(pk=delivery.pk)
    with transaction.atomic():
        mailing = _locked(delivery.mailing)
        _require(mailing, Mailing.Status.SENDING, Mailing.Status.PAUSED, Mailing.Status.DONE, action="resend")
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status in (Delivery.Status.PENDING, Delivery.Status.SENDING):
            raise MailingStateError(f"delivery {delivery.pk} is {delivery.status} already")
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
        _reopen(mailing)
        open_deliveries_set(mailing.pk)
        audit_record(actor=by, action="mailing.resend", incident=mailing.incident, obj=delivery, email=delivery.email)
        if mailing.status == Mailing.Status.SENDING:
            queue_batches(mailing.pk, [delivery.batch])
    return delivery


def mailing_clone(*, mailing: Mailing, by) -> Mailing:
    """A new draft with the same audience, roles, content and settings."""
    copy_fields = [
        "incident",
        "kind",
        "audience",
        "contact_roles",
        "content",
        "attach_voucher",
        "from_email",
        "reply_to",
        "batch_size",
        "rate_per_second",
        "auto_pause_error_rate",
    ]
    clone = Mailing.objects.create(
        name=(gettext("%(name)s (copy)") % {"name": mailing.display_name})[:200],
        cloned_from=mailing,
        created_by=by,
        **{name: getattr(mailing, name) for name in copy_fields},
    )
    audit_record(actor=by, action="mailing.clone", incident=mailing.incident, obj=clone, source=mailing.pk)
    return clone


__all__ = [
    "ApprovalRefused",
    "MailingError",
    "MailingStateError",
    "audience_contacts",
    "mailing_approve",
    "mailing_cancel",
    "mailing_clone",
    "mailing_create_default",
    "mailing_finish_if_complete",
    "mailing_launch",
    "mailing_launch_due",
    "mailing_pause",
    "mailing_resend",
    "mailing_resume",
    "mailing_retry_failed",
]
