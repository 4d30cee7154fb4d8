"""Voucher codes: 16 symbols from a 32-symbol alphabet, 80 bits from ``secrets``.

Stored without separators, shown as ``XXXX-XXXX-XXXX-XXXX``. The alphabet leaves out 0, 1, I and
O, which people confuse when they read a code off paper.
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 16
GROUP = 4
BITS = LENGTH * (len(ALPHABET).bit_length() - 1)  # 80

_SEPARATORS = re.compile(r"[\s\-–—_.]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def generate_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def generate_codes(count: int, *, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """``count`` distinct new codes, none of them in ``exclude`` (e.g. codes already stored)."""
    codes: set[str] = set()
    while len(codes) < count:
        code = generate_code()
        if code not in exclude:
            codes.add(code)
    return list(codes)


def format_code(code: str) -> str:
    """``ABCD2345EFGH6789`` → ``ABCD-2345-EFGH-6789``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def mask_code(code: str) -> str:
    """What staff without the finance role see: first and last group only."""
    return f"{code[:GROUP]}-••••-••••-{code[-GROUP:]}"


def normalize_code(text: str) -> str | None:
    """A code as typed (any case, spaces or dashes) in its stored form, or None if it cannot be one."""
    candidate = _SEPARATORS.sub("", text or "").upper()
    return candidate if _VALID.match(candidate) else None
