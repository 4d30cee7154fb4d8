"""Money set-ups for the finance tests: compensations, vouchers and their ledger entries, booked
the way the compensation service books them (issue) and through the portal's service (redeem)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.services.ledger import ledger_book
from campaigns.compensation.codes import generate_code
from campaigns.models import Compensation, CompensationPolicy, Voucher


def policy() -> CompensationPolicy:
    return CompensationPolicy.objects.get_or_create(name="default", version=1, defaults={"kind": "tiers"})[0]


def issue_voucher(
    *, incident, customer, amount, currency=None, tier="10%", expires_on=dt.date(2030, 1, 1), status="approved"
) -> Voucher:
    now = timezone.now()
    compensation = Compensation.objects.create(
        incident=incident,
        customer=customer,
        policy=policy(),
        amount=Decimal(amount),
        currency=currency or customer.currency,
        affected_seconds=3600,
        tier=tier,
        status=status,
        computed_at=now,
        approved_at=now,
    )
    voucher = Voucher.objects.create(
        compensation=compensation,
        customer=customer,
        code=generate_code(),
        amount=compensation.amount,
        currency=compensation.currency,
        expires_on=expires_on,
        issued_at=now,
    )
    ledger_book(
        customer=customer,
        book=LedgerEntry.Book.VOUCHER,
        kind=LedgerEntry.Kind.ISSUE,
        amount=voucher.amount,
        currency=voucher.currency,
        reference=f"voucher:{voucher.pk}:issue",
    )
    return voucher


def redeem_voucher(voucher: Voucher, form: str = "balance") -> Voucher:
    """Redeem through the portal's service (campaigns.portal.redemption), offering ``form`` first."""
    from campaigns.portal.redemption import voucher_redeem

    incident = voucher.compensation.incident
    if form not in (incident.redemption_options or []):
        incident.redemption_options = [*(incident.redemption_options or []), form]
        incident.save(update_fields=["redemption_options"])
    return voucher_redeem(customer=voucher.customer, code=voucher.code, form=form)
