"""Letters: rendering mailings, set-based, and previews; the default letters.

A letter is, per language, a subject and a body in Markdown with placeholders
(``campaigns.mailings.placeholders`` validates them, ``letter_engine`` renders them in Jinja2's
sandbox). The text part is the body as written; the HTML part is the body rendered by cmark-gfm
into the branded layout (``accounts.mail``), with a box for the credit, code and sign-in button.
``render_messages`` renders a whole batch from one query (``letter_batch``: contacts, customers,
exposures, compensations and vouchers joined), or from rows the sending engine read with its claim
(``BatchRead``); each letter's merge values come from ``letter_values``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from jinja2 import TemplateError

from accounts.mail.brand import Brand, current_brand
from accounts.mail.layout import Box, BoxRow, branded_html
from accounts.mail.markdown import markdown_html
from accounts.models import Contact, Customer
from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Incident
from campaigns.mailings.letter_batch import BatchRead, Recipient, load_batch, recipients_from_rows
from campaigns.mailings.letter_engine import CompiledPart, compile_part, tidy_text
from campaigns.mailings.letter_values import Sender, letter_values
from campaigns.mailings.models import Mailing
from campaigns.mailings.placeholders import LANGUAGES, PLACEHOLDERS, template_problems, validate_content

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

_DEFAULTS_DIR = Path(settings.BASE_DIR) / "templates" / "emails"
DEFAULT_KINDS = ("apology", "correction", "reminder")


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
    """A default letter in de, fr, it and en, read from ``templates/emails/<language>/<kind>.md``
    and ``<kind>_subject.txt``: ``apology`` (the first letter), ``correction`` (after exposure
    or amounts changed), ``reminder`` (a voucher about to expire)."""
    content = {}
    for language in LANGUAGES:
        folder = _DEFAULTS_DIR / language
        content[language] = {
            "subject": (folder / f"{kind}_subject.txt").read_text(encoding="utf-8").strip(),
            "body": (folder / f"{kind}.md").read_text(encoding="utf-8"),
        }
    return content


# --- rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    subject: CompiledPart
    body: CompiledPart
    kind: str


def _compiled(content: dict, language: str, kind: str = Mailing.Kind.APOLOGY) -> _Compiled:
    parts = content[language]
    try:
        return _Compiled(compile_part(parts.get("subject") or ""), compile_part(parts.get("body") or ""), kind)
    except TemplateError as exc:
        raise LetterError([f"{language}: syntax error: {exc}"]) from exc


def _pick_language(content: dict, wanted: str, fallback: str) -> str:
    for language in (wanted, fallback, *LANGUAGES):
        if language in content:
            return language
    raise LetterError(["the letter has no language"])


@lru_cache(maxsize=8)
def _box_labels(language: str) -> dict[str, str]:
    with translation.override(language):
        return {
            "credit": pgettext("box in a letter", "Your credit"),
            "code": _("Voucher code"),
            "valid": _("Valid until"),
            "topup": _("Top-up voucher"),
            "button": _("Sign in to the customer portal"),
        }


def letter_box(values: dict, language: str, kind: str) -> Box:
    """The credit, its code and the sign-in button (an update notice: the button only)."""
    labels = _box_labels(language)
    rows: list[BoxRow] = []
    if kind != Mailing.Kind.UPDATE and values["has_credit"]:
        rows.append(BoxRow(labels["credit"], values["amount"]))
        if values["has_voucher"] and values["voucher_redeemable"]:
            rows.append(BoxRow(labels["code"], values["voucher_code"], code=True))
            rows.append(BoxRow(labels["valid"], values["voucher_expiry"]))
        if values["has_topup"]:
            rows.append(BoxRow(f"{labels['topup']} ({values['topup_amount']})", values["topup_code"], code=True))
            rows.append(BoxRow(labels["valid"], values["topup_expiry"]))
    return Box(tuple(rows), labels["button"], values["login_url"])


def _render(compiled: _Compiled, values: dict, language: str, brand: Brand) -> tuple[str, str, str]:
    try:
        subject = " ".join(compiled.subject.text(values).split())
        text = tidy_text(compiled.body.text(values))
        body_html = markdown_html(tidy_text(compiled.body.markdown(values)))
    except TemplateError as exc:
        raise LetterError([f"{language}: {exc}"]) from exc
    box = letter_box(values, language, compiled.kind)
    return subject, text, branded_html(language=language, subject=subject, body_html=body_html, box=box, brand=brand)


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
    brand = current_brand()
    compiled = {}
    messages = []
    for delivery in deliveries:
        recipient = recipients[delivery.contact_id]
        language = _pick_language(content, delivery.language, incident.default_language)
        if language not in compiled:
            compiled[language] = _compiled(content, language, mailing.kind)
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
                brand=brand,
            )
        )
    return messages


def _message(recipient: Recipient, *, incident, language, templates, attach_voucher, delivery_id, to, sender, brand):
    contact = recipient.contact
    values, voucher, shown_voucher_id = letter_values(
        incident=incident, customer=contact.customer, contact=contact, language=language,
        exposures=recipient.exposures, compensation=recipient.compensation, sender=sender,
    )  # fmt: skip
    subject, text, html = _render(templates, values, language, brand)
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
        kind = mailing_or_content.kind
    else:
        kind = Mailing.Kind.APOLOGY
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
        recipient, incident=incident, language=chosen, templates=_compiled(content, chosen, kind),
        attach_voucher=attach_voucher, delivery_id=None, to=contact.email,
        sender=Sender(live_links=False, reveal_codes=reveal_code), brand=current_brand(),
    )  # fmt: skip
