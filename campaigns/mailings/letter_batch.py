"""The data of a batch of letters, read in ONE query: each contact with its customer, the
customer's exposures in the incident and its compensation with vouchers (LEFT JOINs).

``load_batch`` runs the query; ``BatchRead`` hands it as SQL to the sending engine, which claims
a batch and reads its letters' data in one statement; ``recipients_from_rows`` assembles the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, FilteredRelation, Q

from accounts.models import Contact
from accounts.private_apis import EmbeddedQuery
from campaigns.compensation.models import Voucher


@dataclass(slots=True)
class CustomerData:
    """What a letter reads of a customer; cheaper to build per row than a model instance."""

    pk: int
    number: str
    name: str
    language: str
    currency: str
    time_zone: str


@dataclass(slots=True)
class ContactData:
    """What a letter and its sign-in link read of a contact (see ``portal_auth``)."""

    pk: int
    customer: CustomerData
    email: str
    name: str
    language: str
    password: str
    last_login: dt.datetime | None
    token_secret: str = ""

    @property
    def customer_id(self) -> int:
        return self.customer.pk


@dataclass
class Recipient:
    contact: ContactData
    exposures: list[tuple] = field(default_factory=list)  # (account, product, seconds, intervals)
    compensation: dict | None = None  # amount, currency, explanation, voucher (a Voucher or None)


_BATCH_COLUMNS = (
    "id", "email", "name", "language", "password", "last_login", "customer_id", "customer__number",
    "customer__name", "customer__language", "customer__currency", "customer__time_zone",
    "exp__id", "exp__account__name", "exp__account__product", "exp__affected_seconds", "exp__intervals",
    "comp__id", "comp__amount", "comp__currency", "comp__explanation", "comp__vouchers__id",
    "comp__vouchers__code", "comp__vouchers__amount", "comp__vouchers__currency", "comp__vouchers__expires_on",
    "comp__vouchers__status", "comp__vouchers__is_topup", "comp__vouchers__pdf", "token_secret",
)  # fmt: skip
# Selected under short aliases (l0, l1, …), so that the query can also be embedded as a subquery.
_ALIASES = tuple(f"l{index}" for index in range(len(_BATCH_COLUMNS)))
_ORDER = tuple(_ALIASES[_BATCH_COLUMNS.index(path)] for path in ("id", "exp__account__name", "exp__id"))
_EXPOSURE_ID = _BATCH_COLUMNS.index("exp__id")
_COMPENSATION_ID = _BATCH_COLUMNS.index("comp__id")
_TOKEN_SECRET = _BATCH_COLUMNS.index("token_secret")


def _batch_queryset(incident_id: int, contact_ids=None):
    """Each contact with its customer, the customer's exposures in the incident (LEFT JOIN) and
    its compensation with vouchers (LEFT JOIN); every contact unless ``contact_ids`` says which."""
    contacts = Contact.objects.all() if contact_ids is None else Contact.objects.filter(pk__in=contact_ids)
    return (
        contacts.order_by()
        .annotate(
            exp=FilteredRelation("customer__exposures", condition=Q(customer__exposures__incident_id=incident_id)),
            comp=FilteredRelation(
                "customer__compensations", condition=Q(customer__compensations__incident_id=incident_id)
            ),
        )
        .annotate(**{alias: F(path) for alias, path in zip(_ALIASES, _BATCH_COLUMNS, strict=True)})
        .values_list(*_ALIASES)
    )


def load_batch(incident_id: int, contact_ids) -> dict[int, Recipient]:
    """Everything the letters of these contacts need, in ONE query."""
    return recipients_from_rows(_batch_queryset(incident_id, contact_ids).order_by(*_ORDER))


class BatchRead:
    """The batch query as SQL to embed in a larger statement (the sending engine claims a batch
    and reads its letters' data in one). ``sql``/``params`` select the columns that
    ``recipients_from_rows`` reads, under aliases, for every contact: the larger statement joins
    it on ``contact_alias`` to the contacts it wants. ``order_by(table)`` orders the rows as
    ``recipients_from_rows`` needs; ``convert(rows)`` applies Django's conversions (JSON, …) to
    the fetched rows, which may carry further columns after these."""

    def __init__(self, incident_id: int):
        self._query = EmbeddedQuery(_batch_queryset(incident_id))
        self.sql, self.params = self._query.sql, self._query.params
        self.width = len(_ALIASES)
        self.contact_alias = _ALIASES[0]

    @staticmethod
    def order_by(table: str) -> str:
        return ", ".join(f"{table}.{alias}" for alias in _ORDER)

    def convert(self, rows: list) -> list:
        return self._query.convert(rows)


def recipients_from_rows(rows) -> dict[int, Recipient]:
    """Assemble the batch query's rows (ordered by contact, account name, exposure) into recipients."""
    recipients: dict[int, Recipient] = {}
    seen_exposures: set[tuple[int, int]] = set()
    for row in rows:
        contact_id = row[0]
        if contact_id is None:  # the embedding statement's outer join found no contact
            continue
        recipient = recipients.get(contact_id)
        if recipient is None:
            _, email, name, language, password, last_login, customer_id, number, c_name, c_lang, currency, tz = row[:12]
            customer = CustomerData(customer_id, number, c_name, c_lang, currency, tz)
            contact = ContactData(contact_id, customer, email, name, language, password, last_login, row[_TOKEN_SECRET])
            recipient = recipients[contact_id] = Recipient(contact=contact)
        exposure_id = row[_EXPOSURE_ID]
        if exposure_id is not None and (contact_id, exposure_id) not in seen_exposures:
            seen_exposures.add((contact_id, exposure_id))
            recipient.exposures.append(row[_EXPOSURE_ID + 1 : _EXPOSURE_ID + 5])
        if row[_COMPENSATION_ID] is not None:
            _add_compensation(recipient, row)
    return recipients


def _add_compensation(recipient: Recipient, row) -> None:
    comp_id, amount, currency, explanation, voucher_id, code, v_amount, v_currency, expires_on, status, topup, pdf = (
        row[_COMPENSATION_ID : _COMPENSATION_ID + 12]
    )
    if recipient.compensation is None:
        recipient.compensation = {
            "amount": amount, "currency": currency, "explanation": explanation, "voucher": None, "topup": None,
        }  # fmt: skip
    if voucher_id is None or status == Voucher.Status.VOID:
        return
    if topup:  # the latest redeemable top-up: what a correction letter names beside the original
        if status == Voucher.Status.ISSUED and (
            recipient.compensation["topup"] is None or recipient.compensation["topup"].pk < voucher_id
        ):
            recipient.compensation["topup"] = VoucherData(
                voucher_id, comp_id, recipient.contact.customer_id, code, v_amount, v_currency, expires_on, status, pdf
            )
        return
    current = recipient.compensation["voucher"]
    if current is None or (status == Voucher.Status.ISSUED and current.status != Voucher.Status.ISSUED):
        recipient.compensation["voucher"] = VoucherData(
            voucher_id, comp_id, recipient.contact.customer_id, code, v_amount, v_currency, expires_on, status, pdf
        )


@dataclass(slots=True)
class VoucherData:
    """A voucher as the letter reads it; ``as_model()`` for attaching its PDF."""

    pk: int
    compensation_id: int
    customer_id: int
    code: str
    amount: Decimal
    currency: str
    expires_on: dt.date
    status: str
    pdf: str | None

    def as_model(self) -> Voucher:
        return Voucher(
            pk=self.pk, compensation_id=self.compensation_id, customer_id=self.customer_id, code=self.code,
            amount=self.amount, currency=self.currency, expires_on=self.expires_on, status=self.status,
            pdf=self.pdf or "",
        )  # fmt: skip
