"""Preparing, approving and topping up compensation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns.compensation.policies import policy_default, policy_update
from campaigns.compensation.services import (
    ApprovalRefused,
    NothingToApprove,
    compensation_approve,
    compensation_can_approve,
    compensation_prepare,
    compensation_preview,
)
from campaigns.incidents.exposure import ExposureFrozen, exposure_recompute
from campaigns.models import AuditEntry, Compensation, Exposure, Voucher
from tests.factories import (
    CustomerFactory,
    ExposureFactory,
    HostingAccountFactory,
    IncidentFactory,
    OutageWindowFactory,
    PlacementFactory,
    ServerFactory,
    utc,
)

H = 3600


def expose(incident, *, hours, fee="100.00", currency="CHF", customer=None, language="de"):
    customer = customer or CustomerFactory(currency=currency, language=language)
    account = HostingAccountFactory(customer=customer, monthly_fee=Decimal(fee))
    return ExposureFactory(incident=incident, account=account, affected_seconds=int(hours * H))


def snapshot(incident):
    return list(
        Compensation.objects.filter(incident=incident)
        .order_by("customer_id")
        .values_list("id", "customer_id", "amount", "currency", "status", "inputs_digest", "computed_at", "policy_id")
    )


@pytest.fixture
def incident(db):
    return IncidentFactory()


def test_prepare_stores_one_draft_per_customer_in_its_currency(incident):
    chf = expose(incident, hours=10, fee="100.00", currency="CHF")
    eur = expose(incident, hours=30, fee="80.00", currency="EUR")
    expose(incident, hours=0.5, fee="80.00", currency="EUR")

    result = compensation_prepare(incident=incident)

    assert (result.created, result.recomputed, result.unchanged) == (3, 0, 0)
    rows = {c.customer_id: (c.amount, c.currency, c.tier, c.status) for c in Compensation.objects.all()}
    assert rows[chf.customer_id] == (Decimal("25.00"), "CHF", "8h", "draft")
    assert rows[eur.customer_id] == (Decimal("40.00"), "EUR", "24h", "draft")
    assert result.totals == {"CHF": Decimal("25.00"), "EUR": Decimal("40.00")}
    assert Compensation.objects.get(customer=chf.customer).policy == policy_default()


def test_two_accounts_of_one_customer_are_summed(incident):
    first = expose(incident, hours=2, fee="30.00")
    expose(incident, hours=25, fee="40.00", customer=first.customer)

    compensation_prepare(incident=incident)

    compensation = Compensation.objects.get()
    assert compensation.amount == Decimal("23.00")
    assert [line["share"] for line in compensation.explanation["accounts"]] == ["3.00", "20.00"]
    assert compensation.affected_seconds == 25 * H


def test_an_account_that_migrated_during_the_outage_is_counted_once(db):
    old, new = ServerFactory(name="server19"), ServerFactory(name="server20")
    account = HostingAccountFactory(monthly_fee=Decimal("60.00"))
    PlacementFactory(account=account, server=old, active_from=utc(2005, 1, 1), active_until=utc(2006, 1, 1, 6))
    PlacementFactory(account=account, server=new, active_from=utc(2006, 1, 1, 6))
    window = OutageWindowFactory(server=old, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 12))
    OutageWindowFactory(incident=window.incident, server=new, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 12))
    exposure_recompute(incident=window.incident)

    compensation_prepare(incident=window.incident)

    compensation = Compensation.objects.get()
    lines = compensation.explanation["accounts"]
    assert len(lines) == 1
    assert lines[0] == {
        "account": account.name,
        "servers": "server19, server20",
        "seconds": 12 * H,
        "fee": "60.00",
        "tier": "8h",
        "percent": "25",
        "share": "15.00",
    }
    assert compensation.amount == Decimal("15.00")


def test_running_prepare_again_changes_nothing(incident):
    expose(incident, hours=10)
    expose(incident, hours=80, currency="EUR")
    compensation_prepare(incident=incident)
    before = snapshot(incident)

    result = compensation_prepare(incident=incident)

    assert (result.created, result.recomputed, result.removed, result.unchanged) == (0, 0, 0, 2)
    assert snapshot(incident) == before


def test_a_draft_is_recomputed_when_its_exposure_changed_and_removed_when_gone(incident):
    changed = expose(incident, hours=10)
    gone = expose(incident, hours=10)
    compensation_prepare(incident=incident)
    Exposure.objects.filter(pk=changed.pk).update(affected_seconds=30 * H)
    Exposure.objects.filter(pk=gone.pk).delete()

    result = compensation_prepare(incident=incident)

    assert (result.recomputed, result.removed) == (1, 1)
    assert list(Compensation.objects.values_list("customer_id", "amount")) == [(changed.customer_id, Decimal("50.00"))]


def test_prepare_queries_do_not_grow_with_customers(incident):
    expose(incident, hours=10)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            compensation_prepare(incident=incident)
        return len(queries)

    few = count_queries()
    for _ in range(20):
        expose(incident, hours=10)
    Exposure.objects.filter(incident=incident).update(affected_seconds=30 * H)  # all drafts change

    assert count_queries() <= few + 2  # + bulk update, at most one batch per 2,000 rows on SQLite


def test_prepare_records_who_and_audits(incident, support_user):
    expose(incident, hours=10)

    compensation_prepare(incident=incident, by=support_user)

    compensation = Compensation.objects.get()
    assert compensation.prepared_by == support_user
    assert compensation.prepared_at is not None
    entry = AuditEntry.objects.get(action="compensation.prepare")
    assert (entry.actor, entry.incident, entry.data["created"]) == (support_user, incident, 1)


def test_preview_computes_without_writing(incident):
    for hours in (0.5, 2, 10, 30, 100):
        expose(incident, hours=hours, fee="200.00")

    preview = compensation_preview(incident=incident)

    assert Compensation.objects.count() == 0
    assert preview.customers == 5
    assert dict(preview.per_tier) == {"none": 1, "1h": 1, "8h": 1, "24h": 1, "72h": 1}
    assert preview.distribution == {
        "0": 1,
        "0–10": 0,
        "10–25": 1,
        "25–50": 1,
        "50–100": 1,
        "100–250": 1,
        ">250": 0,
    }
    assert preview.totals == {"CHF": Decimal("370.00")}
    assert [row["amount"] for row in preview.largest] == [
        Decimal(a) for a in ("200.00", "100.00", "50.00", "20.00", "0.00")
    ]


# --- approval --------------------------------------------------------------------------------


def test_approval_issues_vouchers_and_ledger_entries(incident, finance_user, settings):
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "VOUCHER_VALID_DAYS": 180}
    paid = expose(incident, hours=10, currency="EUR")
    expose(incident, hours=0.5)  # notified, nothing to pay
    compensation_prepare(incident=incident)  # command line: no preparer

    result = compensation_approve(incident=incident, by=finance_user)

    assert (result.approved, result.vouchers, result.totals) == (2, 1, {"EUR": Decimal("25.00")})
    assert set(Compensation.objects.values_list("status", "approved_by")) == {("approved", finance_user.pk)}
    voucher = Voucher.objects.get()
    assert (voucher.customer_id, voucher.amount, voucher.currency, voucher.is_topup, voucher.status) == (
        paid.customer_id,
        Decimal("25.00"),
        "EUR",
        False,
        "issued",
    )
    assert voucher.expires_on == timezone.localdate() + dt.timedelta(days=180)
    assert len(voucher.code) == 16
    entry = LedgerEntry.objects.get()
    assert (entry.customer_id, entry.book, entry.kind, entry.amount, entry.currency, entry.reference) == (
        paid.customer_id,
        "voucher",
        "issue",
        Decimal("25.00"),
        "EUR",
        f"voucher:{voucher.pk}:issue",
    )
    assert AuditEntry.objects.filter(action="compensation.approve", actor=finance_user).count() == 1


def test_approval_needs_the_finance_role(incident, support_user):
    expose(incident, hours=10)
    compensation_prepare(incident=incident)

    with pytest.raises(ApprovalRefused):
        compensation_approve(incident=incident, by=support_user)

    assert list(Compensation.objects.values_list("status", flat=True)) == ["draft"]
    assert not Voucher.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_who_prepared_may_not_approve(incident, finance_user, django_user_model):
    expose(incident, hours=10)
    compensation_prepare(incident=incident, by=finance_user)

    with pytest.raises(ApprovalRefused):
        compensation_approve(incident=incident, by=finance_user)

    assert list(Compensation.objects.values_list("status", flat=True)) == ["draft"]
    assert not Voucher.objects.exists()


def test_nothing_to_approve_the_second_time(incident, finance_user):
    expose(incident, hours=10)
    compensation_prepare(incident=incident)
    compensation_approve(incident=incident, by=finance_user)

    with pytest.raises(NothingToApprove):
        compensation_approve(incident=incident, by=finance_user)

    assert Voucher.objects.count() == 1


# --- after approval: frozen exposure, top-ups that never lower ----------------------------------


@pytest.fixture
def approved_window(db, finance_user):
    """One account with fee 100.00 down 10 h on server19: 25.00 approved."""
    placement = PlacementFactory(account__monthly_fee=Decimal("100.00"), server=ServerFactory(name="server19"))
    window = OutageWindowFactory(server=placement.server, start=utc(2006, 1, 1, 0), end=utc(2006, 1, 1, 10))
    exposure_recompute(incident=window.incident)
    compensation_prepare(incident=window.incident)
    compensation_approve(incident=window.incident, by=finance_user)
    return window


def test_exposure_is_frozen_after_approval_unless_forced(approved_window):
    approved_window.end = utc(2006, 1, 2, 6)
    approved_window.save()

    with pytest.raises(ExposureFrozen):
        exposure_recompute(incident=approved_window.incident)
    assert Exposure.objects.get().affected_seconds == 10 * H

    exposure_recompute(incident=approved_window.incident, force=True)
    assert Exposure.objects.get().affected_seconds == 30 * H


def test_a_longer_corrected_outage_adds_a_topup_voucher_once_a_second_person_approves(
    approved_window, finance_user, django_user_model
):
    # given a correction that raises an approved amount (30 h: 50 % instead of 25 %)
    approved_window.end = utc(2006, 1, 2, 6)
    approved_window.save()
    exposure_recompute(incident=approved_window.incident, force=True)
    # when finance prepares it
    result = compensation_prepare(incident=approved_window.incident, by=finance_user)
    # then the top-up waits for approval: nothing promised yet (the finding: issued at once)
    assert result.topups == 1
    compensation = Compensation.objects.get()
    assert (compensation.amount, compensation.status, compensation.tier) == (Decimal("25.00"), "approved", "8h")
    assert not Voucher.objects.filter(is_topup=True).exists()
    assert not LedgerEntry.objects.filter(kind="topup").exists()
    assert compensation_prepare(incident=approved_window.incident, by=finance_user).topups == 0  # idempotent
    # and whoever prepared it cannot approve it
    assert not compensation_can_approve(finance_user, incident=approved_window.incident)
    with pytest.raises(ApprovalRefused):
        compensation_approve(incident=approved_window.incident, by=finance_user)
    assert not Voucher.objects.filter(is_topup=True).exists()
    # when a second finance user approves
    second = django_user_model.objects.create_user("finance2", password="pw-finance-2", is_staff=True)
    second.groups.add(Group.objects.get_or_create(name="finance")[0])
    assert compensation_can_approve(second, incident=approved_window.incident)
    compensation_approve(incident=approved_window.incident, by=second)
    # then the amount is raised and the top-up voucher issued with its ledger entry
    compensation.refresh_from_db()
    assert (compensation.amount, compensation.status, compensation.tier) == (Decimal("50.00"), "approved", "24h")
    assert compensation.explanation["previous_amount"] == "25.00"
    topup = Voucher.objects.get(is_topup=True)
    assert (topup.amount, topup.compensation) == (Decimal("25.00"), compensation)
    assert LedgerEntry.objects.get(kind="topup").reference == f"voucher:{topup.pk}:topup"
    assert compensation_prepare(incident=approved_window.incident).topups == 0
    with pytest.raises(NothingToApprove):
        compensation_approve(incident=approved_window.incident, by=second)


def test_a_shorter_corrected_outage_never_lowers_an_approved_amount(approved_window):
    before = snapshot(approved_window.incident)
    approved_window.end = utc(2006, 1, 1, 2)  # 2 h: would be 10.00
    approved_window.save()
    exposure_recompute(incident=approved_window.incident, force=True)

    result = compensation_prepare(incident=approved_window.incident)

    assert (result.topups, result.kept_higher) == (0, 1)
    after = snapshot(approved_window.incident)
    assert [row[:5] + row[7:] for row in after] == [row[:5] + row[7:] for row in before]  # amount, status, policy
    assert Voucher.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    # the explanation describes the corrected 2 h, and says the approved amount was kept
    explanation = Compensation.objects.get().explanation
    assert [(line["seconds"], line["percent"]) for line in explanation["accounts"]] == [(2 * H, "10")]
    assert (explanation["amount"], explanation["computed_amount"], explanation["approved_amount_kept"]) == (
        "25.00",
        "10.00",
        True,
    )


def test_a_changed_exposure_with_the_same_amount_gets_a_new_explanation(approved_window):
    approved_window.end = utc(2006, 1, 1, 12)  # 12 h: still 25 %
    approved_window.save()
    exposure_recompute(incident=approved_window.incident, force=True)

    result = compensation_prepare(incident=approved_window.incident)

    compensation = Compensation.objects.get()
    assert (result.topups, compensation.amount) == (0, Decimal("25.00"))
    assert [line["seconds"] for line in compensation.explanation["accounts"]] == [12 * H]
    assert compensation.affected_seconds == 12 * H
    assert compensation_prepare(incident=approved_window.incident).kept_higher == 0  # nothing changed any more


# --- policies ---------------------------------------------------------------------------------


def test_policy_update_makes_a_new_version_and_approved_keep_theirs(approved_window, finance_user):
    old = policy_default()

    new = policy_update(policy=old, params={**old.params, "minimum": "10.00"}, by=finance_user)

    old.refresh_from_db()
    assert (old.version, old.is_current, new.version, new.is_current) == (1, False, 2, True)
    assert policy_default() == new
    assert Compensation.objects.get().policy == old
    compensation_prepare(incident=approved_window.incident)  # approved: recomputed with its own version
    assert Compensation.objects.get().policy == old


def test_a_new_policy_version_recomputes_drafts(incident, finance_user):
    expose(incident, hours=2, fee="20.00")  # 2.00 → minimum 5.00
    compensation_prepare(incident=incident)
    new = policy_update(policy=policy_default(), params={**policy_default().params, "minimum": "7.50"}, by=finance_user)

    result = compensation_prepare(incident=incident, policy=new)

    assert result.recomputed == 1
    assert Compensation.objects.get().amount == Decimal("7.50")
    assert Compensation.objects.get().explanation["policy"] == {"id": new.pk, "name": "default", "version": 2}
