"""A customer with vouchers and accounts, and an incident offering all four forms: shared by the
tests of the forms of compensation."""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.services.ledger import ledger_book
from campaigns.models import OfferSettings
from campaigns.offers.pools import pool_upload
from tests.factories import (
    CompensationFactory,
    CustomerFactory,
    HostingAccountFactory,
    IncidentFactory,
    PlacementFactory,
    VoucherFactory,
)

PARTNER = "Digitec"
ORGANISATION = "Glückskette"
ALL_FORMS = ["balance", "extension", "partner", "donation"]


def offer(incident, *, forms=None, partners=(PARTNER,), organisation=ORGANISATION) -> OfferSettings:
    """The forms in force (the latest approved), as if proposed and approved by two finance users."""
    proposer = get_user_model().objects.get_or_create(username="offers-proposer", defaults={"is_staff": True})[0]
    return OfferSettings.objects.create(
        incident=incident, forms=forms or ALL_FORMS, partners=list(partners), organisation=organisation,
        status="approved", proposed_by=proposer, decided_at=timezone.now(),
    )  # fmt: skip


def codes_csv(rows) -> io.BytesIO:
    text = "code,face_value,currency\n" + "".join(f"{code},{value},{currency}\n" for code, value, currency in rows)
    return io.BytesIO(text.encode())


def upload(partner=PARTNER, *, value="50.00", currency="CHF", count=3, prefix="DG50", threshold=0, by=None):
    rows = [(f"{prefix}-{n:04d}", value, currency) for n in range(count)]
    return pool_upload(partner=partner, source=codes_csv(rows), low_threshold=threshold, by=by)


@dataclass
class World:
    customer: object
    incident: object
    vouchers: list
    account: object  # Webhosting Pro 24.90, paid until 31.12.2026


def world(*, amount="77.00", vouchers=1, language="de", number=None, email=None) -> World:
    """Customer (in ``language``) with ``vouchers`` issued vouchers of ``amount`` CHF in an incident
    offering all four forms, an active account ``web-pro`` (24.90 a month, paid until 31.12.2026),
    one too expensive to extend by a month (``web-big``), one cancelled (``web-old``)."""
    customer = CustomerFactory(
        language=language, **({"number": number} if number else {}), **({"email": email} if email else {})
    )
    incident = IncidentFactory()
    offer(incident)
    account = HostingAccountFactory(
        name=f"web-pro-{customer.pk}", customer=customer, product="Webhosting Pro",
        monthly_fee=Decimal("24.90"), paid_until=dt.date(2026, 12, 31),
    )  # fmt: skip
    PlacementFactory(account=account)
    PlacementFactory(account__customer=customer, account__name=f"web-big-{customer.pk}",
                     account__monthly_fee=Decimal("500.00"))  # fmt: skip
    PlacementFactory(account__customer=customer, account__name=f"web-old-{customer.pk}",
                     active_until=dt.datetime(2006, 6, 30, tzinfo=dt.UTC))  # fmt: skip
    found = [
        VoucherFactory(
            compensation=CompensationFactory(
                incident=incident if n == 0 else IncidentFactory(), customer=customer, amount=Decimal(amount)
            ),
        )  # fmt: skip
        for n in range(vouchers)
    ]
    for voucher in found[1:]:
        offer(voucher.compensation.incident)
    for voucher in found:  # issued as the compensation service issues them
        ledger_book(customer=customer, book="voucher", kind="issue", amount=voucher.amount, currency="CHF",
                    reference=f"voucher:{voucher.pk}:issue")  # fmt: skip
    return World(customer, incident, found, account)
