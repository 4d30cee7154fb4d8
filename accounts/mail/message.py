"""Every mail the product sends, built in one place: headers a mail client trusts, the text
part (the Markdown as written) and the HTML part in the branded layout.

``branded_message`` is the one call for a slice that sends a mail (sign-in, password, claims,
redemptions, finance's warnings, letters): give it the recipient, language, subject, the Markdown
and optionally the box. ``markdown_mail`` renders a mail's Markdown template for it.
"""

from __future__ import annotations

from email.utils import format_datetime, make_msgid

from anymail.message import AnymailMessage
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.mail.brand import Brand, current_brand
from accounts.mail.layout import Box, branded_html
from accounts.mail.markdown import escape_markdown, markdown_html


def message_domain() -> str:
    """The one domain of every Message-ID the product sets (``MAIL_MESSAGE_ID_DOMAIN``)."""
    return settings.HOSTNOTIFY.get("MAIL_MESSAGE_ID_DOMAIN", "hostnotify.invalid")


def new_message_id() -> str:
    return make_msgid(domain=message_domain())


def mail_date() -> str:
    """Now as a ``Date`` header, in the product's time zone with its real offset (``+0100``, not
    ``-0000``)."""
    return format_datetime(timezone.localtime(timezone.now()))


def mail_headers(*, language: str, message_id: str | None = None, date: str | None = None) -> dict[str, str]:
    """``Date`` (now, unless given: ``mail_date``), ``Message-ID`` on the product's domain,
    ``Content-Language``, and ``Auto-Submitted`` (RFC 3834: no auto-replies to it)."""
    return {
        "Date": date or mail_date(),
        "Message-ID": message_id or new_message_id(),
        "Content-Language": language,
        "Auto-Submitted": "auto-generated",
    }


def support_reply_to(brand: Brand | None = None) -> list[str]:
    return [(brand or current_brand()).support_email]


def branded_message(
    *,
    to: str | list[str],
    language: str,
    subject: str,
    markdown: str,
    box: Box | None = None,
    body_html: str | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    message_id: str | None = None,
    brand: Brand | None = None,
) -> AnymailMessage:
    """One mail: text part ``markdown``, HTML part the Markdown (or ``body_html`` when the caller
    rendered it already) in the layout with ``box``; ``Reply-To`` support unless given."""
    brand = brand or current_brand()
    html_body = markdown_html(markdown) if body_html is None else body_html
    message = AnymailMessage(
        subject=subject,
        body=markdown,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
        reply_to=reply_to or support_reply_to(brand),
        headers=mail_headers(language=language, message_id=message_id),
    )
    message.attach_alternative(
        branded_html(language=language, subject=subject, body_html=html_body, box=box, brand=brand), "text/html"
    )
    return message


def markdown_mail(template: str, values: dict[str, str], markup: dict | None = None) -> tuple[str, str]:
    """A Markdown mail template (``{% autoescape off %}``, in the active language) rendered twice:
    the text part with ``values`` as they are, and the HTML fragment with them escaped for
    Markdown, so that nothing a customer or staff member typed becomes markup. ``markup``: what is
    Markdown or a condition already (a link in ``<…>``, a flag), the same in both."""
    markup = markup or {}
    text = render_to_string(template, {**values, **markup}).strip() + "\n"
    escaped = {name: escape_markdown(str(value)) for name, value in values.items()}
    return text, markdown_html(render_to_string(template, {**escaped, **markup}))
