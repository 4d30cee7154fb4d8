"""The mail that tells a customer how their claim was answered, in the claim's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

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
    with translation.override(claim.language), timezone.override(customer_time_zone(claim.customer)):
        context = {
            "claim": claim,
            "customer": claim.customer,
            "incident_title": claim.incident.title_in(claim.language),
            "url": settings.SITE_URL + reverse("portal:claim", args=[claim.pk]),
            "brand": settings.HOSTNOTIFY["BRAND_NAME"],
        }
        subject = render_to_string("portal/claims/email/answer_subject.txt", context).strip()
        body = render_to_string("portal/claims/email/answer.txt", context)
    send_mail(subject, body, None, [contact.email])
    return True
