"""Letters: rendering mailings, set-based, and previews; the default apology.

The placeholder language and ``validate_content`` live in ``campaigns.mailings.placeholders`` (re-exported
here). Subjects and text bodies render without HTML escaping, HTML bodies with it, through
templates compiled once per content and language (``campaigns.mailings.template_engine``).
``render_messages`` renders a whole batch from one query (contacts, customers, exposures,
compensations and vouchers joined), or from rows the sending engine read with its claim
(``BatchRead``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db.models import F, FilteredRelation, Q
from django.template import Engine, TemplateSyntaxError
from django.utils.safestring import mark_safe

from accounts.formatting import format_money
from accounts.models import Contact, Customer
from accounts.private_apis import EmbeddedQuery
from accounts.services.portal_auth import MagicLinks
from campaigns.compensation import codes
from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Incident
from campaigns.mailings import phrases
from campaigns.mailings.models import Mailing
from campaigns.mailings.placeholders import LANGUAGES, PLACEHOLDERS, template_problems, validate_content
from campaigns.mailings.template_engine import LetterTemplate, escape_html

__all__ = [
    "LANGUAGES",
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


def default_content() -> dict:
    """The default apology in de, fr, it and en, read from ``templates/emails/<language>/``."""
    content = {}
    for language in LANGUAGES:
        folder = _DEFAULTS_DIR / language
        content[language] = {
            "subject": (folder / "apology_subject.txt").read_text(encoding="utf-8").strip(),
            "text": (folder / "apology.txt").read_text(encoding="utf-8"),
            "html": (folder / "apology.html").read_text(encoding="utf-8"),
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


@dataclass(slots=True)
class _CustomerData:
    """What a letter reads of a customer; cheaper to build per row than a model instance."""

    pk: int
    number: str
    name: str
    language: str
    currency: str
    time_zone: str


@dataclass(slots=True)
class _ContactData:
    """What a letter and its sign-in link read of a contact (see ``portal_auth``)."""

    pk: int
    customer: _CustomerData
    email: str
    name: str
    language: str
    password: str
    last_login: dt.datetime | None
    token_secret: str = ""

    @property
    def customer_id(self) -> int:
        return self.customer.pk


@dataclass
class _Recipient:
    contact: _ContactData
    exposures: list[tuple] = field(default_factory=list)  # (account, product, seconds, intervals)
    compensation: dict | None = None  # amount, currency, explanation, voucher (a Voucher or None)


_BATCH_COLUMNS = (
    "id", "email", "name", "language", "password", "last_login", "customer_id", "customer__number",
    "customer__name", "customer__language", "customer__currency", "customer__time_zone",
    "exp__id", "exp__account__name", "exp__account__product", "exp__affected_seconds", "exp__intervals",
    "comp__id", "comp__amount", "comp__currency", "comp__explanation", "comp__vouchers__id",
    "comp__vouchers__code", "comp__vouchers__amount", "comp__vouchers__currency", "comp__vouchers__expires_on",
    "comp__vouchers__status", "comp__vouchers__is_topup", "comp__vouchers__pdf", "token_secret",
)  # fmt: skip
# Selected under short aliases (l0, l1, …), so that the query can also be embedded as a subquery.
_ALIASES = tuple(f"l{index}" for index in range(len(_BATCH_COLUMNS)))
_ORDER = tuple(_ALIASES[_BATCH_COLUMNS.index(path)] for path in ("id", "exp__account__name", "exp__id"))
_EXPOSURE_ID = _BATCH_COLUMNS.index("exp__id")
_COMPENSATION_ID = _BATCH_COLUMNS.index("comp__id")
_TOKEN_SECRET = _BATCH_COLUMNS.index("token_secret")


def _batch_queryset(incident_id: int, contact_ids=None):
    """Each contact with its customer, the customer's exposures in the incident (LEFT JOIN) and
    its compensation with vouchers (LEFT JOIN); every contact unless ``contact_ids`` says which."""
    contacts = Contact.objects.all() if contact_ids is None else Contact.objects.filter(pk__in=contact_ids)
    return (
        contacts.order_by()
        .annotate(
            exp=FilteredRelation("customer__exposures", condition=Q(customer__exposures__incident_id=incident_id)),
            comp=FilteredRelation(
                "customer__compensations", condition=Q(customer__compensations__incident_id=incident_id)
            ),
        )
        .annotate(**{alias: F(path) for alias, path in zip(_ALIASES, _BATCH_COLUMNS, strict=True)})
        .values_list(*_ALIASES)
    )


def _load_batch(incident_id: int, contact_ids) -> dict[int, _Recipient]:
    """Everything the letters of these contacts need, in ONE query."""
    return recipients_from_rows(_batch_queryset(incident_id, contact_ids).order_by(*_ORDER))


class BatchRead:
    """The batch query as SQL to embed in a larger statement (the sending engine claims a batch
    and reads its letters' data in one). ``sql``/``params`` select the columns that
    ``recipients_from_rows`` reads, under aliases, for every contact: the larger statement joins
    it on ``contact_alias`` to the contacts it wants. ``order_by(table)`` orders the rows as
    ``recipients_from_rows`` needs; ``convert(rows)`` applies Django's conversions (JSON, …) to
    the fetched rows, which may carry further columns after these."""

    def __init__(self, incident_id: int):
        self._query = EmbeddedQuery(_batch_queryset(incident_id))
        self.sql, self.params = self._query.sql, self._query.params
        self.width = len(_ALIASES)
        self.contact_alias = _ALIASES[0]

    @staticmethod
    def order_by(table: str) -> str:
        return ", ".join(f"{table}.{alias}" for alias in _ORDER)

    def convert(self, rows: list) -> list:
        return self._query.convert(rows)


def recipients_from_rows(rows) -> dict[int, _Recipient]:
    """Assemble the batch query's rows (ordered by contact, account name, exposure) into recipients."""
    recipients: dict[int, _Recipient] = {}
    seen_exposures: set[tuple[int, int]] = set()
    for row in rows:
        contact_id = row[0]
        if contact_id is None:  # the embedding statement's outer join found no contact
            continue
        recipient = recipients.get(contact_id)
        if recipient is None:
            _, email, name, language, password, last_login, customer_id, number, c_name, c_lang, currency, tz = row[:12]
            customer = _CustomerData(customer_id, number, c_name, c_lang, currency, tz)
            contact = _ContactData(
                contact_id, customer, email, name, language, password, last_login, row[_TOKEN_SECRET]
            )
            recipient = recipients[contact_id] = _Recipient(contact=contact)
        exposure_id = row[_EXPOSURE_ID]
        if exposure_id is not None and (contact_id, exposure_id) not in seen_exposures:
            seen_exposures.add((contact_id, exposure_id))
            recipient.exposures.append(row[_EXPOSURE_ID + 1 : _EXPOSURE_ID + 5])
        if row[_COMPENSATION_ID] is not None:
            _add_compensation(recipient, row)
    return recipients


def _add_compensation(recipient: _Recipient, row) -> None:
    comp_id, amount, currency, explanation, voucher_id, code, v_amount, v_currency, expires_on, status, topup, pdf = (
        row[_COMPENSATION_ID : _COMPENSATION_ID + 12]
    )
    if recipient.compensation is None:
        recipient.compensation = {"amount": amount, "currency": currency, "explanation": explanation, "voucher": None}
    if voucher_id is None or topup or status == Voucher.Status.VOID:
        return
    current = recipient.compensation["voucher"]
    if current is None or (status == Voucher.Status.ISSUED and current.status != Voucher.Status.ISSUED):
        recipient.compensation["voucher"] = _VoucherData(
            voucher_id, comp_id, recipient.contact.customer_id, code, v_amount, v_currency, expires_on, status, pdf
        )


@dataclass(slots=True)
class _VoucherData:
    """A voucher as the letter reads it; ``as_model()`` for attaching its PDF."""

    pk: int
    compensation_id: int
    customer_id: int
    code: str
    amount: Decimal
    currency: str
    expires_on: dt.date
    status: str
    pdf: str | None

    def as_model(self) -> Voucher:
        return Voucher(
            pk=self.pk, compensation_id=self.compensation_id, customer_id=self.customer_id, code=self.code,
            amount=self.amount, currency=self.currency, expires_on=self.expires_on, status=self.status,
            pdf=self.pdf or "",
        )  # fmt: skip


def _credit_details(explanation, language: str) -> list[str]:
    """Per account its share, and the minimum where it applied, from the policy's explanation
    (``campaigns.compensation.policy.customer_amount``); anything it lacks is left out."""
    if not isinstance(explanation, dict):
        return []
    details = []
    for item in explanation.get("accounts") or []:
        if not isinstance(item, dict) or not item.get("account"):
            continue
        percent, hours = str(item.get("percent") or ""), str(item.get("hours") or "")
        if percent not in ("", "0") or hours:
            details.append(phrases.share_text(language, account=item["account"], percent=percent, hours=hours))
    if explanation.get("minimum_applied") and explanation.get("minimum"):
        currency = explanation.get("currency") or "CHF"
        details.append(
            phrases.minimum_text(language, format_money(Decimal(explanation["minimum"]), currency, language))
        )
    return details


@lru_cache(maxsize=4096)
def _local_text(iso_utc: str, time_zone: str) -> str:
    """A stored UTC instant as local wall-clock text; windows repeat across a whole batch."""
    return phrases.local_datetime(dt.datetime.fromisoformat(iso_utc), time_zone)


class _Sender:
    """What every letter of a batch shares: addresses, brand, and the signer of sign-in links
    (None for previews and test sends, whose link signs nobody in: staff must not hold
    customers' keys)."""

    def __init__(self, *, live_links: bool, reveal_codes: bool | None = None):
        hostnotify = getattr(settings, "HOSTNOTIFY", {})
        self.links = MagicLinks() if live_links else None
        # The customer's own letter carries the code whole; a preview only for finance.
        self.reveal_codes = live_links if reveal_codes is None else reveal_codes
        self.preview_link = f"{settings.SITE_URL}/portal/login/preview/"
        self.portal_url = f"{settings.SITE_URL}/portal/"
        self.support_email = hostnotify.get("SUPPORT_EMAIL") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        self.brand_name = hostnotify.get("BRAND_NAME", "")
        self.default_time_zone = settings.DEFAULT_CUSTOMER_TIME_ZONE

    def login_url(self, contact) -> str:
        return self.links.url(contact) if self.links is not None else self.preview_link


def _context(
    *,
    incident: Incident,
    customer: _CustomerData,
    contact: _ContactData,
    language: str,
    exposures,
    compensation,
    sender: _Sender,
):
    tz = customer.time_zone or sender.default_time_zone
    accounts = []
    for name, product, seconds, intervals in exposures:
        windows = [
            {"server": server, "start": _local_text(start, tz), "end": _local_text(end, tz)}
            for start, end, server in intervals
        ]
        for window in windows:
            window["text"] = phrases.window_text(language, window["start"], window["end"])
        accounts.append(
            {
                "name": name,
                "product": product,
                "servers": ", ".join(dict.fromkeys(w["server"] for w in windows)),
                "duration": phrases.duration(seconds),
                "sentence": phrases.account_sentence(
                    language, name, [(w["server"], w["start"], w["end"]) for w in windows]
                ),
                "windows": windows,
            }
        )
    # The customer's downtime is their longest-hit account's, not a sum of account-hours.
    longest = max((seconds for _, _, seconds, _ in exposures), default=0)
    compensation = compensation or {}
    amount = compensation.get("amount") or Decimal("0")
    currency = compensation.get("currency") or customer.currency
    amount_text = format_money(amount, currency, language) if amount > 0 else ""
    voucher = compensation.get("voucher") if amount > 0 else None
    return {
        "customer_name": customer.name,
        "customer_number": customer.number,
        "contact_name": contact.name or customer.name,
        "contact_email": contact.email,
        "incident_title": incident.title,
        "accounts": accounts,
        "accounts_block": "\n".join(a["sentence"] for a in accounts),
        "longest_duration": phrases.duration(longest),
        "has_credit": amount > 0,
        "amount": amount_text or format_money(Decimal("0"), currency, language),
        "currency": currency,
        "credit_explanation": phrases.credit_line(
            language,
            amount_text=amount_text,
            seconds=longest,
            details=_credit_details(compensation.get("explanation"), language),
        ),
        "has_voucher": voucher is not None,
        "voucher_code": (codes.format_code if sender.reveal_codes else codes.mask_code)(voucher.code)
        if voucher
        else "",
        "voucher_expiry": phrases.local_date(voucher.expires_on) if voucher else "",
        "login_url": sender.login_url(contact),
        "portal_url": sender.portal_url,
        "support_email": sender.support_email,
        "brand_name": sender.brand_name,
    }, voucher


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
        recipients = _load_batch(incident.pk, {d.contact_id for d in deliveries})
    sender = _Sender(live_links=True)
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


def _message(recipient: _Recipient, *, incident, language, templates, attach_voucher, delivery_id, to, sender):
    contact = recipient.contact
    values, voucher = _context(
        incident=incident, customer=contact.customer, contact=contact, language=language,
        exposures=recipient.exposures, compensation=recipient.compensation, sender=sender,
    )  # fmt: skip
    subject, text, html = _render(templates, values)
    return RenderedMessage(
        delivery_id=delivery_id, contact_id=contact.pk, customer_id=contact.customer_id, to=to or contact.email,
        language=language, subject=subject, text=text, html=html,
        voucher=voucher.as_model() if attach_voucher and voucher is not None else None,
        shown_voucher_id=voucher.pk if voucher is not None else None,
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
    that the sign-in link is a dummy (``…/portal/login/preview/``) that signs nobody in, and the
    voucher code is masked unless ``reveal_code`` (finance; see ``compensation.code_access``).

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
    recipient = _load_batch(incident.pk, [contact.pk])[contact.pk]
    if not recipient.exposures:
        raise CustomerNotAffected(f"customer {customer.number} is not affected by {incident.slug}")
    chosen = _pick_language(content, language or contact.language or customer.language, incident.default_language)
    return _message(
        recipient, incident=incident, language=chosen, templates=_compiled(content, chosen),
        attach_voucher=attach_voucher, delivery_id=None, to=contact.email,
        sender=_Sender(live_links=False, reveal_codes=reveal_code),
    )  # fmt: skip
