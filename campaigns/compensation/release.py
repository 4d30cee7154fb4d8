"""Releasing voucher liability: expiry of vouchers past their date, and voiding one voucher.

Both book the release in the voucher book of the ledger with the reference
``voucher:{id}:expire`` / ``voucher:{id}:void``, so running them twice books nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import LedgerEntry
from accounts.portal_version import portal_changed
from accounts.services.ledger import ledger_book
from campaigns.audit.services import audit_record
from campaigns.compensation.models import Voucher

EXPIRY_CHUNK = 5_000


class VoucherNotVoidable(Exception):
    """Only an issued voucher can be voided; redeemed, expired or void ones stay as they are."""


class VoidReasonMissing(Exception):
    """Voiding a voucher takes money back from a customer: the ledger and the audit log say why."""


def expire_reference(voucher_id: int) -> str:
    return f"voucher:{voucher_id}:expire"


def void_reference(voucher_id: int) -> str:
    return f"voucher:{voucher_id}:void"


@dataclass
class ExpiryResult:
    vouchers: int = 0
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def vouchers_expire_due(*, today: dt.date | None = None, by=None, chunk_size: int = EXPIRY_CHUNK) -> ExpiryResult:
    """Expire every issued voucher whose ``expires_on`` lies before ``today`` (local date) and book
    the released amount. Set-based: per chunk one locking SELECT, one INSERT and one UPDATE.

    A voucher being redeemed right now holds its row lock; the expiry skips it (SKIP LOCKED) and
    the next run picks it up if the redemption failed.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    result = ExpiryResult()
    while True:
        with transaction.atomic():
            due = list(
                Voucher.objects.select_for_update(skip_locked=True)
                .filter(status=Voucher.Status.ISSUED, expires_on__lt=today)
                .order_by("id")
                .values_list("id", "customer_id", "amount", "currency")[:chunk_size]
            )
            if not due:
                break
            portal_changed(customer_ids=[row[1] for row in due])
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        customer_id=customer_id,
                        book=LedgerEntry.Book.VOUCHER,
                        kind=LedgerEntry.Kind.EXPIRE,
                        amount=-amount,
                        currency=currency,
                        reference=expire_reference(voucher_id),
                        memo="expired",
                    )
                    for voucher_id, customer_id, amount, currency in due
                ],
                ignore_conflicts=True,  # booked before: the reference is the idempotency key
            )
            Voucher.objects.filter(id__in=[row[0] for row in due], status=Voucher.Status.ISSUED).update(
                status=Voucher.Status.EXPIRED, closed_at=now
            )
        result.vouchers += len(due)
        for _, _, amount, currency in due:
            result.amounts[currency] += amount
        if len(due) < chunk_size:
            break
    if result.vouchers:
        audit_record(
            actor=by,
            action="voucher.expire_run",
            actor_label="system",
            today=today.isoformat(),
            vouchers=result.vouchers,
            amounts={currency: str(amount) for currency, amount in sorted(result.amounts.items())},
        )
    return result


def voucher_void(*, voucher: Voucher, by, reason: str) -> Voucher:
    """Void one issued voucher (e.g. sent to the wrong customer) and release its amount; the
    reason is required, it goes to the ledger and the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise VoidReasonMissing("a void needs a reason")
    with transaction.atomic():
        voucher = Voucher.objects.select_for_update().select_related("compensation").get(pk=voucher.pk)
        if voucher.status != Voucher.Status.ISSUED:
            raise VoucherNotVoidable(voucher.get_status_display())
        ledger_book(
            customer=voucher.customer,
            book=LedgerEntry.Book.VOUCHER,
            kind=LedgerEntry.Kind.VOID,
            amount=-voucher.amount,
            currency=voucher.currency,
            reference=void_reference(voucher.pk),
            memo=reason,
        )
        voucher.status = Voucher.Status.VOID
        voucher.closed_at = timezone.now()
        voucher.save(update_fields=["status", "closed_at"])
        portal_changed(customer_ids=[voucher.customer_id])
        audit_record(
            actor=by,
            action="voucher.void",
            incident=voucher.compensation.incident,
            obj=voucher,
            amount=str(voucher.amount),
            currency=voucher.currency,
            reason=reason,
        )
    return voucher
