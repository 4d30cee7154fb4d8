"""Shapes of what the API reads and answers (pydantic, through ninja): validation and the OpenAPI
document come from the same classes. Write payloads live beside their endpoints."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from ninja.parser import Parser
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?::\d\d)?)(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)")


def _rfc3339(value: Any) -> Any:
    """Only an RFC 3339 date-time with an offset: pydantic alone would also take a number as a Unix
    time, and a time without an offset would be ambiguous."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None and not isinstance(value, dt.datetime):
        raise ValueError("expected an RFC 3339 date-time with offset, e.g. 2026-01-31T12:00:00Z")
    if match is not None and match.group(2):
        # Nanoseconds (Alertmanager sends them) to the microseconds a datetime holds.
        return match.group(1) + match.group(2)[:7] + match.group(3)
    return value


def _in_utc(value: dt.datetime) -> dt.datetime:
    """In UTC, as stored: an offset the database does not take (past ±15:59) is no error there."""
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc)]


def unstorable(value: Any) -> bool:
    """Text PostgreSQL cannot store: a NUL character, or a lone surrogate (not UTF-8 at all)."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable(v) for v in value)
    return False


class InSchema(BaseModel):
    """Base of every request body: an unknown field is an error rather than silently ignored (a typo
    in an optional field would otherwise pass). Text is checked once per body (``StrictJSONParser``).

    A plain pydantic model, not ninja's ``Schema``: a body is parsed JSON, never an ORM object, so
    it needs no ``DjangoGetter``, and ninja's wrap validator runs a model with ``extra="forbid"``
    twice at every level of nesting (a placement of an account of an inventory body eight times:
    half the CPU time of an inventory request of 5,000 items, measured with cProfile)."""

    model_config = ConfigDict(extra="forbid")


_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# In a body json.loads accepts, a NUL character or a lone surrogate can only come from a \u escape
# (raw control characters and invalid UTF-8 are refused by the parser itself): bodies without
# such an escape (nearly all) skip the full check.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


class StrictJSONParser(Parser):
    """JSON bodies whose text PostgreSQL can store: no NUL character, no lone surrogate. Checked on
    the whole document at C speed (a validator per field costs seconds on 5,000 items)."""

    def parse_body(self, request):
        body = request.body
        data = json.loads(body)
        if _SUSPECT_ESCAPE.search(body):
            text = json.dumps(data, ensure_ascii=False)
            text.encode()  # a lone surrogate raises UnicodeEncodeError
            if _JSON_NUL.search(text):
                raise ValueError("NUL character in the body")
        return data


class PageMeta(Schema):
    count: int = Field(description="Items matching the filters, over all pages")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last page")


class WindowOut(Schema):
    id: int
    target_type: str
    target: str
    start: dt.datetime
    end: dt.datetime | None
    title: str = ""


class IncidentOut(Schema):
    slug: str
    title: str
    status: str
    public: bool
    description: str = ""
    default_language: str
    redemption_options: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


class IncidentDetailOut(IncidentOut):
    windows: list[WindowOut]
    exposure_accounts: int
    exposure_customers: int
    exposure_seconds: int


class IncidentPage(PageMeta):
    items: list[IncidentOut]


class IntervalOut(Schema):
    start: dt.datetime
    end: dt.datetime
    server: str


class AccountExposureOut(Schema):
    account: str
    customer_number: str
    servers: list[str]
    affected_seconds: int
    intervals: list[IntervalOut]
    computed_at: dt.datetime


class ExposurePage(PageMeta):
    items: list[AccountExposureOut]


class CompensationOut(Schema):
    amount: Decimal
    currency: str
    status: str
    tier: str
    policy: str
    affected_seconds: int
    explanation: dict[str, Any]
    computed_at: dt.datetime
    approved_at: dt.datetime | None


class VoucherOut(Schema):
    code: str = Field(description="Grouped XXXX-XXXX-XXXX-XXXX; masked unless the token has the vouchers scope")
    customer_number: str
    incident: str
    amount: Decimal
    currency: str
    status: str
    is_topup: bool
    expires_on: dt.date
    issued_at: dt.datetime
    redeemed_at: dt.datetime | None
    redeemed_form: str
    redemption_options: list[str]


class CustomerIncidentOut(Schema):
    customer_number: str
    incident: str
    downtime_seconds: int = Field(description="Length of the union of all the customer's accounts' intervals")
    accounts: list[AccountExposureOut]
    compensation: CompensationOut | None
    vouchers: list[VoucherOut]


class MailingOut(Schema):
    id: int
    incident: str
    name: str
    kind: str
    status: str
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    unknown: int
    bounced: int
    complained: int
    launched_at: dt.datetime | None
    finished_at: dt.datetime | None
