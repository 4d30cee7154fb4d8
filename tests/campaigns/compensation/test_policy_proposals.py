"""Policies change with four eyes: one finance user proposes in the console, another approves or
rejects; the proposer cannot approve, support cannot reach it, and the admin only shows policies."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from campaigns.audit.four_eyes import DecisionRefused, ProposalStatus
from campaigns.compensation.policies import policy_default, policy_update
from campaigns.compensation.policy_proposals import (
    PolicyChangedMeanwhile,
    ProposalRefused,
    policy_proposal_approve,
    policy_proposal_reject,
    policy_propose,
)
from campaigns.models import AuditEntry, CompensationPolicy, PolicyProposal
from tests.campaigns.test_console_languages import english_left

pytestmark = pytest.mark.django_db

RAISED = {
    "kind": "tiers",
    "tiers": "1 10\n8 25\n24 50\n48 75\n72 100",
    "minimum": "10.00",
    "step": "0.05",
    "rounding": "up",
    "note": "Board decision of 30.11.2026",
}


@pytest.fixture
def second_finance(django_user_model):
    user = django_user_model.objects.create_user("controller", "controller@example.ch", "pw-finance-2", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


def signed_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def versions(name: str = "default") -> list[tuple[str, int, bool]]:
    policies = CompensationPolicy.objects.filter(name=name).order_by("version")
    return list(policies.values_list("name", "version", "is_current"))


def test_a_change_proposed_in_the_console_applies_only_after_a_second_finance_user_approves(
    finance_user, second_finance
):
    default = policy_default()
    proposer, approver = signed_in(finance_user), signed_in(second_finance)

    # finance proposes the next version of the default policy
    response = proposer.post(reverse("console:policy_propose_version", args=[default.pk]), RAISED)
    assert response.status_code == 302
    proposal = PolicyProposal.objects.get()
    assert (proposal.status, proposal.base, proposal.proposed_by) == (ProposalStatus.PENDING, default, finance_user)
    assert proposal.params == {
        "tiers": [[1, 10], [8, 25], [24, 50], [48, 75], [72, 100]],
        "minimum": "10.00",
        "step": "0.05",
        "rounding": "up",
    }
    assert versions() == [("default", 1, True)]  # nothing applies yet

    # the proposer is not offered approval, and cannot approve by posting
    page = proposer.get(reverse("console:policies")).content.decode()
    assert "another person with the finance role must approve it" in page
    assert reverse("console:policy_decide", args=[proposal.pk, "approve"]) not in page
    proposer.post(reverse("console:policy_decide", args=[proposal.pk, "approve"]))
    assert versions() == [("default", 1, True)]
    assert PolicyProposal.objects.get().status == ProposalStatus.PENDING

    # a second finance user approves: version 2 is current, written by one, approved by the other
    page = approver.get(reverse("console:policies")).content.decode()
    assert "from 48 h: 75 % of the monthly fee" in page
    approver.post(reverse("console:policy_decide", args=[proposal.pk, "approve"]))
    assert versions() == [("default", 1, False), ("default", 2, True)]
    current = policy_default()
    assert (current.created_by, current.approved_by, current.params) == (finance_user, second_finance, proposal.params)
    assert current.note == "Board decision of 30.11.2026"
    assert PolicyProposal.objects.get().result == current
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor__username"))
    assert actions == [
        ("policy.propose", "financier"),
        ("policy.update", "financier"),
        ("policy.approve", "controller"),
    ]


def test_a_rejected_proposal_changes_nothing_and_says_why(finance_user, second_finance):
    default = policy_default()
    proposal = policy_propose(by=finance_user, kind="prorata", params={**_prorata()}, note="try", base=default)

    signed_in(second_finance).post(
        reverse("console:policy_decide", args=[proposal.pk, "reject"]), {"reason": "not this quarter"}
    )

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_note) == (
        ProposalStatus.REJECTED,
        second_finance,
        "not this quarter",
    )
    assert versions() == [("default", 1, True)]
    entry = AuditEntry.objects.get(action="policy.reject")
    assert entry.data == {"proposed_by": "financier", "reason": "not this quarter"}


def test_the_proposer_may_withdraw_but_not_reject(finance_user, second_finance):
    proposal = policy_propose(by=finance_user, kind="prorata", params=_prorata(), base=policy_default())
    with pytest.raises(DecisionRefused):
        policy_proposal_reject(proposal=proposal, by=finance_user)

    signed_in(finance_user).post(reverse("console:policy_decide", args=[proposal.pk, "withdraw"]))

    assert PolicyProposal.objects.get().status == ProposalStatus.WITHDRAWN
    with pytest.raises(DecisionRefused, match="decided already"):
        policy_proposal_approve(proposal=proposal, by=second_finance)
    assert versions() == [("default", 1, True)]


def test_one_proposal_per_policy_waits_and_a_stale_one_is_not_applied(finance_user, second_finance):
    default = policy_default()
    proposal = policy_propose(by=finance_user, kind="prorata", params=_prorata(), base=default)
    with pytest.raises(ProposalRefused, match="waiting for approval already"):
        policy_propose(by=second_finance, kind="prorata", params=_prorata("2"), base=default)
    policy_update(policy=default, params={**default.params, "minimum": "7.00"}, by=None)  # e.g. a migration

    with pytest.raises(PolicyChangedMeanwhile):
        policy_proposal_approve(proposal=proposal, by=second_finance)

    assert versions() == [("default", 1, False), ("default", 2, True)]
    assert PolicyProposal.objects.get().status == ProposalStatus.PENDING


def test_a_new_policy_needs_an_unused_name_and_four_eyes_too(finance_user, second_finance):
    response = signed_in(finance_user).post(
        reverse("console:policy_propose"), {**RAISED, "name": "default", "kind": "tiers"}
    )
    assert "A policy named default exists" in response.content.decode()
    signed_in(finance_user).post(reverse("console:policy_propose"), {**RAISED, "name": "goodwill-2026"})
    proposal = PolicyProposal.objects.get(name="goodwill-2026")

    created = policy_proposal_approve(proposal=proposal, by=second_finance)

    assert (created.name, created.version, created.is_current, created.approved_by) == (
        "goodwill-2026",
        1,
        True,
        second_finance,
    )


@pytest.mark.parametrize(
    ("tiers", "error"),
    [
        ("1 10\n8 5", "A longer downtime must not earn a lower percent."),
        ("1 10\n1 20", "Each number of hours may start one tier only."),
        ("0 10", "Each tier needs more than 0 hours."),
        ("ten hours", "Line 1: write the hours and the percent, e.g. 24 50."),
        ("", "A tier policy needs at least one tier."),
    ],
)
def test_bad_values_are_explained_and_nothing_is_proposed(finance_user, tiers, error):
    response = signed_in(finance_user).post(
        reverse("console:policy_propose_version", args=[policy_default().pk]), {**RAISED, "tiers": tiers}
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not PolicyProposal.objects.exists()


def test_support_cannot_reach_policies(support_user):
    client = signed_in(support_user)
    for url in (reverse("console:policies"), reverse("console:policy_propose")):
        assert client.get(url).status_code == 403
    with pytest.raises(ProposalRefused):
        policy_propose(by=support_user, kind="prorata", params=_prorata(), base=policy_default())


def test_the_admin_shows_policies_to_finance_and_changes_nothing(finance_user, django_user_model):
    default = policy_default()
    root = django_user_model.objects.create_superuser("root", "root@example.ch", "pw-root-1")
    for user in (finance_user, root):
        client = signed_in(user)
        assert client.get(reverse("admin:campaigns_compensationpolicy_change", args=[default.pk])).status_code == 200
        assert client.get(reverse("admin:campaigns_compensationpolicy_add")).status_code == 403
        client.post(
            reverse("admin:campaigns_compensationpolicy_change", args=[default.pk]),
            {"name": "default", "kind": "tiers", "params": '{"tiers": [[1, 100]]}', "note": "x"},
        )
    assert versions() == [("default", 1, True)]
    assert CompensationPolicy.objects.get(name="default").params == default.params


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_policy_pages_read_in_the_reader_s_language(finance_user, second_finance, language):
    proposal = policy_propose(by=finance_user, kind="prorata", params=_prorata(), base=policy_default(), note="Q1")
    policy_proposal_reject(proposal=proposal, by=second_finance, reason="später")
    policy_propose(by=finance_user, kind="tiers", params={**policy_default().params, "minimum": "8.00"},
                   base=policy_default(), note="Q2")  # fmt: skip
    client = signed_in(second_finance, language)
    leaks = {}
    for url in (
        reverse("console:policies"),
        reverse("console:policy_propose"),
        reverse("console:policy_propose_version", args=[policy_default().pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        found = english_left(response.content.decode(), language, data=("default", "prorata"))
        if found:
            leaks[url] = found
    bad = client.post(reverse("console:policy_propose"), {**RAISED, "name": "Neu!"}).content.decode()
    leaks["form errors"] = english_left(bad, language, data=("default", "prorata"))
    assert leaks == {"form errors": []}


def _prorata(factor: str = "1") -> dict:
    return {"factor": factor, "cap": "100", "minimum": "5.00", "step": "0.05", "rounding": "up"}
