"""Mails of the forms of compensation: the customer's confirmation of what a redemption did (the
partner code, the new paid-until date, the donation), and finance's warning that a partner pool
runs low. Each contact reads theirs in their language; finance in the site's language. Both in the
branded layout (``accounts.mail``); the confirmation's box repeats the voucher's code and amount,
and the partner code."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, pgettext

from accounts.formatting import format_money
from accounts.links import absolute_url
from accounts.mail.brand import current_brand
from accounts.mail.layout import Box, BoxRow
from accounts.mail.message import branded_message, markdown_mail
from accounts.models import Contact
from accounts.roles import FINANCE
from campaigns.compensation.codes import format_code
from campaigns.offers.models import Redemption
from campaigns.offers.pools import pool_states
from campaigns.offers.sentences import FORM_LABELS, choice_sentence

CONFIRMATION_ROLES = (Contact.Role.PRIMARY, Contact.Role.BILLING)


def redemption_mail_send(*, redemption_id: int) -> int:
    """Mail the confirmation to the customer's primary and billing contacts; returns how many."""
    redemption = (
        Redemption.objects.select_related("customer", "voucher", "account", "partner_code__pool")
        .filter(pk=redemption_id)
        .first()
    )
    if redemption is None:
        return 0
    contacts = Contact.objects.filter(customer=redemption.customer, role__in=CONFIRMATION_ROLES).order_by("role")
    brand = current_brand()
    sent: set[str] = set()
    for contact in contacts:
        if contact.email.lower() in sent:
            continue
        sent.add(contact.email.lower())
        language = contact.effective_language
        with translation.override(language):
            subject, text, body_html, box = _redemption_parts(redemption, language, brand.name)
        message = branded_message(
            to=contact.email, language=language, subject=subject, markdown=text, body_html=body_html, box=box,
            brand=brand,
        )  # fmt: skip
        message.send()
    return len(sent)


def _redemption_parts(redemption: Redemption, language: str, brand_name: str) -> tuple[str, str, str, Box]:
    customer, voucher, partner_code = redemption.customer, redemption.voucher, redemption.partner_code
    code = format_code(voucher.code)
    form = str(FORM_LABELS.get(redemption.form, redemption.form))
    values = {
        "code": code,
        "name": customer.name,
        "number": customer.number,
        "sentence": choice_sentence(redemption),
        "partner": partner_code.pool.partner if partner_code else "",
        "partner_code": partner_code.code if partner_code else "",
        "organisation": redemption.organisation,
        "brand": brand_name,
    }
    credit_url = absolute_url("portal:credit")
    markup = {"donation": redemption.form == "donation", "credit_url": credit_url}
    subject = " ".join(render_to_string("portal/email/redemption_subject.txt", {"form": form}).split())
    text, body_html = markdown_mail("portal/email/redemption.md", values, markup)
    rows = [
        BoxRow(gettext("Voucher code"), code, code=True),
        BoxRow(pgettext("box in a mail", "Amount"), format_money(voucher.amount, voucher.currency, language)),
        BoxRow(pgettext("box in a mail", "Redeemed as"), form),
    ]
    if partner_code:
        label = gettext("Your %(partner)s code") % {"partner": partner_code.pool.partner}
        rows.append(BoxRow(label, partner_code.code, code=True))
    return subject, text, body_html, Box(tuple(rows), gettext("Open the customer portal"), credit_url)


def pool_low_mail_send(*, pool_id: int) -> int:
    """Warn every finance user with an address that a partner pool runs low (or is empty)."""
    state = next((s for s in pool_states() if s.pool.pk == pool_id), None)
    if state is None:
        return 0
    users = get_user_model().objects.filter(is_active=True, groups__name=FINANCE).exclude(email="").distinct()
    emails = sorted({user.email for user in users})
    if not emails:
        return 0
    language = settings.LANGUAGE_CODE
    pool = state.pool
    url = absolute_url("console:partners")
    with translation.override(language):
        values = {"partner": pool.partner, "value": str(pool.face_value), "currency": pool.currency}
        markup = {"unused": state.unused, "empty": state.empty, "threshold": pool.low_threshold, "url": url}
        subject = " ".join(render_to_string("console/email/pool_low_subject.txt", values).split())
        text, body_html = markdown_mail("console/email/pool_low.md", values, markup)
        box = Box(button_label=gettext("Partner vouchers"), button_url=url)
    branded_message(to=emails, language=language, subject=subject, markdown=text, body_html=body_html, box=box).send()
    return len(emails)
