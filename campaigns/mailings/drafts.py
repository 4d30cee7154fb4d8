"""Composing mailings: drafts that support staff write and edit, and test sends to themselves.

The lifecycle after the draft (approve, launch, pause, …) lives in ``campaigns.mailings.services``.
"""

from __future__ import annotations

from dataclasses import replace
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction

from accounts.models import Contact, Customer
from campaigns.audit.services import audit_record
from campaigns.compensation.code_access import code_shown_record, code_visible_to
from campaigns.incidents.models import Incident
from campaigns.mailings.claims import message_domain
from campaigns.mailings.defaults import mailing_defaults
from campaigns.mailings.handover import letter_email
from campaigns.mailings.letters import LetterError, render_preview, validate_content
from campaigns.mailings.models import Mailing

EDITABLE_FIELDS = (
    "name",
    "audience",
    "contact_roles",
    "content",
    "attach_voucher",
    "from_email",
    "reply_to",
    "scheduled_at",
)


class MailingNotEditable(Exception):
    """Only a draft can change; an approved mailing must be cloned."""


class MailingContentInvalid(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _check(fields: dict) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    if "content" in fields:
        errors = validate_content(fields["content"])
        if errors:
            raise MailingContentInvalid(errors)


def mailing_draft_create(*, incident: Incident, by, **fields) -> Mailing:
    """A new draft mailing for ``incident``; ``fields`` among ``EDITABLE_FIELDS``."""
    _check(fields)
    with transaction.atomic():
        mailing = Mailing.objects.create(
            incident=incident,
            created_by=by,
            status=Mailing.Status.DRAFT,
            **mailing_defaults(),
            **fields,
        )
        audit_record(actor=by, action="mailing.create", incident=incident, obj=mailing, name=mailing.name)
    return mailing


def mailing_draft_update(*, mailing: Mailing, by, **fields) -> Mailing:
    """Change a draft; refused once the mailing left the draft state."""
    _check(fields)
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if locked.status != Mailing.Status.DRAFT:
            raise MailingNotEditable(f"mailing {locked.pk} is {locked.status}: only drafts can be edited")
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        audit_record(actor=by, action="mailing.edit", incident=locked.incident, obj=locked, fields=sorted(fields))
    return locked


def mailing_test_send(
    *, mailing: Mailing, customer: Customer, to: str, by, language: str | None = None, contact: Contact | None = None
) -> str:
    """Send the letter ``customer`` would get to ``to`` (the staff member's own address): the real
    message — parts, headers and voucher PDF — marked only by ``[TEST]`` before its subject.

    Returns the subject. Raises ``CustomerNotAffected`` / ``LetterError`` from the renderer.
    No Delivery is recorded: a test send is not a delivery. Its sign-in link is the portal's
    sign-in page (staff must not hold a customer's key).
    """
    if not to:
        raise LetterError(["your user account has no e-mail address for the test send"])
    reveal = code_visible_to(by)
    message = render_preview(mailing, customer, contact=contact, language=language, reveal_code=reveal)
    if reveal and message.shown_voucher_id:
        code_shown_record(user=by, where="test send", voucher_ids=[message.shown_voucher_id], incident=mailing.incident)
    subject = f"[TEST] {message.subject}"
    email = letter_email(
        replace(message, subject=subject),
        to=to,
        from_email=mailing.from_email or settings.DEFAULT_FROM_EMAIL,
        reply_to=[mailing.reply_to] if mailing.reply_to else None,
        message_id=make_msgid(domain=message_domain()),
        voucher_masked=not reveal,
    )
    email.send()
    audit_record(actor=by, action="mailing.test_send", incident=mailing.incident, obj=mailing, to=to)
    return subject
