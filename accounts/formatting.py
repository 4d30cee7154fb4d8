"""Money as Swiss readers expect it: ``CHF 1’234.50`` (de, it, en) and ``1 234,50 CHF`` (fr).

The amount is quantised to the currency's cents (half up) only for display; computing and
rounding belongs to ``campaigns.compensation.policy``. Thousands separators follow ``hostnotify.formats``:
an apostrophe (U+2019) in de/it/en, a narrow no-break space (U+202F) in fr.
"""

from decimal import ROUND_HALF_UP, Decimal

APOSTROPHE = "\u2019"
NARROW_NBSP = "\u202f"
CENTS = Decimal("0.01")


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_amount(amount: Decimal | int | str, language: str = "de") -> str:
    """The number alone: ``1’234.50`` or ``1 234,50`` (fr)."""
    value = Decimal(amount).quantize(CENTS, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):f}".split(".")
    if (language or "")[:2] == "fr":
        return f"{sign}{_group(whole, NARROW_NBSP)},{cents}"
    return f"{sign}{_group(whole, APOSTROPHE)}.{cents}"


def format_money(amount: Decimal | int | str, currency: str, language: str = "de") -> str:
    """``format_money(Decimal("1234.5"), "CHF", "de")`` → ``"CHF 1’234.50"``; fr → ``"1 234,50 CHF"``."""
    number = format_amount(amount, language)
    if (language or "")[:2] == "fr":
        return f"{number} {currency}"
    return f"{currency} {number}"


def format_duration(seconds: int) -> str:
    """``43 h 30 min``; under an hour ``45 min``. Minutes are rounded down (letters, PDFs)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
