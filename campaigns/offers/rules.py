"""Pure rules of the forms of compensation: month arithmetic, whole months and remainders, which
partner code fits, and the keys a choice travels under. No ORM, no clock."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta

CENT = Decimal("0.01")


def months_later(base: dt.date, months: int) -> dt.date:
    """``base`` moved by ``months`` calendar months. A paid-until date on the last day of its month
    stays on the last day (28.02.2007 + 1 → 31.03.2007); any other day is kept where the target
    month has it, else the month's last day (31.01.2007 + 1 → 28.02.2007, 31.01.2008 + 1 →
    29.02.2008)."""
    if months < 0:
        raise ValueError("months must not be negative")
    if base.day == calendar.monthrange(base.year, base.month)[1]:
        return base + relativedelta(months=months, day=31)
    return base + relativedelta(months=months)


@dataclass(frozen=True)
class Split:
    """``amount`` goes to the form, ``rest`` to the account balance; ``units`` is months (an
    extension) or 1 (a partner code)."""

    units: int
    amount: Decimal
    rest: Decimal


def extension_split(amount: Decimal, monthly_fee: Decimal) -> Split:
    """Whole months of ``monthly_fee`` that ``amount`` pays for (rounded down); the rest stays money."""
    if monthly_fee <= 0:
        return Split(0, Decimal("0.00"), amount.quantize(CENT))
    months = int((amount / monthly_fee).to_integral_value(rounding=ROUND_DOWN))
    used = (monthly_fee * months).quantize(CENT)
    return Split(months, used, (amount - used).quantize(CENT))


def partner_fit(amount: Decimal, face_values: list[Decimal]) -> Decimal | None:
    """The largest face value not above ``amount`` (codes are handed out largest first), or None."""
    fitting = [value for value in face_values if 0 < value <= amount]
    return max(fitting) if fitting else None


def partner_split(amount: Decimal, face_value: Decimal) -> Split:
    return Split(1, face_value.quantize(CENT), (amount - face_value).quantize(CENT))


@dataclass(frozen=True)
class ChoiceKey:
    """What the customer picked, as one string (a form field, the API's ``form``):
    ``balance``, ``donation``, ``extension:<account name>``, ``partner:<pool id>``."""

    form: str
    target: str = ""

    def __str__(self):
        return f"{self.form}:{self.target}" if self.target else self.form


def parse_choice(value: str) -> ChoiceKey:
    form, _, target = (value or "").strip().partition(":")
    return ChoiceKey(form, target)
