"""The mail that tells a customer how their claim was answered, in the claim's language and the
branded layout: the answer support wrote reads literally in both parts, and an accepted claim's
box repeats the amount it adds."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext

from accounts.formatting import format_money
from accounts.links import absolute_url
from accounts.mail.brand import current_brand
from accounts.mail.layout import Box, BoxRow
from accounts.mail.message import branded_message, markdown_mail
from accounts.portal_session import customer_time_zone
from campaigns.claims.models import Claim


def claim_answer_send(*, claim_id: int) -> bool:
    """Mail the answer of an answered claim to the contact who filed it (else the customer's first
    contact). Returns False when there is nothing to send."""
    claim = Claim.objects.select_related("customer", "incident", "account", "contact").filter(pk=claim_id).first()
    if claim is None or claim.status == Claim.Status.OPEN:
        return False
    contact = claim.contact or claim.customer.contacts.order_by("id").first()
    if contact is None:
        return False
    brand = current_brand()
    accepted = claim.status == Claim.Status.ACCEPTED
    url = absolute_url("portal:claim", args=[claim.pk])
    with translation.override(claim.language), timezone.override(customer_time_zone(claim.customer)):
        values = {
            "date": formats.date_format(timezone.localtime(claim.created_at), "SHORT_DATE_FORMAT"),
            "account": claim.account.name,
            "title": claim.incident.title_in(claim.language),
            "answer": claim.answer,
            "brand": brand.name,
        }
        markup = {"accepted": accepted, "url": url}
        subject = " ".join(render_to_string("portal/claims/email/answer_subject.txt", {**values, **markup}).split())
        text, body_html = markdown_mail("portal/claims/email/answer.md", values, markup)
        rows = []
        if accepted and claim.amount_added:
            label = pgettext("box in a mail", "Added to your compensation")
            rows.append(BoxRow(label, format_money(claim.amount_added, claim.currency, claim.language)))
        box = Box(tuple(rows), gettext("Open your claim"), url)
    message = branded_message(
        to=contact.email, language=claim.language, subject=subject, markdown=text, body_html=body_html, box=box,
        brand=brand,
    )  # fmt: skip
    message.send()
    return True
