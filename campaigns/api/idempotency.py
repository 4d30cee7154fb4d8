"""Idempotent requests: the first answer to an ``Idempotency-Key`` is stored and every retry with
the same key gets it again, however many retries race.

The key's row is inserted in the same transaction as the work. A concurrent retry's insert waits
on the first one's uncommitted row (unique constraint), then finds it committed with the answer.
Answers are kept ``API_IDEMPOTENCY_DAYS`` (periodic job ``purge-idempotency-answers``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.api.models import ApiToken, IdempotentRequest
from campaigns.api.problems import Invalid, Problem, problem_body


class IdempotencyKeyReused(Invalid):
    type = "urn:hostnotify:problem:idempotency-key-reused"


def request_digest(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join((method.encode(), path.encode(), body))).hexdigest()


def idempotent_call(*, token: ApiToken, key: str, digest: str, perform: Callable[[], dict]) -> tuple[int, dict]:
    """``(status, body)`` of the first request with ``key``: ``perform()``'s answer (200), or the
    problem it raised. A different request under a used key is refused."""
    with transaction.atomic():
        record, created = IdempotentRequest.objects.get_or_create(
            token=token, key=key, defaults={"request_digest": digest}
        )
        if not created:
            if record.request_digest != digest:
                raise IdempotencyKeyReused("This Idempotency-Key was used for a different request.")
            return record.status_code, record.body
        try:
            with transaction.atomic():
                status, body = 200, json.loads(json.dumps(perform(), default=str))
        except Problem as exc:
            status, body = exc.status, problem_body(exc.status, exc.detail, errors=exc.errors, type_=exc.type)
        record.status_code, record.body = status, body
        record.save(update_fields=["status_code", "body"])
    return status, body


def idempotent_requests_purge(*, now: dt.datetime | None = None) -> int:
    """Forget the answers older than ``API_IDEMPOTENCY_DAYS``; the number forgotten. A retry with
    such an old key is then a new request: the voucher it redeems is already redeemed, so the
    answer is a conflict, never a second redemption."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.HOSTNOTIFY["API_IDEMPOTENCY_DAYS"])
    forgotten, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return forgotten
