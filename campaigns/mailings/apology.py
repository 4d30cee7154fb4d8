"""The operator's short-cut: send an incident's default apology, or an existing mailing, now.

Each step (create, approve, launch) owns its own transaction, as it does when a person clicks
through the console: a launch that fails leaves the approved mailing for the next attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.incidents.models import Incident
from campaigns.mailings.models import Mailing
from campaigns.mailings.services import MailingError, mailing_approve, mailing_create_default, mailing_launch


class ApologySentAlready(MailingError):
    """The incident's apology went out already: sending it again is a deliberate clone."""


@dataclass(frozen=True)
class ApologySend:
    mailing: Mailing
    continued: bool  # an earlier, unfinished apology was taken up instead of creating a new one


def mailing_send_now(*, mailing: Mailing, by=None) -> Mailing:
    """Approve a draft (the command line approves what it created itself, see ``mailing_approve``)
    and launch an approved or scheduled mailing; a mailing past that is returned as it is."""
    if mailing.status == Mailing.Status.DRAFT:
        mailing = mailing_approve(mailing=mailing, by=by)
    if mailing.status in (Mailing.Status.APPROVED, Mailing.Status.SCHEDULED):
        mailing = mailing_launch(mailing=mailing, by=by)
    return mailing


def apology_send(*, incident: Incident, by=None) -> ApologySend:
    """Send the incident's default apology: continue the latest one that is not cancelled (running
    the command again never sends a second apology), or create one; refuse once it is done."""
    existing = (
        incident.mailings.filter(kind=Mailing.Kind.APOLOGY)
        .exclude(status=Mailing.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )
    if existing is not None and existing.status == Mailing.Status.DONE:
        raise ApologySentAlready(
            f"the apology for {incident.slug} was sent already (mailing {existing.pk}); to send it again, "
            "clone it in the console, or give a mailing id"
        )
    mailing = existing or mailing_create_default(incident=incident, by=by)
    return ApologySend(mailing=mailing_send_now(mailing=mailing, by=by), continued=existing is not None)
