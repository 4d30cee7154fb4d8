"""A customer hit by the Christmas 2005 outage through the real pipeline (windows, placements,
exposure, compensation prepared by support and approved by finance), and the staff who answer
their claims: shared by the claims tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User

from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.incidents.exposure import exposure_recompute
from tests.factories import (
    CustomerFactory,
    HostingAccountFactory,
    IncidentFactory,
    OutageWindowFactory,
    PlacementFactory,
    ServerFactory,
    utc,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def staff(name: str, *roles: str) -> User:
    user = User.objects.create_user(name, password="pw-" + name + "-123456", is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@dataclass
class ClaimsWorld:
    customer: object
    contact: object
    account: object
    other_account: object
    incident: object
    support: User
    finance: User


def claims_world(*, language="de", number="K004200", approve=True, email=None) -> ClaimsWorld:
    """Customer ``number`` (fee CHF 100.00) on server19, down 31.12.2005 23:30 – 02.01.2006 19:00
    Zurich time (43 h 30 min: 50 % → CHF 50.00); a second account of theirs on server20 was not hit."""
    server, quiet = ServerFactory(name="server19"), ServerFactory(name="server20")
    customer = CustomerFactory(number=number, name=f"Kunde {number}", language=language, email=email)
    account = HostingAccountFactory(name=f"web-{number.lower()}", customer=customer, monthly_fee=Decimal("100.00"))
    other = HostingAccountFactory(name=f"mail-{number.lower()}", customer=customer, monthly_fee=Decimal("40.00"))
    PlacementFactory(account=account, server=server, active_from=utc(2005, 1, 1))
    PlacementFactory(account=other, server=quiet, active_from=utc(2005, 1, 1))
    incident = IncidentFactory(slug="christmas-2005", title="Storage outage Christmas 2005")
    OutageWindowFactory(incident=incident, server=server, start=utc(2005, 12, 31, 22, 30), end=utc(2006, 1, 2, 18))
    support = User.objects.filter(username="support1").first() or staff("support1", "support")
    finance = User.objects.filter(username="finance1").first() or staff("finance1", "finance")
    exposure_recompute(incident=incident)
    compensation_prepare(incident=incident, by=support)
    if approve:
        compensation_approve(incident=incident, by=finance)
    return ClaimsWorld(customer, customer.contacts.get(), account, other, incident, support, finance)
