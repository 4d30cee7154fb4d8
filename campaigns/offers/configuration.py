"""The forms of compensation an incident offers: one finance user proposes, another approves
(``campaigns.audit.four_eyes``, the mechanism of policy proposals); only then does the portal
offer them. The approved version also sets ``Incident.redemption_options``, which the API reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import JSONField, OuterRef, Subquery
from django.utils.translation import gettext as _

from accounts.roles import is_finance
from campaigns.audit.four_eyes import APPROVE, REJECT, WITHDRAW, ProposalStatus, decision_refusal, proposal_decide
from campaigns.audit.four_eyes import DecisionRefused as DecisionRefused  # re-exported for the views
from campaigns.audit.services import audit_record
from campaigns.incidents.models import Incident
from campaigns.offers.models import FORMS, OfferSettings, PartnerPool


class OffersInvalid(Exception):
    """A proposal that cannot be: the message says why, for the person who made it."""


@dataclass(frozen=True)
class Offer:
    """The forms in force for an incident, the default first."""

    forms: tuple[str, ...]
    partners: tuple[str, ...] = ()
    organisation: str = ""


OFFER_BEFORE_APPROVAL = ("balance",)


def offer_in_force(incident: Incident) -> Offer:
    """The latest approved forms. Until finance has approved forms for the incident, customers
    are offered the balance credit only: every other form is a money decision taken by two
    finance users (``redemption_options`` set elsewhere, by the API or support's incident
    editor, offers nothing more before that)."""
    row = (
        OfferSettings.objects.filter(incident=incident, status=ProposalStatus.APPROVED)
        .order_by("-decided_at", "-id")
        .first()
    )
    if row is not None:
        return Offer(tuple(row.forms), tuple(row.partners), row.organisation)
    return Offer(OFFER_BEFORE_APPROVAL)


def offer_forms_in_force(incident_id: OuterRef) -> Subquery:
    """``offer_in_force(…).forms`` as a subquery expression, for reads that list many vouchers in
    one statement: the latest approved forms of the incident ``incident_id`` names, or NULL when
    finance has approved none yet (the balance credit only)."""
    approved = OfferSettings.objects.filter(incident_id=incident_id, status=ProposalStatus.APPROVED)
    return Subquery(approved.order_by("-decided_at", "-id").values("forms")[:1], output_field=JSONField())


def offer_pending(incident: Incident) -> OfferSettings | None:
    return (
        OfferSettings.objects.filter(incident=incident, status=ProposalStatus.PENDING)
        .select_related("proposed_by")
        .first()
    )


def _check(forms: list[str], partners: list[str], organisation: str) -> None:
    if not forms:
        raise OffersInvalid(_("Offer at least one form."))
    if len(set(forms)) != len(forms) or any(form not in FORMS for form in forms):
        raise OffersInvalid(_("Unknown or repeated form."))
    if "partner" in forms and not partners:
        raise OffersInvalid(_("Name at least one partner for partner vouchers."))
    known = set(PartnerPool.objects.filter(partner__in=partners).values_list("partner", flat=True))
    unknown = [partner for partner in partners if partner not in known]
    if unknown:
        raise OffersInvalid(_("No code pool exists for: %(partners)s.") % {"partners": ", ".join(unknown)})
    if "donation" in forms and not organisation.strip():
        raise OffersInvalid(_("Name the organisation that receives donations."))


def offer_propose(*, incident: Incident, forms: list[str], partners: list[str], organisation: str, by) -> OfferSettings:
    """A proposal waiting for a second finance user; ``forms`` in order, the default first."""
    if by is None or not is_finance(by):
        raise OffersInvalid(_("only finance may propose forms of compensation"))
    partners = list(dict.fromkeys(p.strip() for p in partners if p.strip())) if "partner" in forms else []
    organisation = organisation.strip() if "donation" in forms else ""
    _check(forms, partners, organisation)
    try:
        with transaction.atomic():
            proposal = OfferSettings.objects.create(
                incident=incident, forms=forms, partners=partners, organisation=organisation, proposed_by=by
            )
            audit_record(
                actor=by, action="offers.propose", incident=incident, obj=proposal, forms=forms, partners=partners,
                organisation=organisation,
            )  # fmt: skip
    except IntegrityError:
        raise OffersInvalid(_("A proposal awaits approval already: approve or reject it first.")) from None
    return proposal


def _apply(proposal: OfferSettings) -> dict:
    incident = Incident.objects.select_for_update().get(pk=proposal.incident_id)
    incident.redemption_options = list(proposal.forms)
    incident.save(update_fields=["redemption_options", "updated_at"])
    return {"incident_slug": incident.slug, "forms": list(proposal.forms)}


def offer_decide(*, proposal: OfferSettings, by, decision: str) -> OfferSettings:
    """Approve (a finance user other than the proposer: the forms are in force from now on),
    reject, or withdraw (the proposer) ``proposal``. Raises ``DecisionRefused``."""
    return proposal_decide(
        proposal=proposal,
        by=by,
        decision=decision,
        may_decide=is_finance,
        action="offers",
        apply=_apply if decision == APPROVE else None,
    )


def offer_may(user, proposal: OfferSettings | None, decision: str) -> bool:
    """What the console offers ``user``: as ``offer_decide`` decides it."""
    return proposal is not None and not decision_refusal(user, proposal, decision, may_decide=is_finance)


__all__ = ["APPROVE", "REJECT", "WITHDRAW", "DecisionRefused"]
