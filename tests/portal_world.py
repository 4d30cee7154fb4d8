"""A customer hit by an outage, as the portal sees it: shared by the portal tests."""

import re
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile

from tests.factories import (
    CompensationFactory,
    CustomerFactory,
    ExposureFactory,
    HostingAccountFactory,
    IncidentFactory,
    VoucherFactory,
)

PDF_BYTES = b"%PDF-1.4\n% hostnotify test voucher\n%%EOF\n"
LINK = re.compile(r"https?://[^\s]+/portal/login/[^\s/]+/")


@dataclass
class World:
    customer: object
    contact: object
    incident: object
    compensation: object
    voucher: object


def portal_world(*, number="C000042", email="anna@kunde.example.ch", language="de", options=None, pdf=True):
    """Customer ``number`` with one account on server19, down 31.12.2005 23:30 – 02.01.2006 19:00
    (Zurich time) in incident ``christmas-2005``, compensated CHF 10.00 by an issued voucher."""
    customer = CustomerFactory(number=number, name=f"Kunde {number}", language=language, email=email)
    incident = IncidentFactory(
        slug="christmas-2005", title="Storage outage Christmas 2005", redemption_options=options or ["balance"]
    )
    account = HostingAccountFactory(name=f"web-{number.lower()}", customer=customer)
    ExposureFactory(
        incident=incident,
        account=account,
        customer=customer,
        affected_seconds=43 * 3600 + 30 * 60,
        intervals=[["2005-12-31T22:30:00+00:00", "2006-01-02T18:00:00+00:00", "server19"]],
        servers=["server19"],
    )
    compensation = CompensationFactory(incident=incident, customer=customer)
    voucher = VoucherFactory(compensation=compensation)
    if pdf:
        voucher.pdf.save(f"{voucher.code}.pdf", ContentFile(PDF_BYTES))
    return World(customer, customer.contacts.get(), incident, compensation, voucher)


def link_from(message) -> str:
    """The sign-in link in a sent mail."""
    return LINK.search(message.body).group(0)


def private_cache(settings) -> None:
    """A cache of the test's own: rate-limit counters of parallel test workers (which share the
    client address 127.0.0.1 and, with REDIS_URL, one Redis database) must not add up."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
