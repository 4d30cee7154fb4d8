"""Finance edits policies in the admin; saving stores a new version."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from campaigns.audit.models import AuditEntry
from campaigns.compensation.policies import PolicyExists, policy_create, policy_default
from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.models import CompensationPolicy, Voucher
from tests.factories import ExposureFactory, HostingAccountFactory


def change(client, policy, params, kind="tiers"):
    return client.post(
        reverse("admin:campaigns_compensationpolicy_change", args=[policy.pk]),
        {"kind": kind, "params": json.dumps(params), "note": "more generous"},
    )


def test_saving_a_policy_in_the_admin_makes_the_next_version(client, finance_user):
    policy = policy_default()
    client.force_login(finance_user)

    response = change(client, policy, {**policy.params, "minimum": "10.00"})

    assert response.status_code == 302
    versions = list(
        CompensationPolicy.objects.filter(name="default")
        .order_by("version")
        .values_list("version", "is_current", "params")
    )
    assert versions == [(1, False, policy.params), (2, True, {**policy.params, "minimum": "10.00"})]
    assert CompensationPolicy.objects.get(version=2).created_by == finance_user


def test_invalid_parameters_are_refused_and_nothing_changes(client, finance_user):
    policy = policy_default()
    client.force_login(finance_user)

    response = change(client, policy, {"tiers": [[8, 50], [1, 10], [24, 5]]})

    assert response.status_code == 200
    assert "longer outage" in response.content.decode()
    assert CompensationPolicy.objects.count() == 1


def test_support_staff_cannot_see_policies(client, support_user):
    policy_default()
    client.force_login(support_user)

    response = client.get(reverse("admin:campaigns_compensationpolicy_changelist"))

    assert response.status_code == 403


def test_voucher_codes_are_masked_in_lists_and_whole_for_finance_on_the_voucher_s_page(
    client, finance_user, support_user
):
    exposure = ExposureFactory(account=HostingAccountFactory(monthly_fee=Decimal("100.00")), affected_seconds=36000)
    compensation_prepare(incident=exposure.incident)
    compensation_approve(incident=exposure.incident, by=finance_user)
    code = Voucher.objects.get().code
    grouped = f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}"
    support_user.user_permissions.add(Permission.objects.get(codename="view_voucher"))
    finance_user.user_permissions.add(Permission.objects.get(codename="view_voucher"))
    changelist = reverse("admin:campaigns_voucher_changelist")

    client.force_login(support_user)
    page = client.get(changelist).content.decode()
    assert f"{code[:4]}-••••-••••-{code[-4:]}" in page
    assert grouped not in page
    assert (
        grouped
        not in client.get(reverse("admin:campaigns_voucher_change", args=[Voucher.objects.get().pk])).content.decode()
    )
    client.force_login(finance_user)
    assert grouped not in client.get(changelist).content.decode()
    assert (
        grouped
        in client.get(reverse("admin:campaigns_voucher_change", args=[Voucher.objects.get().pk])).content.decode()
    )


def test_a_new_policy_in_the_admin_is_version_one_through_the_service_with_an_audit_entry(client, finance_user):
    client.force_login(finance_user)
    params = {"factor": "1.5", "cap": "100"}

    response = client.post(
        reverse("admin:campaigns_compensationpolicy_add"),
        {"name": "generous", "kind": "prorata", "params": json.dumps(params), "note": "for key accounts"},
    )

    assert response.status_code == 302
    policy = CompensationPolicy.objects.get(name="generous")
    assert (policy.version, policy.is_current, policy.kind, policy.params, policy.created_by) == (
        1,
        True,
        "prorata",
        params,
        finance_user,
    )
    entry = AuditEntry.objects.get(action="policy.create")
    assert (entry.actor, entry.object_id) == (finance_user, str(policy.pk))


def test_policy_create_refuses_a_taken_name_and_changes_nothing(finance_user):
    policy_default()
    with pytest.raises(PolicyExists):
        policy_create(name="default", kind="tiers", params={"tiers": [[1, 10]]}, by=finance_user)
    assert CompensationPolicy.objects.filter(name="default").count() == 1
    assert not AuditEntry.objects.filter(action="policy.create").exists()
