"""Exactly once on real PostgreSQL, as shipped: 50 concurrent redemptions of one voucher choosing
different forms give one outcome; customers racing for the last partner codes never get the same
code, and no code is lost."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import HostingAccount, LedgerEntry
from campaigns.models import AuditEntry, PartnerCode, PartnerPool, Redemption, Voucher
from campaigns.portal.redemption import RedemptionChoiceGone, VoucherAlreadyRedeemed, voucher_redeem
from tests.campaigns.offers.world import upload, world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _race(calls) -> list[str]:
    """Run every ``(customer, code, form)`` at once in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(customer, code, form):
        try:
            barrier.wait(timeout=60)
            voucher_redeem(customer=customer, code=code, form=form)
            outcome = f"redeemed as {form.partition(':')[0]}"
        except VoucherAlreadyRedeemed:
            outcome = "already redeemed"
        except RedemptionChoiceGone:
            outcome = "gone"
        except Exception as exc:  # any other outcome is the bug this test looks for
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes


def test_fifty_concurrent_redemptions_choosing_different_forms_give_one_outcome(transactional_db):
    w = world()
    upload(value="50.00", count=30)
    pool = PartnerPool.objects.get()
    voucher = w.vouchers[0]
    keys = ["balance", f"extension:{w.account.name}", f"partner:{pool.pk}", "donation"]

    outcomes = _race([(w.customer, voucher.code, keys[n % 4]) for n in range(50)])

    counted = Counter(outcomes)
    assert counted["already redeemed"] == 49, counted
    [won] = [o for o in counted if o.startswith("redeemed as")]
    form = won.removeprefix("redeemed as ")
    assert Voucher.objects.get(pk=voucher.pk).redeemed_form == form
    voucher_book = LedgerEntry.objects.filter(customer=w.customer, book="voucher", kind="redeem")
    assert list(voucher_book.values_list("amount", flat=True)) == [Decimal("-77.00")]
    assert LedgerEntry.objects.filter(customer=w.customer).exclude(book="voucher").count() == (
        2 if form in ("extension", "partner") else 1
    )
    assert Redemption.objects.count() == 1
    assert PartnerCode.objects.filter(handed_out_at__isnull=False).count() == (1 if form == "partner" else 0)
    paid_until = HostingAccount.objects.get(pk=w.account.pk).paid_until.isoformat()
    assert paid_until == ("2027-03-31" if form == "extension" else "2026-12-31")
    assert AuditEntry.objects.filter(action="voucher.redeem").count() == 1


def test_customers_racing_for_partner_codes_never_share_one_and_none_is_lost(transactional_db):
    # given 12 codes and 20 customers asking for one at the same moment
    upload(value="20.00", count=12, prefix="DG20")
    pool = PartnerPool.objects.get()
    customers = [world(amount="20.00") for _ in range(20)]

    outcomes = _race([(w.customer, w.vouchers[0].code, f"partner:{pool.pk}") for w in customers])

    assert Counter(outcomes) == {"redeemed as partner": 12, "gone": 8}
    handed = PartnerCode.objects.filter(handed_out_at__isnull=False)
    assert handed.count() == 12 and not PartnerCode.objects.filter(handed_out_at__isnull=True).exists()
    given = list(Redemption.objects.values_list("partner_code_id", flat=True))
    assert sorted(given) == sorted(handed.values_list("id", flat=True))  # each code once, each to someone
    assert Voucher.objects.filter(status="redeemed").count() == 12
    assert LedgerEntry.objects.filter(book="partner").count() == 12
