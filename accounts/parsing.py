"""Parsing CSV input: local wall-clock times, money, ISO codes. Pure functions; errors are ValueError
with a reason a person can act on."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from accounts.languages import LANGUAGE_CODES

_SWISS_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y")

# ISO 4217 active codes (2024); a typo like "CHFF" or "SFR" is caught at import.
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWL",
    ]
)
LANGUAGES = frozenset(LANGUAGE_CODES)
_FEE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


@lru_cache(maxsize=65536)
def parse_local_datetime(text: str, tz_name: str = "Europe/Zurich") -> dt.datetime:
    """An aware UTC datetime from ``2005-12-31 23:30``, ``2005-12-31T23:30+01:00``,
    ``31.12.2005 23:30`` or a bare date (00:00 local). Without an offset the text is wall-clock
    time in ``tz_name``; a time that does not exist there (skipped by a DST change) is an error."""
    value = text.strip()
    if not value:
        raise ValueError("empty date")
    parsed = None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        for fmt in _SWISS_FORMATS:
            try:
                parsed = dt.datetime.strptime(value, fmt)  # noqa: DTZ007 - localised just below
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(f"unparseable date {value!r} (use 2005-12-31 23:30 or 31.12.2005 23:30)")
    if parsed.tzinfo is None:
        tz = ZoneInfo(tz_name)
        local = parsed.replace(tzinfo=tz)
        if local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != parsed:
            raise ValueError(f"{value!r} does not exist in {tz_name} (clocks skipped it for summer time)")
        parsed = local
    return parsed.astimezone(dt.UTC)


def parse_period(
    start_text: str, end_text: str, *, start_label: str, end_label: str
) -> tuple[dt.datetime | None, dt.datetime | None, list[str]]:
    """A required start and an optional end (empty = open), each as ``parse_local_datetime``,
    with the end after the start. Returns ``(start, end, problems)``; a part that failed is None."""
    problems = []
    start = end = None
    try:
        start = parse_local_datetime(start_text)
    except ValueError as exc:
        problems.append(f"{start_label}: {exc}")
    if end_text:
        try:
            end = parse_local_datetime(end_text)
        except ValueError as exc:
            problems.append(f"{end_label}: {exc}")
    if start and end and end <= start:
        problems.append(f"{end_label} {end_text} is not after {start_label} {start_text}")
    return start, end, problems


@lru_cache(maxsize=4096)
def parse_fee(text: str) -> Decimal:
    value = text.strip().replace("'", "").replace("\u2019", "")
    if value.startswith("-"):
        raise ValueError(f"negative fee {text!r}")
    if not _FEE.match(value):
        raise ValueError(f"bad fee {text!r} (a number with at most two decimals, e.g. 19.90)")
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise ValueError(f"bad fee {text!r}") from exc


def parse_currency(text: str) -> str:
    value = text.strip()
    if value not in ISO_4217:
        raise ValueError(f"unknown currency {text!r} (ISO 4217, e.g. CHF, EUR)")
    return value


def parse_language(text: str) -> str:
    value = text.strip().lower()
    if value not in LANGUAGES:
        raise ValueError(f"bad language {text!r} (one of {', '.join(LANGUAGE_CODES)})")
    return value
