"""Changing a compensation policy takes two finance users: one proposes a new policy or the next
version of one, another approves it (``campaigns.audit.four_eyes``); only then is it stored as a
version (``policies``), with who wrote and who approved it. Proposals, decisions and the new
version are in the audit log."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.roles import is_finance
from campaigns.audit.four_eyes import APPROVE, REJECT, WITHDRAW, proposal_decide
from campaigns.audit.four_eyes import DecisionRefused as DecisionRefused  # re-exported for the views
from campaigns.audit.four_eyes import decision_refusal as _decision_refusal
from campaigns.audit.services import audit_record
from campaigns.compensation import policy as rules
from campaigns.compensation.models import CompensationPolicy, PolicyProposal
from campaigns.compensation.policies import (
    DEFAULT_NAME,
    PRORATA_NAME,
    PolicyExists,
    policy_create,
    policy_current,
    policy_update,
)


class ProposalRefused(Exception):
    """The proposal cannot be made (message says why); nothing was stored."""


class PolicyChangedMeanwhile(DecisionRefused):
    """The version a proposal changes is no longer current: it must be proposed again."""


def policy_propose(
    *, by, kind: str, params: dict, note: str = "", base: CompensationPolicy | None = None, name: str = ""
) -> PolicyProposal:
    """Propose the next version of ``base`` (its current version), or with ``name`` a new policy.

    Raises ``PolicyInvalid`` for unusable parameters and ``ProposalRefused`` when the user is not
    finance, ``base`` is not current, the name is taken or a proposal for it is waiting already.
    """
    if by is None or not is_finance(by):
        raise ProposalRefused(_("Only finance may propose a policy."))
    rules.parse_policy(kind, params)
    name = base.name if base is not None else name.strip()
    if not name:
        raise ProposalRefused(_("A new policy needs a name."))
    if base is None and name in (DEFAULT_NAME, PRORATA_NAME):
        policy_current(name)  # the built-in policies exist (created on first use): propose a version of them
    with transaction.atomic():
        versions = CompensationPolicy.objects.select_for_update().filter(name=name)
        if base is not None and not versions.filter(pk=base.pk, is_current=True).exists():
            raise ProposalRefused(
                _("%(policy)s is no longer the current version of %(name)s.") % {"policy": base, "name": name}
            )
        if base is None and versions.exists():
            raise ProposalRefused(_("A policy named %(name)s exists: propose a new version of it.") % {"name": name})
        if base is not None and base.kind == kind and base.params == params:
            raise ProposalRefused(_("The proposal changes nothing."))
        try:
            with transaction.atomic():
                proposal = PolicyProposal.objects.create(
                    name=name, kind=kind, params=params, note=note[:255], base=base, proposed_by=by
                )
        except IntegrityError:
            raise ProposalRefused(
                _("A proposal for %(name)s is waiting for approval already.") % {"name": name}
            ) from None
        audit_record(
            actor=by,
            action="policy.propose",
            obj=proposal,
            name=name,
            base_version=base.version if base is not None else None,
            kind=kind,
            params=params,
        )
    return proposal


def _apply(proposal: PolicyProposal, by) -> dict:
    """Store the proposal as a version (under the proposal's lock, inside its transaction)."""
    try:
        if proposal.base_id is None:
            new = policy_create(
                name=proposal.name,
                kind=proposal.kind,
                params=proposal.params,
                by=proposal.proposed_by,
                note=proposal.note,
            )
        else:
            current = CompensationPolicy.objects.select_for_update().filter(name=proposal.name, is_current=True).first()
            if current is None or current.pk != proposal.base_id:
                raise PolicyChangedMeanwhile(
                    _("%(name)s changed since this proposal was made: reject it and propose again")
                    % {"name": proposal.name}
                )
            new = policy_update(
                policy=current, params=proposal.params, kind=proposal.kind, by=proposal.proposed_by, note=proposal.note
            )
    except PolicyExists:
        raise PolicyChangedMeanwhile(
            _("a policy named %(name)s was created meanwhile") % {"name": proposal.name}
        ) from None
    new.approved_by = by
    new.save(update_fields=["approved_by"])
    proposal.result = new
    proposal.save(update_fields=["result"])
    return {"name": new.name, "version": new.version}


def policy_proposal_approve(*, proposal: PolicyProposal, by) -> CompensationPolicy:
    """Four eyes: a finance user other than the proposer stores the proposal as the new version."""
    decided = proposal_decide(
        proposal=proposal,
        by=by,
        decision=APPROVE,
        may_decide=is_finance,
        action="policy",
        apply=lambda locked: _apply(locked, by),
    )
    assert decided.result is not None
    return decided.result


def policy_proposal_reject(*, proposal: PolicyProposal, by, reason: str = "") -> PolicyProposal:
    """Another finance user turns the proposal down; nothing is stored but the decision."""
    return proposal_decide(
        proposal=proposal, by=by, decision=REJECT, may_decide=is_finance, action="policy", note=reason
    )


def policy_proposal_withdraw(*, proposal: PolicyProposal, by) -> PolicyProposal:
    """The proposer takes the proposal back."""
    return proposal_decide(proposal=proposal, by=by, decision=WITHDRAW, may_decide=is_finance, action="policy")


def policy_proposal_may(user, proposal: PolicyProposal, decision: str) -> bool:
    """What the console offers ``user`` on ``proposal``: as the services decide it."""
    return not _decision_refusal(user, proposal, decision, may_decide=is_finance)
