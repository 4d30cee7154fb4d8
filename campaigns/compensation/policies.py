"""Compensation policies: named, versioned, never edited in place."""

from __future__ import annotations

from django.db import transaction

from campaigns.audit.services import audit_record
from campaigns.compensation import policy as rules
from campaigns.compensation.models import CompensationPolicy

DEFAULT_NAME = "default"
PRORATA_NAME = "prorata"


class PolicyNotFound(Exception):
    """No current policy has this name."""


def policy_default() -> CompensationPolicy:
    """The current version of the "default" tier policy of DESIGN.md, created on first use."""
    return _ensure(DEFAULT_NAME, CompensationPolicy.Kind.TIERS, rules.DEFAULT_TIERS_PARAMS)


def policy_prorata() -> CompensationPolicy:
    """The current version of the "prorata" policy, created on first use."""
    return _ensure(PRORATA_NAME, CompensationPolicy.Kind.PRORATA, rules.DEFAULT_PRORATA_PARAMS)


def _ensure(name: str, kind: str, params: dict) -> CompensationPolicy:
    current = CompensationPolicy.objects.filter(name=name, is_current=True).first()
    if current is not None:
        return current
    with transaction.atomic():
        current, _ = CompensationPolicy.objects.get_or_create(
            name=name,
            is_current=True,
            defaults={"version": 1, "kind": kind, "params": params, "note": "built-in"},
        )
    return current


def policy_current(name: str) -> CompensationPolicy:
    """The current version of a named policy; the built-in names are created on first use."""
    if name == DEFAULT_NAME:
        return policy_default()
    if name == PRORATA_NAME:
        return policy_prorata()
    current = CompensationPolicy.objects.filter(name=name, is_current=True).first()
    if current is None:
        raise PolicyNotFound(name)
    return current


def policy_rules(policy: CompensationPolicy) -> rules.Rules:
    return rules.parse_policy(policy.kind, policy.params)


class PolicyExists(Exception):
    """A policy of this name exists: store a new version with ``policy_update`` instead."""


def policy_create(*, name: str, kind: str, params: dict, by=None, note: str = "") -> CompensationPolicy:
    """Store version 1 of a new named policy, with an audit entry.

    Raises ``PolicyExists`` when the name is taken and ``PolicyInvalid`` for unusable parameters;
    nothing changes then.
    """
    rules.parse_policy(kind, params)
    with transaction.atomic():
        if CompensationPolicy.objects.select_for_update().filter(name=name).exists():
            raise PolicyExists(name)
        return _store_current(name=name, version=1, kind=kind, params=params, by=by, note=note, action="policy.create")


def policy_update(
    *, policy: CompensationPolicy, params: dict, by=None, kind: str | None = None, note: str = ""
) -> CompensationPolicy:
    """Store ``params`` as the next version of ``policy``'s name; the old version stays as it was
    (compensations computed with it keep pointing at it) but is no longer current.

    Raises ``campaigns.compensation.policy.PolicyInvalid`` for unusable parameters; nothing changes then.
    """
    kind = kind or policy.kind
    rules.parse_policy(kind, params)
    with transaction.atomic():
        versions = list(CompensationPolicy.objects.select_for_update().filter(name=policy.name).order_by("version"))
        latest = max((v.version for v in versions), default=0)
        CompensationPolicy.objects.filter(name=policy.name, is_current=True).update(is_current=False)
        return _store_current(
            name=policy.name, version=latest + 1, kind=kind, params=params, by=by, note=note, action="policy.update"
        )


def _store_current(*, name: str, version: int, kind: str, params: dict, by, note: str, action: str):
    """The new current version and its audit entry (inside the caller's transaction and lock)."""
    new = CompensationPolicy.objects.create(
        name=name,
        version=version,
        kind=kind,
        params=params,
        is_current=True,
        note=note[:255],
        created_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(actor=by, action=action, obj=new, name=new.name, version=new.version, params=params)
    return new
