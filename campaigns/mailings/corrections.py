"""Correction letters: when an incident's exposure or amounts changed after letters went out,
a correction goes to exactly the customers whose figures changed since their last letter.

A customer's figures changed when their compensation was recomputed (``computed_at``) after their
last sent letter about the incident: ``compensation_prepare`` rewrites a compensation whenever the
inputs it depends on (each account's windows, downtime and servers, fee, currency, policy) change,
including when the amount stays the same or the customer is no longer affected at all (an approved
amount is kept), and only then.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Subquery

from accounts.models import Contact, Customer
from campaigns.audit.services import audit_record
from campaigns.compensation.models import Compensation
from campaigns.incidents.models import Exposure, Incident
from campaigns.mailings import letters
from campaigns.mailings.defaults import mailing_defaults
from campaigns.mailings.models import Delivery, Mailing

LETTER_KINDS = (Mailing.Kind.APOLOGY, Mailing.Kind.CORRECTION)


class NothingToCorrect(Exception):
    """No customer's figures changed since their last letter."""


def _letters(incident: Incident, customer_ref: str):
    return Delivery.objects.filter(
        mailing__incident=incident,
        mailing__kind__in=LETTER_KINDS,
        status=Delivery.Status.SENT,
        customer_id=OuterRef(customer_ref),
    ).order_by("-sent_at")


def correction_customer_ids(*, incident: Incident) -> list[int]:
    """Customers of ``incident`` who were sent a letter and whose compensation was recomputed after
    the last one; and those who were sent a letter while a draft compensation stood and whom the
    corrected windows no longer affect (their draft is gone), unless a correction told them so
    already. Two queries."""
    recomputed = (
        Compensation.objects.filter(incident=incident)
        .annotate(last_letter=Subquery(_letters(incident, "customer_id").values("sent_at")[:1]))
        .filter(last_letter__isnull=False, computed_at__gt=F("last_letter"))
        .values_list("customer_id", flat=True)
    )
    written_to = Delivery.objects.filter(
        mailing__incident=incident, mailing__kind__in=LETTER_KINDS, status=Delivery.Status.SENT
    ).values("customer_id")
    gone = (
        Customer.objects.filter(pk__in=written_to)
        .annotate(last_kind=Subquery(_letters(incident, "pk").values("mailing__kind")[:1]))
        .filter(last_kind__in=[Mailing.Kind.APOLOGY])
        .exclude(Exists(Exposure.objects.filter(incident=incident, customer_id=OuterRef("pk"))))
        .exclude(Exists(Compensation.objects.filter(incident=incident, customer_id=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    return sorted({*recomputed, *gone})


def mailing_create_correction(*, incident: Incident, by=None) -> Mailing:
    """A draft correction to the primary contacts of the customers whose figures changed since
    their last letter, with the default correction letters (de/fr/it/en) and each one's PDF."""
    customer_ids = correction_customer_ids(incident=incident)
    if not customer_ids:
        raise NothingToCorrect(f"no customer's figures changed since their last letter about {incident.slug}")
    mailing = Mailing.objects.create(
        incident=incident,
        name="",  # named in the reader's language: Mailing.display_name
        kind=Mailing.Kind.CORRECTION,
        audience={"customer_ids": customer_ids},
        contact_roles=[Contact.Role.PRIMARY],
        content=letters.default_content("correction"),
        attach_voucher=True,
        from_email=settings.DEFAULT_FROM_EMAIL,
        **mailing_defaults(),
        created_by=by,
    )
    audit_record(actor=by, action="mailing.create", incident=incident, obj=mailing, customers=len(customer_ids))
    return mailing
