"""50 concurrent redemptions of one voucher on real PostgreSQL: exactly one ledger credit."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import LedgerEntry
from campaigns.models import AuditEntry, Voucher
from campaigns.portal.redemption import VoucherAlreadyRedeemed, voucher_redeem
from tests.factories import VoucherFactory

THREADS = 50


@pytest.mark.postgres
@pytest.mark.slow
def test_fifty_concurrent_redemptions_credit_once(transactional_db):
    voucher = VoucherFactory(amount=Decimal("25.00"))
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem():
        try:
            barrier.wait(timeout=30)
            voucher_redeem(customer=voucher.customer, code=voucher.code, form="balance")
            outcome = "redeemed"
        except VoucherAlreadyRedeemed:
            outcome = "already redeemed"
        except Exception as exc:  # any other outcome is the bug this test looks for
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=redeem) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["already redeemed"] * (THREADS - 1) + ["redeemed"]
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
    entries = LedgerEntry.objects.filter(customer=voucher.customer).order_by("amount")
    assert list(entries.values_list("book", "amount")) == [
        ("voucher", Decimal("-25.00")),
        ("balance", Decimal("25.00")),
    ]
    assert AuditEntry.objects.filter(action="voucher.redeem").count() == 1
