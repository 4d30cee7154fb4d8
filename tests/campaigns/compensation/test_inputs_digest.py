"""The compensation's digest covers the exposure's intervals: a window that moved but kept its
length re-explains the compensation; migration 0013 rewrote the digests stored before."""

import hashlib
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.models import Compensation, CompensationTopUp, Exposure
from tests.factories import CustomerFactory, ExposureFactory, HostingAccountFactory, IncidentFactory

H = 3600
MOVED = [["2006-01-01T02:00:00+00:00", "2006-01-01T05:00:00+00:00", "server19"]]  # same 3 h, two hours later

migration = importlib.import_module("campaigns.migrations.0013_compensation_digest_with_intervals")


def expose(incident, *, hours=3, fee="100.00"):
    account = HostingAccountFactory(customer=CustomerFactory(), monthly_fee=Decimal(fee))
    return ExposureFactory(incident=incident, account=account, affected_seconds=int(hours * H))


def former_digest(compensation: Compensation) -> str:
    """The digest as it was computed before intervals were part of it (the code of 0f55034)."""
    accounts = [
        (name, str(fee), seconds, ", ".join(servers), 744)  # January: 31 × 24 hours
        for name, fee, seconds, servers in Exposure.objects.filter(
            incident=compensation.incident, customer=compensation.customer
        )
        .order_by("account_id")
        .values_list("account__name", "account__monthly_fee", "affected_seconds", "servers")
    ]
    key = repr((compensation.policy_id, compensation.currency, accounts))
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture
def incident(db):
    return IncidentFactory()


def test_a_window_moved_with_its_length_kept_recomputes_the_draft(incident):
    moved, kept = expose(incident), expose(incident)
    compensation_prepare(incident=incident)
    before = dict(Compensation.objects.values_list("customer_id", "computed_at"))
    Exposure.objects.filter(pk=moved.pk).update(intervals=MOVED)

    result = compensation_prepare(incident=incident)

    assert (result.recomputed, result.unchanged) == (1, 1)
    after = dict(Compensation.objects.values_list("customer_id", "computed_at"))
    assert after[moved.customer_id] > before[moved.customer_id]
    assert after[kept.customer_id] == before[kept.customer_id]


def test_an_approved_amount_moved_in_time_is_re_explained_not_topped_up(incident, finance_user):
    moved = expose(incident)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    approved = Compensation.objects.get()
    Exposure.objects.filter(pk=moved.pk).update(intervals=MOVED)

    result = compensation_prepare(incident=incident)

    assert (result.topups, result.kept_higher) == (0, 1)
    compensation = Compensation.objects.get()
    assert (compensation.amount, compensation.status) == (approved.amount, Compensation.Status.APPROVED)
    assert compensation.computed_at > approved.computed_at
    assert compensation.inputs_digest != approved.inputs_digest
    assert not CompensationTopUp.objects.exists()


def test_migration_rewrites_the_digests_that_still_describe_the_exposure(incident, finance_user):
    current, stale, topped = expose(incident), expose(incident), expose(incident, hours=10)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)
    Exposure.objects.filter(pk=topped.pk).update(affected_seconds=30 * H)
    compensation_prepare(incident=incident)  # a pending top-up for `topped`
    new = dict(Compensation.objects.values_list("customer_id", "inputs_digest"))
    pending_new = CompensationTopUp.objects.get().raised["inputs_digest"]
    # as a database migrated before 0013 holds them: the former formula everywhere
    for compensation in Compensation.objects.select_related("incident", "customer"):
        Compensation.objects.filter(pk=compensation.pk).update(inputs_digest=former_digest(compensation))
    topped_compensation = Compensation.objects.get(customer_id=topped.customer_id)
    topup = CompensationTopUp.objects.get()
    topup.raised = {**topup.raised, "inputs_digest": former_digest(topped_compensation)}  # what it raises to: 30 h
    topup.save()
    Exposure.objects.filter(pk=topped.pk).update(affected_seconds=10 * H)
    approved_at_10h = former_digest(topped_compensation)  # what was approved: 10 h
    Exposure.objects.filter(pk=topped.pk).update(affected_seconds=30 * H)
    Compensation.objects.filter(pk=topped_compensation.pk).update(inputs_digest=approved_at_10h)
    Compensation.objects.filter(customer_id=stale.customer_id).update(inputs_digest="f" * 64)  # exposure changed since

    migration.rewrite_digests(apps, None)

    digests = dict(Compensation.objects.values_list("customer_id", "inputs_digest"))
    assert digests[current.customer_id] == new[current.customer_id]
    assert digests[stale.customer_id] == "f" * 64
    assert digests[topped.customer_id] == approved_at_10h  # it describes the approval, not today's exposure
    assert CompensationTopUp.objects.get().raised["inputs_digest"] == pending_new
    # and the next run sees nothing changed but the stale one; the pending top-up waits as it was
    result = compensation_prepare(incident=incident)
    assert (result.unchanged, result.kept_higher, result.topups) == (2, 1, 0)
    assert CompensationTopUp.objects.get().pk == topup.pk
