"""Partner code pools: finance uploads codes (CSV, checked whole like every import), redemption
hands out exactly one unused code, largest face value first, and finance is warned when a pool
runs low.

``codes.csv``: ``code,face_value,currency`` (UTF-8, a BOM is fine), one partner per upload. A code
already in the same pool is left as it is (uploading the same file twice changes nothing); the
same code twice in the file, or in another pool of the partner, is an error.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.csv_rows import ImportRejected, RowError, read_csv
from accounts.parsing import parse_currency, parse_fee
from campaigns.audit.services import audit_record
from campaigns.offers.models import PartnerCode, PartnerPool

COLUMNS = ("code", "face_value", "currency")
CODE_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")
PARTNER_MAX = PartnerPool._meta.get_field("partner").max_length or 64
LABEL = "codes.csv"


@dataclass
class PoolUpload:
    partner: str
    added: Counter = field(default_factory=Counter)  # (currency, face value) → new codes
    unchanged: int = 0

    @property
    def total_added(self) -> int:
        return sum(self.added.values())


def _validate(partner: str, rows, errors: list[RowError]) -> dict[str, tuple[str, Decimal, int]]:
    """code → (currency, face value, line), every bad row reported."""
    out: dict[str, tuple[str, Decimal, int]] = {}
    for line, row in rows:
        problems = []
        code = row["code"]
        if not CODE_FORMAT.match(code):
            problems.append(f"code {code!r}: 4 to 64 letters, digits and dashes")
        elif code in out:
            problems.append(f"code {code} is also on line {out[code][2]}")
        try:
            face_value = parse_fee(row["face_value"])
            if face_value <= 0:
                problems.append("face_value: must be above zero")
        except ValueError as exc:
            problems.append(f"face_value: {exc}".replace("fee", "value"))
            face_value = Decimal("0")
        try:
            currency = parse_currency(row["currency"])
        except ValueError as exc:
            problems.append(f"currency: {exc}")
            currency = ""
        if problems:
            errors.extend(RowError(LABEL, line, problem) for problem in problems)
        elif code not in out:
            out[code] = (currency, face_value, line)
    return out


def pool_upload(*, partner: str, source, by, low_threshold: int | None = None, dry_run: bool = False) -> PoolUpload:
    """Check the whole file, then add its new codes to the partner's pools (one per currency and
    face value, created as needed). Raises ``ImportRejected`` with every bad row; nothing is added then."""
    partner = (partner or "").strip()
    errors: list[RowError] = []
    if not partner or len(partner) > PARTNER_MAX:
        errors.append(RowError(LABEL, 0, f"a partner name of 1 to {PARTNER_MAX} characters is required"))
    rows = read_csv(source, COLUMNS, LABEL, errors, limits={"code": 64, "face_value": 20, "currency": 3})
    codes = _validate(partner, rows, errors)
    existing = dict(
        PartnerCode.objects.filter(pool__partner=partner, code__in=list(codes)).values_list("code", "pool_id")
    )
    pools = {(p.currency, p.face_value): p for p in PartnerPool.objects.filter(partner=partner)}
    result = PoolUpload(partner)
    new: list[tuple[str, str, Decimal]] = []
    for code, (currency, face_value, line) in codes.items():
        pool = pools.get((currency, face_value))
        if code in existing:
            if pool is not None and existing[code] == pool.pk:
                result.unchanged += 1
            else:
                errors.append(RowError(LABEL, line, f"code {code} is in another pool of {partner} already"))
            continue
        new.append((code, currency, face_value))
    if errors:
        raise ImportRejected(errors)
    result.added = Counter((currency, face_value) for _, currency, face_value in new)
    if dry_run or not new:
        return result
    now = timezone.now()
    with transaction.atomic():
        for currency, face_value in result.added:
            if (currency, face_value) not in pools:
                pools[currency, face_value], _ = PartnerPool.objects.get_or_create(
                    partner=partner, currency=currency, face_value=face_value,
                    defaults={"low_threshold": low_threshold if low_threshold is not None else 10},
                )  # fmt: skip
        # Refilled: the next time the pool runs low, finance is warned again.
        PartnerPool.objects.filter(pk__in=[pools[key].pk for key in result.added]).update(
            low_warned_at=None, **({"low_threshold": low_threshold} if low_threshold is not None else {})
        )
        PartnerCode.objects.bulk_create(
            [
                PartnerCode(pool=pools[currency, face_value], code=code, uploaded_at=now, uploaded_by=by)
                for code, currency, face_value in new
            ],
            batch_size=5000,
        )
        extra: dict = {} if getattr(by, "pk", None) else {"actor_label": "command"}
        audit_record(
            actor=by,
            action="partners.upload",
            partner=partner,
            added={f"{face_value} {currency}": n for (currency, face_value), n in sorted(result.added.items())},
            unchanged=result.unchanged,
            **extra,
        )
    return result


# --- reading the pools ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolState:
    pool: PartnerPool
    unused: int
    handed_out: int

    @property
    def low(self) -> bool:
        return self.unused <= self.pool.low_threshold

    @property
    def empty(self) -> bool:
        return self.unused == 0


def pool_states(*, partners: list[str] | None = None, currency: str | None = None) -> list[PoolState]:
    """Every pool (of ``partners``, in ``currency``) with its unused and handed-out counts: one query."""
    pools = PartnerPool.objects.annotate(
        unused=Count("codes", filter=Q(codes__handed_out_at__isnull=True)),
        given=Count("codes", filter=Q(codes__handed_out_at__isnull=False)),
    )
    if partners is not None:
        pools = pools.filter(partner__in=partners)
    if currency is not None:
        pools = pools.filter(currency=currency)
    return [PoolState(pool, pool.unused, pool.given) for pool in pools.order_by("partner", "currency", "-face_value")]


# --- handing out ----------------------------------------------------------------------------------


class PoolEmpty(Exception):
    """No unused code left in the pool."""


def pool_take(*, pool: PartnerPool, now) -> tuple[PartnerCode, int]:
    """Hand out one unused code of ``pool`` inside the caller's transaction, and the number still
    unused. Concurrent callers never get the same code: on PostgreSQL each skips the rows others
    have locked; elsewhere the conditional update decides and a loser tries the next code."""
    unused = PartnerCode.objects.filter(pool=pool, handed_out_at__isnull=True).order_by("id")
    for _attempt in range(20):
        if connection.features.has_select_for_update_skip_locked:
            code = unused.select_for_update(skip_locked=True).first()
        else:
            code = unused.first()
        if code is None:
            raise PoolEmpty(str(pool))
        if PartnerCode.objects.filter(pk=code.pk, handed_out_at__isnull=True).update(handed_out_at=now) == 1:
            code.handed_out_at = now
            return code, unused.count()
    raise PoolEmpty(str(pool))  # pragma: no cover - only after twenty lost races in a row


def pool_low_claim(*, pool: PartnerPool, unused: int, now) -> bool:
    """True once per running-low of ``pool`` (at or below its threshold): the caller warns finance.
    A refill clears the mark."""
    if unused > pool.low_threshold:
        return False
    return PartnerPool.objects.filter(pk=pool.pk, low_warned_at__isnull=True).update(low_warned_at=now) == 1
