"""Builders for the letter and mailing console tests: an affected customer with exposure,
compensation and voucher (kept here rather than in tests/factories.py while the compensation
branch adds its own factories there)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Contact
from campaigns.models import Compensation, CompensationPolicy, Delivery, Exposure, Mailing, Voucher
from tests.factories import CustomerFactory, HostingAccountFactory, IncidentFactory


def policy():
    return CompensationPolicy.objects.get_or_create(
        name="default",
        version=1,
        defaults={"kind": "tiers", "params": {"tiers": [[1, 10], [8, 25], [24, 50], [72, 100]]}},
    )[0]


def affected_customer(
    incident=None,
    *,
    number=None,
    language="de",
    time_zone="Europe/Zurich",
    accounts=((None, [["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server19"]]),),
    amount=Decimal("10.00"),
    code="ABCD2345EFGH6789",
    currency="CHF",
    name="Muster AG",
):
    """A customer with one exposure per ``accounts`` entry (name None: a generated one), a compensation of ``amount`` and, above
    zero, an issued voucher with ``code``."""
    incident = incident or IncidentFactory(title="Speicherausfall Weihnachten 2005")
    extra = {"number": number} if number else {}
    customer = CustomerFactory(language=language, time_zone=time_zone, currency=currency, name=name, **extra)
    for account_name, intervals in accounts:
        named = {"name": account_name} if account_name else {}
        account = HostingAccountFactory(customer=customer, **named)
        seconds = sum(
            int((dt.datetime.fromisoformat(e) - dt.datetime.fromisoformat(s)).total_seconds()) for s, e, _ in intervals
        )
        Exposure.objects.create(
            incident=incident,
            account=account,
            customer=customer,
            affected_seconds=seconds,
            intervals=intervals,
            servers=list(dict.fromkeys(i[2] for i in intervals)),
            computed_at=timezone.now(),
        )
    if amount is not None:
        compensation = Compensation.objects.create(
            incident=incident,
            customer=customer,
            policy=policy(),
            amount=amount,
            currency=currency,
            affected_seconds=0,
            explanation={"accounts": [{"account": a, "percent": "50"} for a, _ in accounts if a]},
            computed_at=timezone.now(),
        )
        if amount > 0 and code:
            Voucher.objects.create(
                compensation=compensation,
                customer=customer,
                code=code,
                amount=amount,
                currency=currency,
                expires_on=dt.date(2006, 12, 31),
                issued_at=timezone.now(),
            )
    return customer


def mailing_for(incident, **fields):
    return Mailing.objects.create(incident=incident, name=fields.pop("name", "Apology"), **fields)


def deliveries_for(mailing, customers):
    contacts = Contact.objects.filter(customer__in=customers).select_related("customer")
    return Delivery.objects.bulk_create(
        Delivery(
            mailing=mailing,
            contact=contact,
            customer=contact.customer,
            email=contact.email,
            language=contact.effective_language,
        )
        for contact in contacts
    )
