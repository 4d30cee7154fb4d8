"""Deliveries in doubt: a worker died while handing them over, so nobody knows whether they went
out. They are shown to staff with their recipients, keep the mailing from being done, and are
decided by a person — marked sent (the recipient has it) or sent again — with the decision in the
audit log. With a reconciler (Postmark's by default) the sweep decides them first."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.audit.models import AuditEntry
from campaigns.audit.services import audit_record
from campaigns.mailings.claims import OWN_ESP, delivery_message_id
from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing
from campaigns.mailings.recovery import mailing_finish_if_complete, open_deliveries_set, queue_batches

MARK_SENT = "sent"
RESEND = "resend"
DECISIONS = (MARK_SENT, RESEND)
DECISION_ACTIONS = {MARK_SENT: "mailing.in_doubt.mark_sent", RESEND: "mailing.in_doubt.resend"}


class InDoubtDecisionRefused(Exception):
    """A decision the mailing's state or the request does not allow."""


def deliveries_in_doubt(mailing: Mailing):
    """The in-doubt deliveries of a mailing with their recipients, oldest first."""
    return (
        Delivery.objects.filter(mailing=mailing, status=Delivery.Status.UNKNOWN)
        .select_related("customer")
        .order_by("pk")
    )


def in_doubt_decisions(mailing: Mailing):
    """Who decided which in-doubt deliveries of a mailing, and how (audit entries, newest first)."""
    return AuditEntry.objects.filter(
        object_type=Mailing._meta.label, object_id=str(mailing.pk), action__in=DECISION_ACTIONS.values()
    ).order_by("-created_at", "-id")


def deliveries_resolve(*, mailing: Mailing, by, decision: str, delivery_ids: list[int] | None = None) -> int:
    """Decide in-doubt deliveries (all of the mailing's when ``delivery_ids`` is None): ``sent``
    records them as sent, ``resend`` sends each again as a new message. Only deliveries still in
    doubt are touched; returns how many. One audit entry names the decision and every recipient."""
    if decision not in DECISIONS:
        raise InDoubtDecisionRefused(f"unknown decision {decision!r}")
    now = timezone.now()
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status not in (Mailing.Status.SENDING, Mailing.Status.PAUSED):
            raise InDoubtDecisionRefused(f"mailing {mailing.pk} is {mailing.status}")
        rows = Delivery.objects.select_for_update().filter(mailing=mailing, status=Delivery.Status.UNKNOWN)
        if delivery_ids is not None:
            rows = rows.filter(pk__in=delivery_ids)
        chosen = list(rows.only("pk", "mailing_id", "email", "attempts", "batch").order_by("pk"))
        if not chosen:
            return 0
        if decision == MARK_SENT:
            for delivery in chosen:
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.Status.SENT, message_id=delivery_message_id(delivery), sent_at=now, updated_at=now
                )
        else:
            Delivery.objects.filter(pk__in=[d.pk for d in chosen]).update(
                status=Delivery.Status.PENDING, next_attempt_at=None, updated_at=now
            )
        who = getattr(by, "get_username", lambda: "system")() if by is not None else "system"
        DeliveryEvent.objects.bulk_create(
            [
                DeliveryEvent(
                    delivery_id=d.pk,
                    esp=OWN_ESP,
                    event_type="resolved",
                    event_id=f"resolved:{d.pk}:{d.attempts}",
                    occurred_at=now,
                    description=f"in doubt, decided by {who}: {'marked sent' if decision == MARK_SENT else 'sent again'}",
                )
                for d in chosen
            ],
            ignore_conflicts=True,
        )
        audit_record(
            actor=by,
            action=DECISION_ACTIONS[decision],
            incident=mailing.incident,
            obj=mailing,
            count=len(chosen),
            deliveries=[d.pk for d in chosen],
            emails=[d.email for d in chosen],
        )
        open_deliveries_set(mailing.pk)
        if decision == RESEND and mailing.status == Mailing.Status.SENDING:
            queue_batches(mailing.pk, sorted({d.batch for d in chosen}))
    if decision == MARK_SENT:
        mailing_finish_if_complete(mailing_id=mailing.pk)
    return len(chosen)
