"""STAND-IN for branch issue4ui, which owns the letters: replaced by its version at merge.

The sending engine relies only on this interface:
- ``default_content() -> {"de": {"subject", "text", "html"}, ...}``
- ``render_messages(mailing, deliveries) -> {delivery_id: RenderedMessage}`` with set-based loading.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Customer


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def default_content() -> dict:
    return {
        "de": {
            "subject": "Entschuldigung für den Ausfall",
            "text": "Guten Tag {customer_name}\n\nWir entschuldigen uns für den Ausfall.",
            "html": "<p>Guten Tag {customer_name}</p><p>Wir entschuldigen uns für den Ausfall.</p>",
        },
        "fr": {
            "subject": "Nos excuses pour la panne",
            "text": "Bonjour {customer_name}\n\nNous vous prions de nous excuser.",
            "html": "<p>Bonjour {customer_name}</p><p>Nous vous prions de nous excuser.</p>",
        },
        "it": {
            "subject": "Ci scusiamo per il guasto",
            "text": "Buongiorno {customer_name}\n\nCi scusiamo per il guasto.",
            "html": "<p>Buongiorno {customer_name}</p><p>Ci scusiamo per il guasto.</p>",
        },
        "en": {
            "subject": "Our apologies for the outage",
            "text": "Hello {customer_name}\n\nWe apologise for the outage.",
            "html": "<p>Hello {customer_name}</p><p>We apologise for the outage.</p>",
        },
    }


def render_messages(mailing, deliveries) -> dict[int, RenderedMessage]:
    names = dict(Customer.objects.filter(pk__in={d.customer_id for d in deliveries}).values_list("pk", "name"))
    rendered = {}
    for delivery in deliveries:
        content = mailing.content.get(delivery.language) or mailing.content[mailing.incident.default_language]
        context = {"customer_name": names.get(delivery.customer_id, "")}
        rendered[delivery.pk] = RenderedMessage(
            subject=content["subject"].format_map(context),
            text=content["text"].format_map(context),
            html=content["html"].format_map(context),
        )
    return rendered
