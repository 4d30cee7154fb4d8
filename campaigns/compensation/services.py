"""Compensation per customer: preview, prepare (drafts), four-eyes approval with vouchers.

Set-based throughout: the incident's exposure is read in one query together with each account's
fee and its customer's currency, existing compensations in one more, and the writes are one
statement each on PostgreSQL (``accounts.bulk``). The statement count does not grow
with the number of customers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.bulk import bulk_insert, bulk_update_rows
from accounts.models import Customer
from accounts.portal_version import portal_changed
from accounts.roles import is_finance
from campaigns.audit.services import audit_record
from campaigns.compensation import policy as rules_mod
from campaigns.compensation import topups as topup_rows
from campaigns.compensation.claim_credits import claim_credits, with_claim_credits
from campaigns.compensation.inputs import CustomerInputs, exposure_groups, inputs_digest
from campaigns.compensation.models import Compensation, CompensationPolicy
from campaigns.compensation.policies import policy_default, policy_rules, policy_update  # noqa: F401 (re-exported)
from campaigns.compensation.vouchers import VoucherRequest, vouchers_issue
from campaigns.incidents.exposure import exposure_is_frozen, exposure_recompute
from campaigns.incidents.models import Incident

# Upper bounds of the amount buckets in the preview's distribution; the last bucket is open.
BUCKETS = (Decimal("0"), Decimal("10"), Decimal("25"), Decimal("50"), Decimal("100"), Decimal("250"))


class ApprovalRefused(Exception):
    """The user may not approve: not finance, or the same person who prepared the drafts."""


class NothingToApprove(Exception):
    """The incident has no draft compensation."""


@dataclass(frozen=True)
class Computed:
    customer_id: int
    currency: str
    result: rules_mod.CustomerAmount
    digest: str


@dataclass
class Preview:
    customers: int = 0
    per_tier: Counter = field(default_factory=Counter)
    distribution: dict[str, int] = field(default_factory=dict)  # bucket label → customers
    amounts: dict[str, Counter] = field(default_factory=dict)  # currency → {amount: customers}
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency → total
    largest: list[dict] = field(default_factory=list)  # the ten largest: number, name, amount, currency


@dataclass
class PrepareResult:
    created: int = 0
    recomputed: int = 0
    unchanged: int = 0
    removed: int = 0
    topups: int = 0
    kept_higher: int = 0  # approved amounts a correction would have lowered: kept as they were
    totals: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class ApproveResult:
    approved: int
    vouchers: int
    totals: dict[str, Decimal]


def _compute(policy: CompensationPolicy, rules: rules_mod.Rules, inputs: CustomerInputs, credits) -> Computed:
    result = rules_mod.customer_amount(rules, inputs.accounts, inputs.currency)
    result.explanation["policy"] = {"id": policy.pk, "name": policy.name, "version": policy.version}
    result, digest = with_claim_credits(result, inputs_digest(policy.pk, inputs), credits)  # claim_credits.py
    return Computed(inputs.customer_id, inputs.currency, result, digest)


BUCKET_LABELS = ("0", *(f"{low}–{high}" for low, high in zip(BUCKETS, BUCKETS[1:], strict=False)), f">{BUCKETS[-1]}")


def _bucket(amount: Decimal) -> str:
    if amount == 0:
        return "0"
    for low, high in zip(BUCKETS, BUCKETS[1:], strict=False):
        if low < amount <= high:
            return f"{low}–{high}"
    return f">{BUCKETS[-1]}"


# --- preview ---------------------------------------------------------------------------------


def compensation_preview(*, incident: Incident, policy: CompensationPolicy | None = None) -> Preview:
    """What ``compensation_prepare`` would compute with ``policy``, without writing anything."""
    policy = policy or policy_default()
    rules = policy_rules(policy)
    preview = Preview(distribution=dict.fromkeys(BUCKET_LABELS, 0))
    top: list[tuple[Decimal, int, str]] = []
    credits = claim_credits(incident)
    for inputs in exposure_groups(incident):
        computed = _compute(policy, rules, inputs, credits.get(inputs.customer_id))
        amount, customer_id, currency = computed.result.amount, inputs.customer_id, inputs.currency
        preview.customers += 1
        preview.per_tier[computed.result.tier] += 1
        preview.distribution[_bucket(amount)] += 1
        preview.amounts.setdefault(currency, Counter())[amount] += 1
        preview.totals[currency] = preview.totals.get(currency, Decimal("0.00")) + amount
        top.append((amount, customer_id, currency))
        if len(top) > 100:
            top = sorted(top, reverse=True)[:10]
    top = sorted(top, reverse=True)[:10]
    customers = Customer.objects.filter(pk__in=[t[1] for t in top]).values_list("pk", "number", "name")
    names = {pk: (number, name) for pk, number, name in customers}
    preview.largest = [
        {"number": names[pk][0], "name": names[pk][1], "amount": amount, "currency": currency}
        for amount, pk, currency in top
    ]
    return preview


# --- prepare ---------------------------------------------------------------------------------


def compensation_prepare(*, incident: Incident, policy: CompensationPolicy | None = None, by=None) -> PrepareResult:
    """Store one draft Compensation per affected customer; idempotent.

    Drafts whose inputs (exposure, fee, currency, policy version) changed are recomputed;
    drafts of customers no longer affected are removed. Approved compensations keep their policy
    version: if their inputs changed and the amount grows, it is raised and a top-up voucher
    issued for the difference; an approved amount is never lowered.
    """
    policy = policy or policy_default()
    rules = policy_rules(policy)
    now = timezone.now()
    user = by if getattr(by, "pk", None) else None
    result = PrepareResult()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        portal_changed()  # amounts, explanations and vouchers of the incident's customers
        existing = {
            row[1]: row
            for row in Compensation.objects.filter(incident=incident).values_list(
                "id", "customer_id", "status", "inputs_digest", "amount", "policy_id", "currency"
            )
        }
        approved_policy_ids = {row[5] for row in existing.values() if row[2] == Compensation.Status.APPROVED}
        approved_policies = {
            p.pk: (p, policy_rules(p)) for p in CompensationPolicy.objects.filter(pk__in=approved_policy_ids)
        }
        inserts, updates, raises, kept = [], [], [], []
        pending_digests, keep_pending = topup_rows.topups_pending_digests(incident), set()
        seen: set[int] = set()
        credits = claim_credits(incident)
        for inputs in exposure_groups(incident):
            customer_id, currency = inputs.customer_id, inputs.currency
            seen.add(customer_id)
            row = existing.get(customer_id)
            if row is not None and row[2] == Compensation.Status.APPROVED:
                own_policy, own_rules = approved_policies[row[5]]
                computed = _compute(own_policy, own_rules, inputs, credits.get(customer_id))
                if computed.digest == row[3]:
                    result.unchanged += 1
                elif computed.result.amount > row[4]:
                    if pending_digests.get(row[0]) == computed.digest:
                        keep_pending.add(row[0])  # staged already, still right: waits for approval
                        result.unchanged += 1
                        continue
                    # A raise waits for a second person, like a first amount (topups.py).
                    computed.result.explanation["previous_amount"] = str(row[4])
                    fields = _fields(computed, now, user)
                    raises.append(
                        topup_rows.Raise(
                            row[0], row[4], currency, {name: fields[name] for name in topup_rows.RAISED_FIELDS}
                        )
                    )
                else:
                    result.kept_higher += 1
                    kept.append(topup_rows.kept_amount_fields(row[0], computed.result, computed.digest, row[4], now))
                continue
            computed = _compute(policy, rules, inputs, credits.get(customer_id))
            if row is None:
                inserts.append(
                    {
                        "incident_id": incident.pk,
                        "customer_id": customer_id,
                        "status": Compensation.Status.DRAFT,
                        **_fields(computed, now, user),
                    }
                )
            elif row[3] != computed.digest:
                updates.append({**_fields(computed, now, user), "id": row[0]})
            else:
                result.unchanged += 1
        stale = [row[0] for cid, row in existing.items() if cid not in seen and row[2] == Compensation.Status.DRAFT]
        for customer_id, row in existing.items():
            if customer_id in seen or row[2] != Compensation.Status.APPROVED:
                continue
            # No longer exposed at all: the approved amount stays, the explanation says so (and the
            # customer enters the correction's audience, mailings.corrections).
            own_policy, own_rules = approved_policies[row[5]]
            inputs = CustomerInputs(customer_id, row[6], [], [])
            computed = _compute(own_policy, own_rules, inputs, credits.get(customer_id))
            if computed.digest == row[3]:
                result.unchanged += 1
                continue
            result.kept_higher += 1
            kept.append(topup_rows.kept_amount_fields(row[0], computed.result, computed.digest, row[4], now))
        bulk_insert(Compensation, inserts)
        bulk_update_rows(Compensation, updates, _UPDATE_FIELDS)
        staged = topup_rows.topups_stage(incident=incident, raises=raises, keep=keep_pending, user=user, now=now)
        bulk_update_rows(Compensation, kept, topup_rows.REEXPLAINED_FIELDS)
        if stale:
            Compensation.objects.filter(pk__in=stale, status=Compensation.Status.DRAFT).delete()
        result.created, result.recomputed, result.removed, result.topups = (
            len(inserts),
            len(updates),
            len(stale),
            staged,
        )
        result.totals = _totals(incident)
        audit_record(
            actor=by,
            action="compensation.prepare",
            incident=incident,
            **({} if user else {"actor_label": "command"}),
            policy={"id": policy.pk, "name": policy.name, "version": policy.version},
            created=result.created,
            recomputed=result.recomputed,
            removed=result.removed,
            topups=result.topups,
            totals={currency: str(total) for currency, total in result.totals.items()},
        )
    return result


_UPDATE_FIELDS = (
    "policy_id",
    "amount",
    "currency",
    "affected_seconds",
    "tier",
    "explanation",
    "inputs_digest",
    "computed_at",
    "prepared_by_id",
    "prepared_at",
)


def compensation_recompute(*, incident: Incident, policy: CompensationPolicy | None = None, by=None) -> PrepareResult:
    """The operator's explicit run (``compensate``): prepare the drafts, and when the incident's
    compensation is approved already, first recompute its exposure from the corrected windows —
    nothing else may touch a frozen exposure, and approved amounts then only grow (top-ups).
    One transaction: a policy that fails leaves the exposure as it was."""
    with transaction.atomic():
        if exposure_is_frozen(incident):
            exposure_recompute(incident=incident, force=True)
        return compensation_prepare(incident=incident, policy=policy, by=by)


def _fields(computed: Computed, now: dt.datetime, user) -> dict:
    return {
        "policy_id": computed.result.explanation["policy"]["id"],
        "amount": computed.result.amount,
        "currency": computed.currency,
        "affected_seconds": computed.result.affected_seconds,
        "tier": computed.result.tier,
        "explanation": computed.result.explanation,
        "inputs_digest": computed.digest,
        "computed_at": now,
        "prepared_by_id": user.pk if user else None,
        "prepared_at": now,
    }


def _totals(incident: Incident, **filters) -> dict[str, Decimal]:
    from django.db.models import Sum

    rows = (
        Compensation.objects.filter(incident=incident, **filters)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: Decimal(row["total"]).quantize(Decimal("0.01")) for row in rows}


# --- approve ---------------------------------------------------------------------------------


def _approval_refusal(user, preparer_ids: set) -> str | None:
    if user is None or not is_finance(user):
        return "only finance may approve compensation"
    if user.pk in preparer_ids:
        return "the person who prepared the compensation may not approve it"
    return None


def _preparers(incident: Incident) -> set:
    """Who prepared what waits for approval: drafts and top-ups (None: the command line without --by)."""
    drafts = Compensation.objects.filter(incident=incident, status=Compensation.Status.DRAFT)
    return set(drafts.values_list("prepared_by_id", flat=True).distinct()) | topup_rows.topups_preparers(incident)


def compensation_can_approve(user, *, incident: Incident) -> bool:
    """Four eyes, as ``compensation_approve`` decides it: there are drafts or top-ups, ``user``
    has the finance role and prepared none of them. The console offers "Approve" only then."""
    preparers = _preparers(incident)
    return bool(preparers) and _approval_refusal(user, preparers) is None


def compensation_approve(*, incident: Incident, by) -> ApproveResult:
    """Four-eyes approval of every draft: ``by`` must have the finance role and must not have
    prepared any of them. Issues one voucher per amount above zero with its ledger entry; the
    incident's exposure is frozen from now on."""
    refusal = _approval_refusal(by, set())  # before any lock: the role does not depend on the drafts
    if refusal is not None:
        raise ApprovalRefused(refusal)
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        portal_changed()  # amounts, explanations and vouchers of the incident's customers
        drafts = Compensation.objects.filter(incident=incident, status=Compensation.Status.DRAFT)
        rows = list(drafts.values_list("id", "customer_id", "amount", "currency", "prepared_by_id"))
        topup_preparers = topup_rows.topups_preparers(incident)
        if not rows and not topup_preparers:
            raise NothingToApprove(f"{incident.slug}: no draft compensation or top-up to approve")
        refusal = _approval_refusal(by, {prepared_by for *_, prepared_by in rows} | topup_preparers)
        if refusal is not None:
            raise ApprovalRefused(refusal)
        drafts.update(status=Compensation.Status.APPROVED, approved_by=by, approved_at=now)
        requests = [
            VoucherRequest(pk, customer, amount, currency) for pk, customer, amount, currency, _ in rows if amount > 0
        ]
        vouchers_issue(requests=requests, now=now)
        topups = topup_rows.topups_apply(incident=incident, by=by, now=now)
        totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for request in requests + topups:
            totals[request.currency] += request.amount
        audit_record(
            actor=by,
            action="compensation.approve",
            incident=incident,
            approved=len(rows),
            vouchers=len(requests),
            topups=len(topups),
            totals={currency: str(total) for currency, total in totals.items()},
        )
    return ApproveResult(approved=len(rows), vouchers=len(requests) + len(topups), totals=dict(totals))
