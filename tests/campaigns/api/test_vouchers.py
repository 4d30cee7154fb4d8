"""Vouchers for billing: lookup by code, redemption exactly once with an Idempotency-Key."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import LedgerEntry
from campaigns.api.tokens import api_token_create
from campaigns.models import AuditEntry, Voucher
from tests.campaigns.api.conftest import ApiClient
from tests.factories import VoucherFactory

CODE = "ABCD2345EFGH6789"


def test_lookup_by_code_in_any_spelling(api):
    voucher = VoucherFactory(code=CODE, amount=Decimal("12.50"))

    body = api.get("/api/v1/vouchers/abcd 2345-efgh 6789/").json()

    assert body["code"] == "ABCD-2345-EFGH-6789"
    assert (body["amount"], body["currency"], body["status"]) == ("12.50", "CHF", "issued")
    assert body["customer_number"] == voucher.customer.number
    assert body["redemption_options"] == ["balance"]
    assert api.get("/api/v1/vouchers/ABCD2345EFGH6788/").status_code == 404


def test_redeem_needs_an_idempotency_key(api):
    VoucherFactory(code=CODE)

    response = api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert Voucher.objects.get().status == "issued"


def test_redeem_then_retry_gets_the_first_answer_and_a_new_key_a_conflict(api):
    voucher = VoucherFactory(code=CODE, amount=Decimal("12.50"))

    first = api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"}, headers={"Idempotency-Key": "k1"})
    retry = api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"}, headers={"Idempotency-Key": "k1"})
    again = api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"}, headers={"Idempotency-Key": "k2"})

    assert first.status_code == retry.status_code == 200
    assert first.content == retry.content
    assert (first.json()["status"], first.json()["redeemed_form"]) == ("redeemed", "balance")
    assert again.status_code == 409
    assert again.json()["detail"] == "This voucher has already been redeemed."
    assert LedgerEntry.objects.filter(customer=voucher.customer, book="balance").count() == 1
    assert AuditEntry.objects.get(action="voucher.redeem").actor_label == "api:integration"


def test_the_same_key_for_another_request_is_refused(api):
    VoucherFactory(code=CODE)
    api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"}, headers={"Idempotency-Key": "k1"})

    response = api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "partner"}, headers={"Idempotency-Key": "k1"})

    assert response.status_code == 422
    assert response.json()["type"] == "urn:hostnotify:problem:idempotency-key-reused"


def test_a_form_the_incident_does_not_offer_is_422_and_changes_nothing(api):
    VoucherFactory(code=CODE)

    response = api.post(f"/api/v1/vouchers/{CODE}/redeem/", {"form": "partner"}, headers={"Idempotency-Key": "k"})

    assert response.status_code == 422
    assert Voucher.objects.get().status == "issued"
    assert LedgerEntry.objects.count() == 0


def test_malformed_json_is_a_400_problem(api):
    VoucherFactory(code=CODE)

    response = api.client.post(
        f"/api/v1/vouchers/{CODE}/redeem/",
        "{not json",
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": "k"},
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


RETRIES = 20


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_concurrent_retries_redeem_once_and_answer_alike(transactional_db):
    voucher = VoucherFactory(code=CODE, amount=Decimal("25.00"))
    _, raw = api_token_create(name="billing", scopes=["vouchers"], rate_limit=1000)
    barrier = threading.Barrier(RETRIES)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def retry():
        try:
            client = ApiClient(raw)
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/vouchers/{CODE}/redeem/", {"form": "balance"}, headers={"Idempotency-Key": "order-4711"}
            )
            answer = (response.status_code, response.content)
        except Exception as exc:  # any other outcome is the bug this test looks for
            answer = (0, repr(exc).encode())
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=retry) for _ in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == RETRIES
    assert len(set(answers)) == 1, set(answers)
    assert answers[0][0] == 200
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
    assert list(
        LedgerEntry.objects.filter(customer=voucher.customer).order_by("amount").values_list("book", "amount")
    ) == [("voucher", Decimal("-25.00")), ("balance", Decimal("25.00"))]
    assert AuditEntry.objects.filter(action="voucher.redeem").count() == 1
