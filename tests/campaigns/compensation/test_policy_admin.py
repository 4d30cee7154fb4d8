"""The admin shows policies to finance and changes none (the console's four-eyes editor does,
tests/campaigns/compensation/test_policy_proposals.py); voucher codes in the admin."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from campaigns.audit.models import AuditEntry
from campaigns.compensation.policies import PolicyExists, policy_create, policy_default
from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.models import CompensationPolicy, Voucher
from tests.factories import ExposureFactory, HostingAccountFactory


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


def test_policy_create_stores_version_one_with_an_audit_entry(finance_user):
    params = {"factor": "1.5", "cap": "100"}

    policy = policy_create(name="generous", kind="prorata", params=params, by=finance_user, note="for key accounts")

    assert (policy.version, policy.is_current, policy.params, policy.created_by) == (1, True, params, finance_user)
    entry = AuditEntry.objects.get(action="policy.create")
    assert (entry.actor, entry.object_id) == (finance_user, str(policy.pk))


def test_policy_create_refuses_a_taken_name_and_changes_nothing(finance_user):
    policy_default()
    with pytest.raises(PolicyExists):
        policy_create(name="default", kind="tiers", params={"tiers": [[1, 10]]}, by=finance_user)
    assert CompensationPolicy.objects.filter(name="default").count() == 1
    assert not AuditEntry.objects.filter(action="policy.create").exists()
