#!/usr/bin/env python
"""accounts.bulk against Django's own bulk methods on PostgreSQL (Django 5.2 inserts through UNNEST).

    DATABASE_URL=postgres://… .venv/bin/python bench/bulk_writes.py [--rows 10000 100000] [--repeat 3]

Every measurement runs in a savepoint that is rolled back, on the migrated database DATABASE_URL
names (nothing stays). Prints the best of ``--repeat`` runs per operation, in seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best_of(repeat: int, prepare: Callable[[], object], action: Callable[[object], object]) -> float:
    from django.db import transaction

    times = []
    for _ in range(repeat):
        with transaction.atomic():
            sid = transaction.savepoint()
            given = prepare()
            start = time.perf_counter()
            action(given)
            times.append(time.perf_counter() - start)
            transaction.savepoint_rollback(sid)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostnotify.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    if connection.vendor != "postgresql":
        print("needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)

    from accounts.bulk import bulk_insert, bulk_update_rows, existing_values, lookup_ids
    from accounts.models import Customer
    from campaigns.compensation.models import Compensation, CompensationPolicy
    from campaigns.incidents.models import Incident

    now = timezone.now()
    explanation = {
        "accounts": [
            {"account": "web-00042", "servers": ["server19"], "seconds": 151_200, "tier": "50%", "fee": "19.90"}
        ],
        "policy": "default",
        "version": 1,
    }

    def customers(n: int) -> list[dict]:
        return [
            {"number": f"B{i:07d}", "name": f"Kunde {i}", "language": "de", "currency": "CHF",
             "time_zone": "Europe/Zurich", "created_at": now}
            for i in range(n)
        ]  # fmt: skip

    def with_customers(n: int) -> Callable[[], object]:
        def prepare():
            ids = [pk for (pk,) in bulk_insert(Customer, customers(n), returning=("id",))]
            incident = Incident.objects.create(slug=f"bench-{time.monotonic_ns()}", title="bench")
            policy = CompensationPolicy.objects.create(
                name=f"bench-{time.monotonic_ns()}", version=1, kind="tiered", params={}
            )
            return ids, incident, policy

        return prepare

    def compensation_rows(given) -> list[dict]:
        ids, incident, policy = given
        return [
            {"incident_id": incident.pk, "customer_id": pk, "policy_id": policy.pk, "amount": Decimal("12.35"),
             "currency": "CHF", "affected_seconds": 151_200, "tier": "50%", "explanation": explanation,
             "inputs_digest": "x" * 64, "status": "draft", "computed_at": now}
            for pk in ids
        ]  # fmt: skip

    def with_compensations(n: int) -> Callable[[], object]:
        def prepare():
            given = with_customers(n)()
            bulk_insert(Compensation, compensation_rows(given))
            return list(Compensation.objects.filter(incident=given[1]).values_list("id", flat=True))

        return prepare

    update = {"amount": Decimal("20.00"), "explanation": {**explanation, "version": 2}}
    results: list[tuple[str, int, float, float]] = []

    def measure(n: int) -> None:
        numbers = [row["number"] for row in customers(n)]
        results.append(
            (
                "insert customers, ids back",
                n,
                best_of(args.repeat, lambda: None, lambda _: bulk_insert(Customer, customers(n), returning=("id",))),
                best_of(
                    args.repeat,
                    lambda: None,
                    lambda _: Customer.objects.bulk_create([Customer(**row) for row in customers(n)]),
                ),
            )
        )
        results.append(
            (
                "insert compensations (JSON)",
                n,
                best_of(args.repeat, with_customers(n), lambda g: bulk_insert(Compensation, compensation_rows(g))),
                best_of(
                    args.repeat,
                    with_customers(n),
                    lambda g: Compensation.objects.bulk_create([Compensation(**row) for row in compensation_rows(g)]),
                ),
            )
        )
        results.append(
            (
                "update compensations (JSON)",
                n,
                best_of(
                    args.repeat,
                    with_compensations(n),
                    lambda ids: bulk_update_rows(Compensation, [{"id": pk, **update} for pk in ids], list(update)),
                ),
                best_of(
                    args.repeat,
                    with_compensations(n),
                    lambda ids: Compensation.objects.bulk_update(
                        [Compensation(pk=pk, **update) for pk in ids], list(update), batch_size=2_000
                    ),
                ),
            )
        )
        results.append(
            (
                "ids of customer numbers",
                n,
                best_of(args.repeat, with_customers(n), lambda _: lookup_ids(Customer, "number", numbers)),
                best_of(
                    args.repeat,
                    with_customers(n),
                    lambda _: dict(Customer.objects.filter(number__in=numbers).values_list("number", "id")),
                ),
            )
        )
        results.append(
            (
                "which numbers exist",
                n,
                best_of(args.repeat, with_customers(n), lambda _: existing_values(Customer, "number", numbers)),
                best_of(
                    args.repeat,
                    with_customers(n),
                    lambda _: set(Customer.objects.filter(number__in=numbers).values_list("number", flat=True)),
                ),
            )
        )

    for n in args.rows:
        measure(n)
    print(f"{'operation':32} {'rows':>8} {'accounts.bulk':>14} {'Django 5.2':>11} {'ratio':>6}")
    for name, n, ours, django_s in results:
        print(f"{name:32} {n:>8} {ours:>13.3f}s {django_s:>10.3f}s {django_s / ours:>6.1f}")
    print(f"(best of {args.repeat}; PostgreSQL {connection.pg_version}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
