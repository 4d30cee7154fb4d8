"""The books most finance tests start from."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from campaigns.compensation.release import voucher_void, vouchers_expire_due
from tests.factories import (
    AffectedCustomerFactory,
    CustomerFactory,
    ExposureFactory,
    HostingAccountFactory,
    IncidentFactory,
    PlacementFactory,
    ServerFactory,
    StorageVolumeFactory,
)


@pytest.fixture(autouse=True)
def _english():
    """Expected texts below are English; the product's default language is German."""
    with translation.override("en"):
        yield


@pytest.fixture
def books(db, finance_user):
    """Incident "storage": four CHF customers and one EUR customer; incident "other": one more."""
    storage, other = IncidentFactory(slug="storage"), IncidentFactory(slug="other")
    vol_a, vol_b = StorageVolumeFactory(name="volA"), StorageVolumeFactory(name="volB")
    s1 = ServerFactory(name="s1", storage_volume=vol_a)
    s2 = ServerFactory(name="s2", storage_volume=vol_a)
    s3 = ServerFactory(name="s3", storage_volume=vol_b)
    c1 = CustomerFactory(number="C1", language="de")
    c2 = CustomerFactory(number="C2", language="fr")
    c3 = CustomerFactory(number="C3", language="en", currency="EUR")
    c4 = CustomerFactory(number="C4", language="de")
    c5 = CustomerFactory(number="C5", language="it")

    def exposed(customer, server, product="Webhosting Pro", incident=storage, servers=None):
        account = HostingAccountFactory(customer=customer, product=product)
        PlacementFactory(account=account, server=server)
        ExposureFactory(incident=incident, account=account, servers=servers or [server.name])

    exposed(c1, s1)
    exposed(c1, s2, product="Managed Server")  # c1 counts under s1 and s2
    exposed(c2, s2)
    exposed(c3, s3)
    exposed(c4, s1)
    exposed(c5, s3, incident=other)
    # their compensations and vouchers, booked as issued: valid until 2030, v3 expired in 2020
    issued, valid = {"accounts": 0, "with_voucher": True, "booked": True}, dt.date(2030, 1, 1)
    v1 = AffectedCustomerFactory(
        incident=storage, customer=c1, amount=Decimal("20.00"), tier="10%", expires_on=valid, **issued
    ).voucher
    v2 = AffectedCustomerFactory(
        incident=storage, customer=c2, amount=Decimal("50.00"), tier="25%", expires_on=valid, redeemed=True, **issued
    ).voucher
    v3 = AffectedCustomerFactory(
        incident=storage, customer=c3, amount=Decimal("10.00"), tier="10%", expires_on="2020-01-01", **issued
    ).voucher
    v4 = AffectedCustomerFactory(
        incident=storage, customer=c4, amount=Decimal("5.00"), tier="10%", expires_on=valid, **issued
    ).voucher
    v5 = AffectedCustomerFactory(
        incident=other, customer=c5, amount=Decimal("100.00"), tier="100%", expires_on=valid, **issued
    ).voucher
    vouchers_expire_due(today=dt.date(2026, 1, 1))
    voucher_void(voucher=v4, by=finance_user, reason="wrong customer")
    return {"storage": storage, "other": other, "v1": v1, "v2": v2, "v3": v3, "v4": v4, "v5": v5}
