"""Answers to Idempotency-Keys are kept API_IDEMPOTENCY_DAYS for retries, then purged by the
periodic work (beat, or run_periodic from cron); a retry after that is refused, never redeemed twice."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns.api.models import IdempotentRequest
from campaigns.mailings.models import PeriodicRun
from tests.factories import VoucherFactory

CODE = "ABCD2345EFGH6789"


def _redeem(api, key):
    return api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"}, headers={"Idempotency-Key": key})


def test_answers_older_than_the_retention_are_purged_by_the_periodic_work(api, settings):
    # given two answers, one 8 days old and one an hour old, and a retention of 7 days
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "API_IDEMPOTENCY_DAYS": 7}
    voucher = VoucherFactory(code=CODE)
    assert _redeem(api, "old").status_code == 200
    assert _redeem(api, "recent").status_code == 409
    now = timezone.now()
    IdempotentRequest.objects.filter(key="old").update(created_at=now - dt.timedelta(days=8))
    IdempotentRequest.objects.filter(key="recent").update(created_at=now - dt.timedelta(hours=1))

    # when the periodic work runs
    call_command("run_periodic")

    # then the old answer is gone, the recent one is kept and still answered to its retry
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    assert PeriodicRun.objects.get(name="purge-idempotency-answers").last_result == {"forgotten": 1}
    assert _redeem(api, "recent").status_code == 409
    # and a retry of the purged key is a new request: a conflict, not a second redemption
    retry = _redeem(api, "old")
    assert retry.status_code == 409
    assert retry.json()["detail"] == "This voucher has already been redeemed."
    assert LedgerEntry.objects.filter(customer=voucher.customer, book="balance").count() == 1


def test_the_purge_is_an_hourly_beat_job():
    from hostnotify.celery import app

    entry = app.conf.beat_schedule["purge-idempotency-answers"]
    assert entry["task"] == "campaigns.api.tasks.purge_idempotency_answers"
    assert entry["task"] in app.tasks
    assert entry["schedule"].remaining_estimate(timezone.now() - dt.timedelta(hours=1)).total_seconds() <= 0
