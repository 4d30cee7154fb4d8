"""Compensation digests include the exposure's intervals (issue 12): a window that moved but kept
its length now changes the digest, so ``compensation_prepare`` re-explains the compensation and
its customer enters the correction audience.

Every stored digest (compensations and pending top-ups) that still describes the current
exposure under the former formula is rewritten with the new one, so that nothing looks changed
that did not change. A digest that no longer matched the exposure stays as it was: it matches
neither formula, and the next ``compensate`` recomputes it as it would have before.

Both formulas are copied here, frozen, from ``campaigns.compensation.inputs``.
"""

import calendar
import hashlib
from itertools import groupby
from operator import itemgetter

from django.db import migrations

BATCH = 5_000


def _month_hours(first_start):
    if not first_start:
        return 0
    year, month = int(first_start[:4]), int(first_start[5:7])
    return calendar.monthrange(year, month)[1] * 24


def _former_digest(policy_id, currency, accounts):
    key = repr((policy_id, currency, [account[:5] for account in accounts]))
    return hashlib.sha256(key.encode()).hexdigest()


def _new_digest(policy_id, currency, accounts):
    key = repr((policy_id, currency, list(accounts)))
    return hashlib.sha256(key.encode()).hexdigest()


def _customer_inputs(Exposure, incident_id):
    """customer id → (currency, [(account, fee, seconds, servers, month hours, [interval tuples])])."""
    rows = (
        Exposure.objects.filter(incident_id=incident_id)
        .order_by("customer_id", "account_id")
        .values_list(
            "customer_id",
            "customer__currency",
            "account__name",
            "account__monthly_fee",
            "affected_seconds",
            "servers",
            "intervals",
        )
        .iterator(chunk_size=20_000)
    )
    for (customer_id, currency), group in groupby(rows, key=itemgetter(0, 1)):
        accounts = [
            (
                name,
                str(fee),
                seconds,
                ", ".join(servers),
                _month_hours(pieces[0][0] if pieces else None),
                [tuple(piece) for piece in pieces],
            )
            for _, _, name, fee, seconds, servers, pieces in group
        ]
        yield customer_id, currency, accounts


def rewrite_digests(apps, schema_editor):
    Compensation = apps.get_model("campaigns", "Compensation")
    CompensationTopUp = apps.get_model("campaigns", "CompensationTopUp")
    Exposure = apps.get_model("campaigns", "Exposure")
    for incident_id in Compensation.objects.order_by().values_list("incident_id", flat=True).distinct():
        stored = {
            customer_id: (pk, policy_id, digest)
            for pk, customer_id, policy_id, digest in Compensation.objects.filter(incident_id=incident_id).values_list(
                "id", "customer_id", "policy_id", "inputs_digest"
            )
        }
        pending = {
            topup.compensation_id: topup
            for topup in CompensationTopUp.objects.filter(compensation__incident_id=incident_id, status="pending")
        }
        compensations, topups = [], []
        for customer_id, currency, accounts in _customer_inputs(Exposure, incident_id):
            if customer_id not in stored:
                continue
            pk, policy_id, digest = stored[customer_id]
            former, new = _former_digest(policy_id, currency, accounts), _new_digest(policy_id, currency, accounts)
            if digest == former:
                compensations.append(Compensation(pk=pk, inputs_digest=new))
            topup = pending.get(pk)
            if topup is not None and topup.raised.get("inputs_digest") == former:
                topup.raised = {**topup.raised, "inputs_digest": new}
                topups.append(topup)
        Compensation.objects.bulk_update(compensations, ["inputs_digest"], batch_size=BATCH)
        CompensationTopUp.objects.bulk_update(topups, ["raised"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_mailing_kind_correction"),
    ]

    operations = [
        migrations.RunPython(rewrite_digests, migrations.RunPython.noop, elidable=True),
    ]
