"""Voucher expiry reminders: a configurable number of days before a voucher expires, its customer
gets one reminder through the mailing pipeline — once per voucher, however often this runs.

``voucher_reminders_send`` selects the due vouchers set-based, records a ``VoucherReminder`` per
voucher (unique: the once-per-voucher bookkeeping) and hands each incident's customers to the
mailing pipeline in ``reminder_mailing_handoff``: one reminder Mailing per incident, approved and
launched by the system like the command line's default apology.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import Contact
from campaigns.audit.services import audit_record
from campaigns.compensation.models import Voucher
from campaigns.finance.models import VoucherReminder
from campaigns.incidents.models import Incident
from campaigns.mailings.defaults import mailing_defaults
from campaigns.mailings.letters import default_content
from campaigns.mailings.models import Mailing


@dataclass
class ReminderResult:
    vouchers: int = 0
    mailings: list[int] = field(default_factory=list)  # launched
    held: list[int] = field(default_factory=list)  # left as drafts: the audience was wider than the due customers


def reminder_content() -> dict:
    """The reminder letter in de, fr, it and en (``templates/emails/<language>/reminder*``)."""
    return default_content("reminder")


def vouchers_due_for_reminder(*, today: dt.date, days: int) -> QuerySet[Voucher]:
    """Issued vouchers expiring within ``days`` days after ``today`` that had no reminder yet."""
    return Voucher.objects.filter(
        status=Voucher.Status.ISSUED, expires_on__gt=today, expires_on__lte=today + dt.timedelta(days=days)
    ).exclude(Exists(VoucherReminder.objects.filter(voucher_id=OuterRef("pk"))))


def voucher_reminders_send(*, today: dt.date | None = None, days: int | None = None) -> ReminderResult:
    """Remind every customer whose voucher expires soon; ``days`` 0 (the setting) turns it off."""
    today = today or timezone.localdate()
    days = settings.HOSTNOTIFY.get("VOUCHER_REMINDER_DAYS", 0) if days is None else days
    result = ReminderResult()
    if days <= 0:
        return result
    with transaction.atomic():
        due = list(
            vouchers_due_for_reminder(today=today, days=days)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", "customer_id", "expires_on", "compensation__incident_id")
        )
        if not due:
            return result
        customers_by_incident: dict[int, set[int]] = defaultdict(set)
        for _, customer_id, _, incident_id in due:
            customers_by_incident[incident_id].add(customer_id)
        mailing_of_incident = {}
        for incident_id, customer_ids in sorted(customers_by_incident.items()):  # one per incident, not per customer
            mailing, launched = reminder_mailing_handoff(incident_id=incident_id, customer_ids=sorted(customer_ids))
            mailing_of_incident[incident_id] = mailing.pk
            (result.mailings if launched else result.held).append(mailing.pk)
        VoucherReminder.objects.bulk_create(
            [
                VoucherReminder(voucher_id=voucher_id, mailing_id=mailing_of_incident[incident_id], expires_on=expires)
                for voucher_id, _, expires, incident_id in due
            ],
            ignore_conflicts=True,
        )
        result.vouchers = len(due)
        audit_record(
            actor=None,
            action="voucher.reminders",
            actor_label="system",
            today=today.isoformat(),
            days=days,
            vouchers=result.vouchers,
            mailings=result.mailings,
            held=result.held,
        )
    return result


def reminder_mailing_handoff(*, incident_id: int, customer_ids: list[int]) -> tuple[Mailing, bool]:
    """Hand the customers to the mailing pipeline: a reminder Mailing limited to them by
    ``audience["customer_ids"]``, approved and launched by the system. Returns (mailing, launched).

    Safety: if the pipeline's audience turns out wider than these customers (an ``audience_contacts``
    that ignores ``customer_ids``), the mailing stays a draft for support to look at instead of
    reminding every affected customer.
    """
    from campaigns.mailings.services import audience_contacts, mailing_approve, mailing_launch

    incident = Incident.objects.get(pk=incident_id)
    mailing = Mailing.objects.create(
        incident=incident,
        name="",  # named in the reader's language: Mailing.display_name
        kind=Mailing.Kind.REMINDER,
        audience={"customer_ids": customer_ids},
        contact_roles=[Contact.Role.PRIMARY],
        content=reminder_content(),
        attach_voucher=False,
        from_email=settings.DEFAULT_FROM_EMAIL,
        **mailing_defaults(),
    )
    if audience_contacts(mailing).exclude(customer_id__in=customer_ids).exists():
        audit_record(actor=None, action="voucher.reminders_held", actor_label="system", incident=incident, obj=mailing)
        return mailing, False
    mailing_approve(mailing=mailing, by=None)
    mailing_launch(mailing=mailing, by=None)
    return mailing, True
