"""Voucher expiry: set-based, idempotent, booked in the ledger; the beat task and its schedule."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import LedgerEntry
from campaigns.compensation.release import expire_reference, vouchers_expire_due
from campaigns.models import AuditEntry, Voucher
from tests.factories import AffectedCustomerFactory, IncidentFactory

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def vouchers(db):
    incident = IncidentFactory()

    def make(amount, expires_on, currency="CHF", **traits):
        return AffectedCustomerFactory(
            incident=incident, currency=currency, accounts=0, amount=Decimal(amount), expires_on=expires_on,
            with_voucher=True, booked=True, **traits,
        ).voucher  # fmt: skip

    return {
        "past": make("10.00", dt.date(2026, 3, 9)),
        "long_past": make("7.50", dt.date(2025, 1, 1), currency="EUR"),
        "today": make("20.00", TODAY),  # still valid today
        "future": make("30.00", dt.date(2027, 1, 1)),
        "redeemed": _backdated(make("40.00", dt.date(2030, 1, 1), redeemed=True), dt.date(2026, 1, 1)),
    }


def _backdated(voucher, expires_on):
    """Redeemed while valid; its date has passed since."""
    Voucher.objects.filter(pk=voucher.pk).update(expires_on=expires_on)
    return voucher


def test_expires_vouchers_past_their_date_and_books_the_release(vouchers):
    result = vouchers_expire_due(today=TODAY)

    assert result.vouchers == 2
    assert dict(result.amounts) == {"CHF": Decimal("10.00"), "EUR": Decimal("7.50")}
    statuses = {name: Voucher.objects.get(pk=v.pk).status for name, v in vouchers.items()}
    assert statuses == {"past": "expired", "long_past": "expired", "today": "issued", "future": "issued",
                        "redeemed": "redeemed"}  # fmt: skip
    expire_entries = LedgerEntry.objects.filter(kind="expire").order_by("amount")
    assert [(e.book, e.amount, e.currency, e.reference) for e in expire_entries] == [
        ("voucher", Decimal("-10.00"), "CHF", expire_reference(vouchers["past"].pk)),
        ("voucher", Decimal("-7.50"), "EUR", expire_reference(vouchers["long_past"].pk)),
    ]
    assert Voucher.objects.get(pk=vouchers["past"].pk).closed_at is not None
    audit = AuditEntry.objects.get(action="voucher.expire_run")
    assert (audit.actor_label, audit.data["vouchers"], audit.data["amounts"]) == (
        "system",
        2,
        {"CHF": "10.00", "EUR": "7.50"},
    )


def test_running_twice_books_nothing_twice(vouchers):
    vouchers_expire_due(today=TODAY)
    entries, audits = LedgerEntry.objects.count(), AuditEntry.objects.count()

    assert vouchers_expire_due(today=TODAY).vouchers == 0
    assert (LedgerEntry.objects.count(), AuditEntry.objects.count()) == (entries, audits)


def test_an_expiry_booked_before_is_not_booked_again(vouchers):
    # given a crash left the ledger entry but not the status (not possible in one transaction, but
    # the reference must hold on its own)
    past = vouchers["past"]
    LedgerEntry.objects.create(customer=past.customer, book="voucher", kind="expire", amount=-past.amount,
                               currency="CHF", reference=expire_reference(past.pk))  # fmt: skip

    vouchers_expire_due(today=TODAY)

    assert LedgerEntry.objects.filter(reference=expire_reference(past.pk)).count() == 1
    assert Voucher.objects.get(pk=past.pk).status == "expired"


def test_expiry_works_in_chunks(vouchers):
    assert vouchers_expire_due(today=dt.date(2028, 1, 1), chunk_size=1).vouchers == 4
    assert LedgerEntry.objects.filter(kind="expire").count() == 4


def test_the_beat_task_expires_and_is_scheduled(vouchers):
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    from campaigns.finance.tasks import expire_vouchers
    from hostnotify.celery import app

    assert expire_vouchers.delay().get()["vouchers"] >= 2  # today's date is long after 2026-03-09
    entry = app.conf.beat_schedule["expire-vouchers"]
    assert entry["task"] == expire_vouchers.name
    # what the DatabaseScheduler does with each entry when `celery beat` starts
    ModelEntry.from_entry("expire-vouchers", app=app, **entry)
    assert PeriodicTask.objects.get(name="expire-vouchers").task == "campaigns.finance.tasks.expire_vouchers"
