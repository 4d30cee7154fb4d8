"""Doing what the customer chose, inside the redemption's transaction (the voucher row is locked
by the caller): move an account's paid-until date, hand out a partner code, record a donation —
and keep the record billing reads (``Redemption``)."""

from __future__ import annotations

import datetime as dt

from campaigns.compensation.models import Voucher
from campaigns.offers.choices import ChoiceGone, choice_resolve
from campaigns.offers.models import PartnerPool, Redemption
from campaigns.offers.pools import PoolEmpty, pool_low_claim, pool_take


def outcome_take(*, voucher: Voucher, key: str, now: dt.datetime) -> tuple[Redemption, PartnerPool | None]:
    """The redemption record of ``voucher`` redeemed as ``key``, and the pool to warn finance
    about when this hand-out left it low (else None). Raises ``ChoiceNotOffered``/``ChoiceGone``."""
    choice = choice_resolve(voucher, key, now=now)
    code, low_pool = None, None
    if choice.form == "extension" and choice.account is not None:
        choice.account.paid_until = choice.paid_until
        choice.account.save(update_fields=["paid_until"])
    elif choice.form == "partner" and choice.pool is not None:
        try:
            code, unused = pool_take(pool=choice.pool, now=now)
        except PoolEmpty:
            raise ChoiceGone from None
        if pool_low_claim(pool=choice.pool, unused=unused, now=now):
            low_pool = choice.pool
    redemption = Redemption.objects.create(
        voucher=voucher,
        customer_id=voucher.customer_id,
        form=choice.form,
        amount=choice.amount,
        rest=choice.rest,
        currency=choice.currency,
        account=choice.account,
        months=choice.months,
        paid_until_before=choice.paid_until_before,
        paid_until=choice.paid_until,
        partner_code=code,
        organisation=choice.organisation,
        created_at=now,
    )
    return redemption, low_pool
