"""Issuing vouchers in bulk: unique codes, one ledger entry each, PDFs rendered after commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.bulk import bulk_insert, existing_values
from accounts.models import LedgerEntry
from campaigns.compensation.codes import generate_codes
from campaigns.compensation.models import Voucher

CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class VoucherRequest:
    compensation_id: int
    customer_id: int
    amount: Decimal
    currency: str


def _fresh_codes(count: int) -> list[str]:
    """``count`` codes none of which is stored yet (a clash among 80-bit codes is only theoretical)."""
    codes = generate_codes(count)
    for _ in range(CODE_ATTEMPTS):
        taken = existing_values(Voucher, "code", codes)
        if not taken:
            return codes
        keep = [code for code in codes if code not in taken]
        codes = keep + generate_codes(len(codes) - len(keep), exclude=taken | set(keep))
    raise RuntimeError("could not find unused voucher codes")


def vouchers_issue(
    *, requests: list[VoucherRequest], is_topup: bool = False, now: dt.datetime | None = None
) -> list[int]:
    """One voucher per request and its ledger entry (book "voucher", kind issue or topup).

    Runs inside the caller's transaction; the PDFs are queued once it commits. Returns the new
    voucher ids. A unique-code collision with a concurrent issuer retries with fresh codes.
    """
    if not requests:
        return []
    now = now or timezone.now()
    expires_on = timezone.localdate(now) + dt.timedelta(days=settings.HOSTNOTIFY["VOUCHER_VALID_DAYS"])
    for attempt in range(CODE_ATTEMPTS):
        codes = _fresh_codes(len(requests))
        rows = [
            {
                "compensation_id": request.compensation_id,
                "customer_id": request.customer_id,
                "code": code,
                "is_topup": is_topup,
                "amount": request.amount,
                "currency": request.currency,
                "status": Voucher.Status.ISSUED,
                "expires_on": expires_on,
                "issued_at": now,
                "redeemed_form": "",
                "pdf": "",
            }
            for request, code in zip(requests, codes, strict=True)
        ]
        try:
            with transaction.atomic():
                ids = [row[0] for row in bulk_insert(Voucher, rows, returning=["id"])]
            break
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
    kind = LedgerEntry.Kind.TOPUP if is_topup else LedgerEntry.Kind.ISSUE
    bulk_insert(
        LedgerEntry,
        [
            {
                "customer_id": request.customer_id,
                "book": LedgerEntry.Book.VOUCHER,
                "kind": kind,
                "amount": request.amount,
                "currency": request.currency,
                "reference": f"voucher:{voucher_id}:{kind}",
                "memo": f"voucher {voucher_id}",
                "created_at": now,
            }
            for request, voucher_id in zip(requests, ids, strict=True)
        ],
    )
    transaction.on_commit(lambda: _queue_pdfs(ids))
    return ids


def _queue_pdfs(ids: list[int]) -> None:
    if not settings.HOSTNOTIFY.get("VOUCHER_PDF_PRERENDER", True):
        return  # rendered on first use (campaigns.compensation.voucher_pdf.voucher_pdf_bytes)
    from campaigns.compensation.voucher_render import voucher_pdfs_queue

    voucher_pdfs_queue(ids)
