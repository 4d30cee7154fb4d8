"""Reads: incidents, exposure, a customer's outcome (codes only with the vouchers scope), mailings."""

import datetime as dt

from django.utils import timezone

from campaigns.models import Incident
from tests.factories import (
    CompensationFactory,
    DeliveryFactory,
    ExposureFactory,
    HostingAccountFactory,
    IncidentFactory,
    MailingFactory,
    VoucherFactory,
)


def test_incidents_are_paged_and_filtered_by_updated_since(api):
    old, new = IncidentFactory(slug="old"), IncidentFactory(slug="new")
    Incident.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=2))
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()

    everything = api.get("/api/v1/incidents/", limit=1).json()
    changed = api.get("/api/v1/incidents/", updated_since=since).json()

    assert [everything["count"], everything["next_offset"], everything["items"][0]["slug"]] == [2, 1, "old"]
    assert api.get("/api/v1/incidents/", limit=1, offset=1).json()["items"][0]["slug"] == "new"
    assert [changed["count"], [i["slug"] for i in changed["items"]]] == [1, ["new"]]
    assert new.slug == "new"


def test_a_bad_query_is_a_422_problem_listing_each_parameter(api):
    response = api.get("/api/v1/incidents/", limit=0, updated_since="yesterday")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert sorted(e["loc"][-1] for e in response.json()["errors"]) == ["limit", "updated_since"]


def _customer_outcome():
    incident = IncidentFactory(slug="storage-2005")
    first = HostingAccountFactory(name="web1")
    second = HostingAccountFactory(name="web2", customer=first.customer)
    # Overlapping intervals on two accounts: the customer's downtime counts the overlap once.
    ExposureFactory(
        incident=incident,
        account=first,
        affected_seconds=3 * 3600,
        intervals=[["2005-12-31T22:30:00+00:00", "2006-01-01T01:30:00+00:00", "server19"]],
    )
    ExposureFactory(
        incident=incident,
        account=second,
        affected_seconds=2 * 3600,
        servers=["server20"],
        intervals=[["2006-01-01T00:30:00+00:00", "2006-01-01T02:30:00+00:00", "server20"]],
    )
    compensation = CompensationFactory(incident=incident, customer=first.customer)
    voucher = VoucherFactory(compensation=compensation, code="ABCD2345EFGH6789")
    return first.customer, voucher


def test_a_customers_outcome_with_the_vouchers_scope_shows_the_code(api):
    customer, _ = _customer_outcome()

    body = api.get(f"/api/v1/customers/{customer.number}/incidents/storage-2005/").json()

    assert body["downtime_seconds"] == 4 * 3600
    assert [(a["account"], a["affected_seconds"], a["servers"]) for a in body["accounts"]] == [
        ("web1", 10800, ["server19"]),
        ("web2", 7200, ["server20"]),
    ]
    assert body["compensation"]["amount"] == "10.00"
    assert body["compensation"]["explanation"]["accounts"][0]["tier"] == "24h"
    assert [v["code"] for v in body["vouchers"]] == ["ABCD-2345-EFGH-6789"]


def test_without_the_vouchers_scope_codes_are_masked(make_api):
    customer, _ = _customer_outcome()

    body = make_api("read").get(f"/api/v1/customers/{customer.number}/incidents/storage-2005/").json()

    assert [v["code"] for v in body["vouchers"]] == ["ABCD-••••-••••-6789"]


def test_a_customer_not_hit_by_the_incident_is_404(api):
    _customer_outcome()
    other = HostingAccountFactory().customer

    response = api.get(f"/api/v1/customers/{other.number}/incidents/storage-2005/")

    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_a_mailings_delivery_status(api):
    mailing = MailingFactory(status="sending")
    for status in ("sent", "sent", "failed", "pending"):
        DeliveryFactory(mailing=mailing, status=status)

    body = api.get(f"/api/v1/mailings/{mailing.pk}/").json()

    assert {k: body[k] for k in ("status", "total", "sent", "failed", "pending")} == {
        "status": "sending",
        "total": 4,
        "sent": 2,
        "failed": 1,
        "pending": 1,
    }
    assert api.get("/api/v1/mailings/9223372036854775807/").status_code == 404
    assert api.get("/api/v1/mailings/9223372036854775808/").status_code == 422
