"""Portal sessions, separate from staff authentication.

The session holds the contact id and a digest of the contact's password hash, so changing the
password ends every other session of that contact. ``request.portal_contact`` and
``request.portal_customer`` are set by ``portal_login_required``; views run in the customer's
time zone.
"""

import functools
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import Contact, Customer, PortalSignIn
from accounts.private_apis import PreparedValues, model_fields, model_from_values
from accounts.services.contact_tokens import contact_rotate_token_secret

SESSION_CONTACT = "portal_contact_id"
SESSION_HASH = "portal_contact_hash"


def _password_digest(contact: Contact) -> str:
    return salted_hmac("hostnotify.portal.session", contact.password or "-").hexdigest()


def portal_sign_in(request, contact: Contact, *, method: str = "") -> None:
    """Start a portal session for ``contact``: a new session key, and ``last_login`` set, which
    spends every magic link issued before. A ``method`` (``PortalSignIn.Method``) records the
    sign-in for the customer's story; a session renewed after a password change passes none."""
    now = timezone.now()
    # One commit for the new session row, the spent links and the sign-in record, not one each:
    # hundreds of customers arrive in the same minute after a mailing, each commit waits for the disk.
    with transaction.atomic():
        request.session[SESSION_CONTACT] = contact.pk
        request.session[SESSION_HASH] = _password_digest(contact)
        if request.session.session_key is not None:
            # A session that existed before (looked up above) gets a new key. Without one, the
            # session middleware saves this one under a fresh key: one insert, not an insert and
            # an update.
            request.session.cycle_key()
        contact_rotate_token_secret(contact=contact, last_login=now)
        if method:
            PortalSignIn.objects.create(
                contact=contact, customer_id=contact.customer_id, method=method, signed_in_at=now
            )


def portal_sign_out(request) -> None:
    """End this session; every sign-in link sent to the contact before stops working too."""
    contact = portal_contact(request)
    if contact is not None:
        contact_rotate_token_secret(contact=contact)
    request.session.pop(SESSION_CONTACT, None)
    request.session.pop(SESSION_HASH, None)
    request.session.cycle_key()


# Read on every portal request: compiled once (building the query cost more CPU than running it).
_CONTACT_WITH_CUSTOMER = PreparedValues(
    lambda pk: Contact.objects.filter(pk=pk).values(*model_fields(Contact), *model_fields(Customer, "customer__")),
    "pk",
)


def _contact_with_customer(contact_id: int) -> Contact | None:
    row = _CONTACT_WITH_CUSTOMER.first(pk=contact_id)
    if row is None:
        return None
    contact = model_from_values(Contact, row)
    contact.customer = model_from_values(Customer, row, "customer__")
    return contact


def portal_contact(request) -> Contact | None:
    contact_id = request.session.get(SESSION_CONTACT)
    if not isinstance(contact_id, int):
        return None
    contact = _contact_with_customer(contact_id)
    if contact is None or not constant_time_compare(request.session.get(SESSION_HASH, ""), _password_digest(contact)):
        return None
    return contact


def customer_time_zone(customer) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or settings.DEFAULT_CUSTOMER_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.DEFAULT_CUSTOMER_TIME_ZONE)


def portal_login_required(view):
    """Send visitors without a portal session to the sign-in page; run the view in the
    customer's time zone."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        contact = portal_contact(request)
        if contact is None:
            return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
        request.portal_contact = contact
        request.portal_customer = contact.customer
        with timezone.override(customer_time_zone(contact.customer)):
            return view(request, *args, **kwargs)

    return wrapper
