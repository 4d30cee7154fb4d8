"""Letters: rendering mailings, set-based, and previews; the default apology.

The placeholder language and ``validate_content`` live in ``campaigns.mailings.placeholders`` (re-exported
here). Subjects and text bodies render without HTML escaping, HTML bodies with it, through
templates compiled once per content and language (``campaigns.mailings.template_engine``).
``render_messages`` renders a whole batch from one query (``letter_batch``: contacts, customers,
exposures, compensations and vouchers joined), or from rows the sending engine read with its claim
(``BatchRead``); each letter's merge values come from ``letter_values``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template import Engine, TemplateSyntaxError
from django.utils.safestring import mark_safe

from accounts.models import Contact, Customer
from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Incident
from campaigns.mailings.letter_batch import BatchRead, Recipient, load_batch, recipients_from_rows
from campaigns.mailings.letter_values import Sender, letter_values
from campaigns.mailings.models import Mailing
from campaigns.mailings.placeholders import LANGUAGES, PLACEHOLDERS, template_problems, validate_content
from campaigns.mailings.template_engine import LetterTemplate, escape_html

__all__ = [
    "LANGUAGES",
    "BatchRead",
    "recipients_from_rows",
    "PLACEHOLDERS",
    "CustomerNotAffected",
    "LetterError",
    "RenderedMessage",
    "default_content",
    "render_messages",
    "render_preview",
    "template_problems",
    "validate_content",
]

_TEXT_ENGINE = Engine(autoescape=False)
_HTML_ENGINE = Engine(autoescape=True)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "emails"


class LetterError(Exception):
    """Content that cannot be rendered; ``errors`` lists every reason."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


class CustomerNotAffected(Exception):
    """The customer has no exposure in the incident: there is nothing to write to them about."""


@dataclass(frozen=True)
class RenderedMessage:
    delivery_id: int | None
    contact_id: int
    customer_id: int
    to: str
    language: str
    subject: str
    text: str
    html: str
    voucher: Voucher | None  # the voucher whose PDF to attach (None: nothing to attach), loaded with the batch
    shown_voucher_id: int | None = None  # the voucher whose code the letter quotes

    @property
    def voucher_id(self) -> int | None:
        return self.voucher.pk if self.voucher else None


# --- default letters ----------------------------------------------------------------------------


def default_content(kind: str = "apology") -> dict:
    """A default letter in de, fr, it and en, read from ``templates/emails/<language>/<kind>*``:
    ``apology`` (the first letter), ``correction`` (after exposure or amounts changed)."""
    content = {}
    for language in LANGUAGES:
        folder = _DEFAULTS_DIR / language
        content[language] = {
            "subject": (folder / f"{kind}_subject.txt").read_text(encoding="utf-8").strip(),
            "text": (folder / f"{kind}.txt").read_text(encoding="utf-8"),
            "html": (folder / f"{kind}.html").read_text(encoding="utf-8"),
        }
    return content


# --- rendering ----------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _compile(source: str, html: bool) -> LetterTemplate:
    return LetterTemplate((_HTML_ENGINE if html else _TEXT_ENGINE).from_string(source), autoescape=html)


def _compiled(content: dict, language: str) -> tuple[LetterTemplate, LetterTemplate, LetterTemplate | None]:
    parts = content[language]
    try:
        subject = _compile(parts.get("subject") or "", False)
        text = _compile(parts.get("text") or "", False)
        html = _compile(parts["html"], True) if (parts.get("html") or "").strip() else None
    except TemplateSyntaxError as exc:
        raise LetterError([f"{language}: syntax error: {exc}"]) from exc
    return subject, text, html


def _pick_language(content: dict, wanted: str, fallback: str) -> str:
    for language in (wanted, fallback, *LANGUAGES):
        if language in content:
            return language
    raise LetterError(["the letter has no language"])


def _render(templates, values: dict) -> tuple[str, str, str]:
    subject_t, text_t, html_t = templates
    subject = " ".join(subject_t.render(values).split())
    text = _BLANK_LINES.sub("\n\n", text_t.render(values)).strip() + "\n"
    html = ""
    if html_t is not None:
        items = "".join(f"<li>{escape_html(a['sentence'])}</li>" for a in values["accounts"])
        accounts_html = mark_safe(f"<ul>{items}</ul>")  # noqa: S308 - every sentence is escaped
        html = html_t.render(dict(values, accounts_block=accounts_html))
    return subject, text, html


def render_messages(mailing: Mailing, deliveries, *, recipients: dict | None = None) -> list[RenderedMessage]:
    """Render one batch, in the order of ``deliveries``, from ONE query whatever its size.

    ``deliveries``: Delivery rows (only ``pk``, ``contact_id``, ``email`` and ``language`` are read).
    ``mailing.incident`` should be loaded (select_related) or it costs a query. ``recipients``:
    what ``recipients_from_rows`` made of rows the caller read already (then no query at all).
    """
    deliveries = list(deliveries)
    if not deliveries:
        return []
    incident = mailing.incident
    content = mailing.content or default_content()
    if recipients is None:
        recipients = load_batch(incident.pk, {d.contact_id for d in deliveries})
    sender = Sender(live_links=True)
    compiled = {}
    messages = []
    for delivery in deliveries:
        recipient = recipients[delivery.contact_id]
        language = _pick_language(content, delivery.language, incident.default_language)
        if language not in compiled:
            compiled[language] = _compiled(content, language)
        messages.append(
            _message(
                recipient,
                incident=incident,
                language=language,
                templates=compiled[language],
                attach_voucher=mailing.attach_voucher,
                delivery_id=delivery.pk,
                to=delivery.email,
                sender=sender,
            )
        )
    return messages


def _message(recipient: Recipient, *, incident, language, templates, attach_voucher, delivery_id, to, sender):
    contact = recipient.contact
    values, voucher, shown_voucher_id = letter_values(
        incident=incident, customer=contact.customer, contact=contact, language=language,
        exposures=recipient.exposures, compensation=recipient.compensation, sender=sender,
    )  # fmt: skip
    subject, text, html = _render(templates, values)
    return RenderedMessage(
        delivery_id=delivery_id, contact_id=contact.pk, customer_id=contact.customer_id, to=to or contact.email,
        language=language, subject=subject, text=text, html=html,
        voucher=voucher.as_model() if attach_voucher and voucher is not None else None,
        shown_voucher_id=shown_voucher_id,
    )  # fmt: skip


def render_preview(
    mailing_or_content: Mailing | dict | None,
    customer: Customer,
    contact: Contact | None = None,
    language: str | None = None,
    *,
    incident: Incident | None = None,
    reveal_code: bool = False,
) -> RenderedMessage:
    """What ``customer`` (or one of its contacts) would get, in ``language`` or theirs, except
    that the sign-in link is the portal's sign-in page, which signs nobody in, and the voucher
    codes are masked unless ``reveal_code`` (finance; see ``compensation.code_access``).

    ``mailing_or_content``: a Mailing, or a content dict (then ``incident`` is required), or None
    for the default apology. Raises ``CustomerNotAffected`` and ``LetterError``.
    """
    if isinstance(mailing_or_content, Mailing):
        incident = mailing_or_content.incident
        content = mailing_or_content.content or default_content()
        attach_voucher = mailing_or_content.attach_voucher
    else:
        content = mailing_or_content or default_content()
        attach_voucher = True
    if incident is None:
        raise ValueError("render_preview needs the incident when given content instead of a mailing")
    errors = validate_content(content)
    if errors:
        raise LetterError(errors)
    contact = contact or customer.contacts.order_by("role", "pk").first()
    if contact is None:
        raise CustomerNotAffected(f"customer {customer.number} has no contact to write to")
    recipient = load_batch(incident.pk, [contact.pk])[contact.pk]
    correction = isinstance(mailing_or_content, Mailing) and mailing_or_content.kind == Mailing.Kind.CORRECTION
    if not recipient.exposures and recipient.compensation is None and not correction:
        # (a kept compensation, or a correction: the letter says the customer is no longer affected)
        raise CustomerNotAffected(f"customer {customer.number} is not affected by {incident.slug}")
    chosen = _pick_language(content, language or contact.language or customer.language, incident.default_language)
    return _message(
        recipient, incident=incident, language=chosen, templates=_compiled(content, chosen),
        attach_voucher=attach_voucher, delivery_id=None, to=contact.email,
        sender=Sender(live_links=False, reveal_codes=reveal_code),
    )  # fmt: skip
