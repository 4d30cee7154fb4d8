"""Expiry racing a void of the same voucher on real PostgreSQL: the expiry skips the locked row,
the void wins, and the voucher's amount is released exactly once."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from accounts.models import LedgerEntry
from campaigns.compensation.release import void_reference, voucher_void, vouchers_expire_due
from campaigns.models import Voucher
from tests.factories import AffectedCustomerFactory

TODAY = dt.date(2026, 3, 10)


@pytest.mark.postgres
def test_expiry_skips_a_voucher_being_voided(transactional_db):
    voucher = AffectedCustomerFactory(
        accounts=0, amount=Decimal("15.00"), expires_on=dt.date(2026, 3, 1), with_voucher=True, booked=True
    ).voucher
    locked, expiry_done = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def void_slowly():
        try:
            with transaction.atomic():
                Voucher.objects.select_for_update().get(pk=voucher.pk)  # what voucher_void holds
                locked.set()
                expiry_done.wait(timeout=30)
                voucher_void(voucher=voucher, by=None, reason="sent to the wrong customer")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=void_slowly)
    thread.start()
    assert locked.wait(timeout=30)

    skipped = vouchers_expire_due(today=TODAY)  # does not wait for the lock
    expiry_done.set()
    thread.join(timeout=60)

    assert errors == []
    assert skipped.vouchers == 0
    assert vouchers_expire_due(today=TODAY).vouchers == 0  # void now: nothing left to expire
    assert Voucher.objects.get(pk=voucher.pk).status == "void"
    releases = LedgerEntry.objects.filter(kind__in=["expire", "void"]).values_list("reference", "amount")
    assert list(releases) == [(void_reference(voucher.pk), Decimal("-15.00"))]
