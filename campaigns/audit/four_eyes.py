"""Four eyes on a change that is data: one person proposes it, another with the right role approves
(or rejects) it, the proposer may withdraw it, and every step is in the audit log — the pattern of
compensation approval (``compensation.services``), for anything that is edited rather than
computed (policies, forms of compensation, …).

A concrete proposal is a model that inherits ``FourEyesProposal`` and adds what it proposes; its
service calls ``proposal_decide`` with the function that carries the change out, which runs in the
same transaction under the proposal's row lock, so a proposal is applied at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.audit.services import audit_record


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class FourEyesProposal(models.Model):
    """Who proposed a change, and who decided on it. Abstract: a concrete proposal adds its payload."""

    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING


class DecisionRefused(Exception):
    """The user may not take this decision (message says why); nothing changed."""


APPROVE, REJECT, WITHDRAW = "approve", "reject", "withdraw"


def decision_refusal(user, proposal: FourEyesProposal, decision: str, *, may_decide: Callable[[Any], bool]) -> str:
    """Why ``user`` may not take ``decision`` on ``proposal`` ('' when they may). The proposer may
    only withdraw; approving and rejecting need ``may_decide(user)`` and another person."""
    if not proposal.is_pending:
        return str(_("it was decided already"))
    if user is None or not getattr(user, "pk", None):
        return str(_("a decision needs a signed-in person"))
    if decision == WITHDRAW:
        return "" if user.pk == proposal.proposed_by_id else str(_("only the person who proposed it may withdraw it"))
    if not may_decide(user):
        return str(_("your role may not decide on it"))
    if user.pk == proposal.proposed_by_id:
        return str(_("the person who proposed it may not approve or reject it"))
    return ""


P = TypeVar("P", bound=FourEyesProposal)


def proposal_decide(
    *,
    proposal: P,
    by,
    decision: str,
    may_decide: Callable[[Any], bool],
    action: str,
    apply: Callable[[P], dict] | None = None,
    note: str = "",
) -> P:
    """Take ``decision`` (approve, reject, withdraw) on ``proposal`` as ``by``: under the
    proposal's row lock, checks four eyes, on approval runs ``apply(proposal)`` (whose dict goes
    into the audit entry), records the decision and an audit entry ``<action>.<decision>``.
    Raises ``DecisionRefused``; whatever ``apply`` raises leaves everything as it was."""
    if decision not in (APPROVE, REJECT, WITHDRAW):
        raise ValueError(decision)
    with transaction.atomic():
        proposal = type(proposal)._default_manager.select_for_update().get(pk=proposal.pk)
        refusal = decision_refusal(by, proposal, decision, may_decide=may_decide)
        if refusal:
            raise DecisionRefused(refusal)
        details: dict[str, Any] = apply(proposal) if decision == APPROVE and apply is not None else {}
        proposal.status = {
            APPROVE: ProposalStatus.APPROVED,
            REJECT: ProposalStatus.REJECTED,
            WITHDRAW: ProposalStatus.WITHDRAWN,
        }[decision]
        proposal.decided_by, proposal.decided_at, proposal.decision_note = by, timezone.now(), note[:500]
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=by,
            action=f"{action}.{decision}",
            obj=proposal,
            proposed_by=proposal.proposed_by.get_username(),
            **({"reason": note} if note else {}),  # type: ignore[arg-type]  # details, never the incident
            **details,
        )
    return proposal
