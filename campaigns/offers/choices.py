"""What a customer may turn one voucher into, exactly: each choice says what goes to the form
and what to the balance, so the portal shows it before the customer confirms, and redemption
does exactly that (``choice_resolve`` reads the same figures under the row locks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import HostingAccount
from campaigns.compensation.models import Voucher
from campaigns.offers.configuration import Offer, offer_in_force
from campaigns.offers.models import PartnerPool
from campaigns.offers.pools import pool_states
from campaigns.offers.rules import ChoiceKey, extension_split, months_later, parse_choice, partner_fit, partner_split

ZERO = Decimal("0.00")


class ChoiceNotOffered(Exception):
    """The choice is not offered for this voucher (never was, or cannot be: 0 months)."""

    message = _("This form of redemption is not offered for this voucher.")


class ChoiceGone(Exception):
    """The choice was offered but is no longer there (the partner's codes ran out meanwhile)."""

    message = _("This partner voucher is no longer available. Please choose again.")


@dataclass(frozen=True)
class Choice:
    key: str
    form: str
    amount: Decimal  # to the form
    rest: Decimal  # to the account balance
    currency: str
    months: int = 0
    account: HostingAccount | None = None
    paid_until_before: dt.date | None = None
    paid_until: dt.date | None = None
    pool: PartnerPool | None = None
    organisation: str = ""


def _active_accounts(customer_id: int, now: dt.datetime):
    """The customer's accounts placed on a server now, with a fee."""
    return (
        HostingAccount.objects.filter(customer_id=customer_id, monthly_fee__gt=0)
        .filter(Q(placements__active_until__isnull=True) | Q(placements__active_until__gt=now))
        .filter(placements__active_from__lte=now)
        .distinct()
        .order_by("name")
    )


def _extension(voucher: Voucher, account: HostingAccount, today: dt.date) -> Choice | None:
    split = extension_split(voucher.amount, account.monthly_fee)
    if split.units < 1:
        return None
    base = account.paid_until or today
    return Choice(
        key=str(ChoiceKey("extension", account.name)),
        form="extension",
        amount=split.amount,
        rest=split.rest,
        currency=voucher.currency,
        months=split.units,
        account=account,
        paid_until_before=account.paid_until,
        paid_until=months_later(base, split.units),
    )


def _partner(voucher: Voucher, pool: PartnerPool) -> Choice:
    split = partner_split(voucher.amount, pool.face_value)
    return Choice(str(ChoiceKey("partner", str(pool.pk))), "partner", split.amount, split.rest, voucher.currency,
                  pool=pool)  # fmt: skip


def _partner_pools(voucher: Voucher, offer: Offer) -> list[PartnerPool]:
    """Per offered partner, the pool of the largest face value that fits and still has codes."""
    states = [s for s in pool_states(partners=list(offer.partners), currency=voucher.currency) if not s.empty]
    best = []
    for partner in offer.partners:
        pools = {s.pool.face_value: s.pool for s in states if s.pool.partner == partner}
        value = partner_fit(voucher.amount, list(pools))
        if value is not None:
            best.append(pools[value])
    return best


def voucher_choices(voucher: Voucher, *, now: dt.datetime | None = None) -> list[Choice]:
    """Every choice the voucher's incident offers this customer now, the default form first: one
    per qualifying account for an extension, one per partner with a code that fits."""
    now = now or timezone.now()
    offer = offer_in_force(voucher.compensation.incident)
    choices: list[Choice] = []
    for form in offer.forms:
        if form == "balance":
            choices.append(Choice("balance", "balance", voucher.amount, ZERO, voucher.currency))
        elif form == "donation" and offer.organisation:
            choices.append(
                Choice("donation", "donation", voucher.amount, ZERO, voucher.currency, organisation=offer.organisation)
            )
        elif form == "extension":
            today = timezone.localdate(now)
            for account in _active_accounts(voucher.customer_id, now):
                choice = _extension(voucher, account, today)
                if choice is not None:
                    choices.append(choice)
        elif form == "partner":
            choices.extend(_partner(voucher, pool) for pool in _partner_pools(voucher, offer))
    return choices


def choice_resolve(voucher: Voucher, key: str, *, now: dt.datetime) -> Choice:
    """The choice ``key`` as it stands now, inside the redemption's transaction: the account of
    an extension is locked (its paid-until date is read and moved under the lock). Raises
    ``ChoiceNotOffered``."""
    parsed = parse_choice(key)
    offer = offer_in_force(voucher.compensation.incident)
    if parsed.form not in offer.forms:
        raise ChoiceNotOffered
    if parsed.form in ("balance", "donation") and not parsed.target:
        if parsed.form == "donation" and not offer.organisation:
            raise ChoiceNotOffered
        return Choice(parsed.form, parsed.form, voucher.amount, ZERO, voucher.currency,
                      organisation=offer.organisation if parsed.form == "donation" else "")  # fmt: skip
    if parsed.form == "extension" and parsed.target:
        account = _active_accounts(voucher.customer_id, now).filter(name=parsed.target).first()
        if account is not None:
            account = HostingAccount.objects.select_for_update().get(pk=account.pk)
            choice = _extension(voucher, account, timezone.localdate(now))
            if choice is not None:
                return choice
    if parsed.form == "partner" and parsed.target.isdigit():
        pool = PartnerPool.objects.filter(
            pk=int(parsed.target), partner__in=offer.partners, currency=voucher.currency
        ).first()
        if pool is not None and pool.face_value <= voucher.amount:
            return _partner(voucher, pool)
    raise ChoiceNotOffered
