"""Replays the admin finding: a superuser edited an issued voucher's amount and set a redeemed
voucher back to "issued". Money rows, and the exposure they are computed from, are read-only in
/admin/ for everyone."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import LedgerEntry
from campaigns.compensation.services import compensation_approve, compensation_prepare
from campaigns.models import Compensation, Exposure, Voucher
from tests.factories import ExposureFactory, HostingAccountFactory


@pytest.fixture
def approved(db, finance_user):
    exposure = ExposureFactory(account=HostingAccountFactory(monthly_fee=Decimal("100.00")), affected_seconds=36000)
    compensation_prepare(incident=exposure.incident)
    compensation_approve(incident=exposure.incident, by=finance_user)
    return Voucher.objects.get()


def rows():
    return (
        list(Voucher.objects.values_list("amount", "status", "code")),
        list(Compensation.objects.values_list("amount", "status")),
        list(LedgerEntry.objects.values_list("amount", "kind")),
        list(Exposure.objects.values_list("affected_seconds", "intervals")),
    )


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("voucher", {"amount": "999.00", "status": "issued", "currency": "CHF"}),
        ("compensation", {"amount": "999.00", "status": "draft", "currency": "CHF"}),
        ("ledgerentry", {"amount": "999.00", "kind": "adjust", "currency": "CHF"}),
        ("exposure", {"affected_seconds": "999999", "intervals": "[]", "servers": "[]"}),
    ],
)
def test_a_superuser_can_neither_change_add_nor_delete_money_rows(client, admin_user, approved, model, fields):
    before = rows()
    client.force_login(admin_user)
    label = "accounts" if model == "ledgerentry" else "campaigns"
    pk = {
        "voucher": approved.pk,
        "compensation": approved.compensation_id,
        "exposure": Exposure.objects.values_list("pk", flat=True).first(),
    }.get(model)
    if pk is None:
        pk = LedgerEntry.objects.get().pk
    change = client.post(reverse(f"admin:{label}_{model}_change", args=[pk]), fields)
    add = client.post(reverse(f"admin:{label}_{model}_add"), fields)
    delete = client.post(reverse(f"admin:{label}_{model}_delete", args=[pk]), {"post": "yes"})
    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert rows() == before
    # the page still shows the row, read-only
    page = client.get(reverse(f"admin:{label}_{model}_change", args=[pk]))
    assert page.status_code == 200 and b'type="submit"' not in page.content.split(b'id="content-main"')[1]
