"""Mails of the forms of compensation: the customer's confirmation of what a redemption did (the
partner code, the new paid-until date, the donation), and finance's warning that a partner pool
runs low. Each contact reads theirs in their language; finance in the site's language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.links import absolute_url
from accounts.models import Contact
from accounts.roles import FINANCE
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
    sent: set[str] = set()
    for contact in contacts:
        if contact.email.lower() in sent:
            continue
        sent.add(contact.email.lower())
        with translation.override(contact.effective_language):
            context = {
                "contact": contact,
                "customer": redemption.customer,
                "redemption": redemption,
                "form": FORM_LABELS.get(redemption.form, redemption.form),
                "sentence": choice_sentence(redemption),
                "credit_url": absolute_url("portal:credit"),
                "brand": settings.HOSTNOTIFY["BRAND_NAME"],
            }
            subject = render_to_string("portal/email/redemption_subject.txt", context).strip()
            body = render_to_string("portal/email/redemption.txt", context)
        send_mail(subject, body, None, [contact.email])
    return len(sent)


def pool_low_mail_send(*, pool_id: int) -> int:
    """Warn every finance user with an address that a partner pool runs low (or is empty)."""
    state = next((s for s in pool_states() if s.pool.pk == pool_id), None)
    if state is None:
        return 0
    users = get_user_model().objects.filter(is_active=True, groups__name=FINANCE).exclude(email="").distinct()
    emails = sorted({user.email for user in users})
    if not emails:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"state": state, "url": absolute_url("console:partners")}
        subject = render_to_string("console/email/pool_low_subject.txt", context).strip()
        body = render_to_string("console/email/pool_low.txt", context)
    send_mail(subject, body, None, emails)
    return len(emails)
