"""What support does for one customer from their story page: send a letter again, or send a
fresh portal sign-in link. Both are audited under the staff member's name."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from accounts.models import Contact
from accounts.tasks import portal_link_mail
from campaigns.audit.services import audit_record


def customer_sign_in_link_send(*, contact: Contact, by) -> None:
    """Mail ``contact`` a new sign-in link in their language (after the commit, off the request);
    links sent before keep working until the contact signs in."""
    with transaction.atomic():
        audit_record(actor=by, action="customer.sign_in_link", obj=contact, email=contact.email,
                     customer=contact.customer.number)  # fmt: skip
        transaction.on_commit(partial(portal_link_mail.delay, contact.email))
