"""Inventory bulk upsert as JSON: the CSV import's validation, all or nothing, idempotent."""

from decimal import Decimal

from accounts.models import Contact, Customer, HostingAccount, Placement, Server
from campaigns.models import AuditEntry, Exposure
from tests.factories import IncidentFactory, OutageWindowFactory, ServerFactory, utc

URL = "/api/v1/inventory/"

PAYLOAD = {
    "servers": [
        {"name": "server19", "hostname": "s19.example.ch", "storage_volume": "vol-a", "datacenter": "ZH1"},
        {"name": "server20", "hostname": "s20.example.ch", "storage_volume": "", "datacenter": "ZH1"},
    ],
    "customers": [
        {"number": "K1", "name": "Muster AG", "email": "IT@Muster.example.ch", "language": "de", "currency": "CHF"},
        {"number": "K2", "name": "Dupont SA", "email": "it@dupont.example.ch", "language": "fr", "currency": "EUR"},
    ],
    "accounts": [
        {
            "account": "web1",
            "customer_number": "K1",
            "product": "Webhosting Pro",
            "monthly_fee": "20.00",
            "placements": [
                {"server": "server19", "active_from": "2005-01-01", "active_until": "2006-01-01 12:00"},
                {"server": "server20", "active_from": "2006-01-01 12:00", "active_until": None},
            ],
        },
        {
            "account": "web2",
            "customer_number": "K2",
            "product": "Mail",
            "monthly_fee": 9.5,
            "placements": [{"server": "server20", "active_from": "2005-06-01T00:00:00+02:00"}],
        },
    ],
}


def test_upsert_creates_everything_then_the_same_payload_changes_nothing(api):
    first = api.post(URL, PAYLOAD)
    second = api.post(URL, PAYLOAD)

    assert first.status_code == 200
    body = first.json()
    assert {
        k: body["created"][k] for k in ("servers", "volumes", "customers", "contacts", "accounts", "placements")
    } == {
        "servers": 2,
        "volumes": 1,
        "customers": 2,
        "contacts": 2,
        "accounts": 2,
        "placements": 3,
    }
    assert not any(second.json()["created"].values()) and not any(second.json()["updated"].values())
    assert list(Placement.objects.filter(account__name="web1").values_list("server__name", "active_from")) == [
        ("server19", utc(2004, 12, 31, 23)),
        ("server20", utc(2006, 1, 1, 11)),
    ]
    assert HostingAccount.objects.get(name="web2").monthly_fee == Decimal("9.50")
    assert Contact.objects.get(customer__number="K1").email == "it@muster.example.ch"
    assert AuditEntry.objects.filter(action="inventory.upsert").count() == 1
    assert AuditEntry.objects.get(action="inventory.upsert").actor_label == "api:integration"


def test_every_bad_item_is_reported_with_its_index_and_nothing_is_written(api):
    bad = {
        "customers": [
            PAYLOAD["customers"][0],
            {"number": "K2", "name": "", "email": "not-an-address", "language": "es", "currency": "CHF"},
            {**PAYLOAD["customers"][0], "name": "Again"},
        ],
        "accounts": [
            {
                **PAYLOAD["accounts"][1],
                "customer_number": "K9",
                "placements": [{"server": "server99", "active_from": "2005-03-27 02:30"}],
            }
        ],
    }

    response = api.post(URL, bad)

    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "7 bad item(s); nothing was written."
    assert [(e["resource"], e["index"], e["msg"]) for e in problem["errors"]] == [
        (
            "accounts",
            0,
            "active_from: '2005-03-27 02:30' does not exist in Europe/Zurich (clocks skipped it for summer time)",
        ),
        ("accounts", 0, "unknown customer 'K9'"),
        ("accounts", 0, "unknown server 'server99'"),
        ("customers", 1, "bad e-mail address 'not-an-address'"),
        ("customers", 1, "bad language 'es' (one of de, fr, it, en)"),
        ("customers", 1, "name is empty"),
        ("customers", 2, "duplicate customer number 'K1' (first on item 0)"),
    ]
    assert problem["errors"][0]["loc"] == ["body", "accounts", 0]
    assert Customer.objects.count() == 0
    assert Server.objects.count() == 0


def test_a_schema_error_names_the_item(api):
    response = api.post(URL, {"customers": [PAYLOAD["customers"][0], {"number": "K2"}]})

    assert response.status_code == 422
    assert {tuple(e["loc"][-3:]) for e in response.json()["errors"]} == {
        ("customers", "1", "name"),
        ("customers", "1", "email"),
        ("customers", "1", "language"),
        ("customers", "1", "currency"),
    }
    assert Customer.objects.count() == 0


def test_dry_run_writes_nothing(api):
    response = api.post(URL, {**PAYLOAD, "dry_run": True})

    assert response.json()["created"]["customers"] == 2
    assert Customer.objects.count() == 0


def test_moving_an_account_recomputes_an_open_incidents_exposure(api):
    api.post(URL, PAYLOAD)
    incident = IncidentFactory(slug="storage")
    OutageWindowFactory(
        incident=incident, server=ServerFactory(name="server21"), start=utc(2026, 1, 1, 10), end=utc(2026, 1, 1, 12)
    )
    moved = {
        "servers": [{"name": "server21"}],
        "accounts": [{**PAYLOAD["accounts"][1], "placements": [{"server": "server21", "active_from": "2005-06-01"}]}],
    }

    response = api.post(URL, moved)

    assert response.json()["exposure_recomputed"] == ["storage"]
    assert list(Exposure.objects.values_list("account__name", "affected_seconds")) == [("web2", 7200)]


def test_a_body_over_the_upload_limit_is_a_413_problem_and_changes_nothing(api, settings):
    customer = {**PAYLOAD["customers"][0], "name": "x" * 200}
    body = {"customers": [{**customer, "number": f"K{n}"} for n in range(5_000)]}  # ~1.6 MB
    body["customers"][0]["name"] += "y" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # the shipped limit, crossed

    response = api.post(URL, body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"].startswith(f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes")
    assert Customer.objects.count() == 0
