"""Compensation policies in the console, four eyes: finance proposes a new policy or the next
version of one, another finance user approves or rejects it, the proposer may withdraw it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import finance_required
from campaigns.audit.four_eyes import APPROVE, REJECT, WITHDRAW, ProposalStatus
from campaigns.compensation.models import CompensationPolicy, PolicyProposal
from campaigns.compensation.policies import policy_default, policy_prorata
from campaigns.compensation.policy import PolicyInvalid
from campaigns.compensation.policy_forms import PolicyForm, policy_summary
from campaigns.compensation.policy_proposals import (
    DecisionRefused,
    ProposalRefused,
    policy_proposal_approve,
    policy_proposal_may,
    policy_proposal_reject,
    policy_proposal_withdraw,
    policy_propose,
)

RECENT_DECISIONS = 20


def _proposal_row(proposal: PolicyProposal, user) -> dict:
    return {
        "proposal": proposal,
        "summary": policy_summary(proposal.kind, proposal.params),
        "base_summary": policy_summary(proposal.base.kind, proposal.base.params) if proposal.base else [],
        "may_approve": policy_proposal_may(user, proposal, APPROVE),
        "may_reject": policy_proposal_may(user, proposal, REJECT),
        "may_withdraw": policy_proposal_may(user, proposal, WITHDRAW),
    }


@finance_required
def policies(request):
    policy_default(), policy_prorata()  # the built-in policies exist before anyone changes them
    current = CompensationPolicy.objects.filter(is_current=True).select_related("created_by", "approved_by")
    history = CompensationPolicy.objects.select_related("created_by", "approved_by")
    proposals = PolicyProposal.objects.select_related("base", "proposed_by", "decided_by", "result")
    context = {
        "current": [{"policy": p, "summary": policy_summary(p.kind, p.params)} for p in current.order_by("name")],
        "pending": [_proposal_row(p, request.user) for p in proposals.filter(status=ProposalStatus.PENDING)],
        "decided": proposals.exclude(status=ProposalStatus.PENDING)[:RECENT_DECISIONS],
        "history": history.order_by("name", "-version"),
    }
    return render(request, "console/finance/policies.html", context)


@finance_required
def policy_propose_view(request, pk=None):
    base = get_object_or_404(CompensationPolicy, pk=pk, is_current=True) if pk is not None else None
    form = PolicyForm(request.POST or None, base=base)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy_propose(
                by=request.user,
                kind=data["kind"],
                params=data["params"],
                note=data["note"],
                base=base,
                name=data.get("name", ""),
            )
        except (ProposalRefused, PolicyInvalid) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your proposal waits for another finance user's approval."))
            return redirect("console:policies")
    return render(request, "console/finance/policy_form.html", {"form": form, "base": base})


_DECISIONS = {
    APPROVE: lambda proposal, user, reason: policy_proposal_approve(proposal=proposal, by=user),
    REJECT: lambda proposal, user, reason: policy_proposal_reject(proposal=proposal, by=user, reason=reason),
    WITHDRAW: lambda proposal, user, reason: policy_proposal_withdraw(proposal=proposal, by=user),
}
_DONE = {
    APPROVE: gettext_lazy("Approved: the new version is current and applies to compensation prepared from now on."),
    REJECT: gettext_lazy("Rejected: the policy stays as it was."),
    WITHDRAW: gettext_lazy("Withdrawn: the policy stays as it was."),
}


@finance_required
@require_POST
def policy_decide(request, pk, decision):
    proposal = get_object_or_404(PolicyProposal, pk=pk)
    if decision not in _DECISIONS:
        return redirect("console:policies")
    try:
        _DECISIONS[decision](proposal, request.user, request.POST.get("reason", "").strip())
    except DecisionRefused as exc:
        messages.error(request, _("Not possible: %(reason)s.") % {"reason": exc})
    else:
        messages.success(request, str(_DONE[decision]))
    return redirect("console:policies")
