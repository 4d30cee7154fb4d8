"""Reads of the customer portal. Every query is scoped to one customer: another customer's
objects are simply not found (the views answer 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, Sum
from django.http import Http404

from accounts.models import Customer, HostingAccount, LedgerEntry
from accounts.private_apis import PreparedValues, model_fields, model_from_values
from campaigns.claims.models import Claim
from campaigns.compensation.models import Compensation, Voucher
from campaigns.incidents import impact
from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.selectors import customer_downtimes
from campaigns.offers.models import PartnerCode, PartnerPool, Redemption


@dataclass(frozen=True)
class AccountOutage:
    account: str
    product: str
    servers: list[str]
    affected_seconds: int
    # (start, end, server) as aware UTC datetimes; the template shows them in local time.
    intervals: list[tuple[dt.datetime, dt.datetime, str]]


def _hit(customer: Customer) -> Q:
    """The incident has an exposure or a compensation of ``customer``: two index probes per
    incident. (An OR across the two reverse joins would pair every exposure of the incident with
    every compensation before filtering — quadratic in the size of the incident.)"""
    return Exists(Exposure.objects.filter(incident=OuterRef("pk"), customer=customer)) | Exists(
        Compensation.objects.filter(incident=OuterRef("pk"), customer=customer)
    )


def portal_incidents(*, customer: Customer) -> list[Incident]:
    """The incidents that hit the customer, newest first, with its compensation and
    ``customer_seconds``, its downtime (``customer_downtimes``: the union of its accounts' intervals)."""
    incidents: list[Incident] = list(
        Incident.objects.filter(_hit(customer))
        .prefetch_related(
            Prefetch(
                "compensations",
                queryset=Compensation.objects.filter(customer=customer),
                to_attr="customer_compensations",
            )
        )
        .order_by("-created_at")
    )
    downtimes = customer_downtimes(incident_ids=[i.pk for i in incidents], customer_ids=[customer.pk])
    for incident in incidents:
        setattr(incident, "customer_seconds", downtimes.get((incident.pk, customer.pk), 0))  # noqa: B010
    return incidents


def portal_incident(*, customer: Customer, slug: str) -> Incident:
    found = Incident.objects.filter(_hit(customer), slug=slug).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class IncidentPage:
    """What the incident page shows one customer."""

    incident: Incident
    outages: list[AccountOutage]
    downtime_seconds: int  # the union of the accounts' intervals (``impact.downtime_seconds``)
    compensation: Compensation | None
    vouchers: list[Voucher]
    claims: list[Claim]


# The incident page's reads, compiled once per process: building and compiling a queryset cost
# the first visit of a customer more CPU than PostgreSQL needs to answer it (issue 15). Plain
# managers only (Compensation, Voucher, Exposure, Claim): the incident's translated columns are read
# raw, as a queryset loads them, and its descriptors pick the language.
_COMPENSATION_WITH_INCIDENT = PreparedValues(
    lambda customer, slug: Compensation.objects.filter(customer=customer, incident__slug=slug).values(
        *model_fields(Compensation), *model_fields(Incident, "incident__")
    )[:1],
    "customer",
    "slug",
)
_INCIDENT_VOUCHERS = PreparedValues(
    lambda customer, compensation: (
        Voucher.objects.filter(customer=customer, compensation=compensation)
        .order_by("-issued_at", "id")
        .values(*model_fields(Voucher))
    ),
    "customer",
    "compensation",
)
_EXPOSURES = PreparedValues(
    lambda incident, customer: (
        Exposure.objects.filter(incident=incident, customer=customer)
        .order_by("account__name")
        .values("account__name", "account__product", "servers", "affected_seconds", "intervals")
    ),
    "incident",
    "customer",
)
_CLAIMS = PreparedValues(
    lambda customer, incident: (
        Claim.objects.filter(customer=customer, incident=incident)
        .order_by("-created_at", "-id")
        .values(*model_fields(Claim), *model_fields(HostingAccount, "account__"))
    ),
    "customer",
    "incident",
)


def portal_incident_page(*, customer: Customer, slug: str) -> IncidentPage:
    """The incident page's data in three queries (four for a customer not compensated yet), each an
    index probe on the customer's own rows: the compensation with its incident, its vouchers, the
    exposures, the claims. Not the customer's incident (neither exposure nor compensation): 404."""
    found = _COMPENSATION_WITH_INCIDENT.first(customer=customer.pk, slug=slug)
    compensation: Compensation | None = None
    if found is not None:
        compensation = model_from_values(Compensation, found)
        incident = compensation.incident = model_from_values(Incident, found, "incident__")
    else:
        incident = Incident.objects.filter(slug=slug).first()  # type: ignore[assignment]
        if incident is None:
            raise Http404
    rows = _EXPOSURES.all(incident=incident.pk, customer=customer.pk)
    if compensation is None and not rows:
        raise Http404
    vouchers = []
    if compensation is not None:
        for row in _INCIDENT_VOUCHERS.all(customer=customer.pk, compensation=compensation.pk):
            voucher = model_from_values(Voucher, row)
            voucher.compensation = compensation
            vouchers.append(voucher)
    claims = []
    for row in _CLAIMS.all(customer=customer.pk, incident=incident.pk):
        claim = model_from_values(Claim, row)
        claim.account = model_from_values(HostingAccount, row, "account__")
        claim.incident = incident
        claims.append(claim)
    intervals_of = [row["intervals"] for row in rows]
    return IncidentPage(
        incident=incident,
        outages=[
            AccountOutage(
                account=row["account__name"],
                product=row["account__product"],
                servers=list(row["servers"]),
                affected_seconds=row["affected_seconds"],
                intervals=[
                    (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), server)
                    for start, end, server in row["intervals"]
                ],
            )
            for row in rows
        ],
        downtime_seconds=impact.downtime_seconds(piece for intervals in intervals_of for piece in intervals),
        compensation=compensation,
        vouchers=vouchers,
        claims=claims,
    )


def portal_vouchers(*, customer: Customer, incident: Incident | None = None):
    vouchers = Voucher.objects.filter(customer=customer).select_related("compensation__incident")
    if incident is not None:
        vouchers = vouchers.filter(compensation__incident=incident)
    return vouchers.order_by("-issued_at", "id")


def portal_voucher(*, customer: Customer, pk: int) -> Voucher:
    voucher = portal_vouchers(customer=customer).filter(pk=pk).first()
    if voucher is None:
        raise Http404
    return voucher


def portal_voucher_for_pdf(*, customer: Customer, pk: int) -> Voucher:
    """The customer's voucher, alone: its stored PDF is what the customer downloads (one index probe,
    no joins; ``voucher_pdf_bytes`` reads the rest when the file must be rendered again)."""
    voucher = Voucher.objects.filter(customer=customer, pk=pk).first()
    if voucher is None:
        raise Http404
    return voucher


# The credit and home pages' reads, compiled once per process (as the incident page's above).
_CUSTOMER_VOUCHERS = PreparedValues(
    lambda customer: (
        Voucher.objects.filter(customer=customer)
        .order_by("-issued_at", "id")
        .values(
            *model_fields(Voucher),
            *model_fields(Compensation, "compensation__"),
            *model_fields(Incident, "compensation__incident__"),
        )
    ),
    "customer",
)
_BALANCES = PreparedValues(
    lambda customer: (
        LedgerEntry.objects.filter(customer=customer, book=LedgerEntry.Book.BALANCE)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    ),
    "customer",
)
_LEDGER = PreparedValues(
    lambda customer: (
        LedgerEntry.objects.filter(customer=customer)
        .exclude(book=LedgerEntry.Book.VOUCHER)
        .order_by("-created_at", "-id")
        .values(*model_fields(LedgerEntry))[:200]
    ),
    "customer",
)
_REDEMPTIONS = PreparedValues(
    lambda customer: (
        Redemption.objects.filter(customer=customer)
        .order_by("-created_at", "-id")
        .values(
            *model_fields(Redemption),
            *model_fields(Voucher, "voucher__"),
            *model_fields(HostingAccount, "account__"),
            *model_fields(PartnerCode, "partner_code__"),
            *model_fields(PartnerPool, "partner_code__pool__"),
        )[:100]
    ),
    "customer",
)


def portal_voucher_list(*, customer: Customer) -> list[Voucher]:
    """``portal_vouchers(customer=…)`` as a list, with each voucher's compensation and incident, in
    one compiled-once query."""
    vouchers = []
    for row in _CUSTOMER_VOUCHERS.all(customer=customer.pk):
        voucher = model_from_values(Voucher, row)
        voucher.compensation = model_from_values(Compensation, row, "compensation__")
        voucher.compensation.incident = model_from_values(Incident, row, "compensation__incident__")
        vouchers.append(voucher)
    return vouchers


def portal_balances(*, customer: Customer) -> list[tuple[str, str, Decimal]]:
    """``[(book label, currency, total), ...]``: the account balance per currency — one query. Months
    of service, partner codes and donations are not money the customer holds: "What you chose"
    (``portal_redemptions``) shows them as what they are."""
    label = str(LedgerEntry.Book.BALANCE.label)
    return [(label, row["currency"], row["total"]) for row in _BALANCES.all(customer=customer.pk)]


def portal_ledger(*, customer: Customer) -> list[LedgerEntry]:
    """The customer's bookings on the credit books (not the internal voucher liability), newest
    first, the latest 200."""
    return [model_from_values(LedgerEntry, row) for row in _LEDGER.all(customer=customer.pk)]


def portal_redemptions(*, customer: Customer) -> list[Redemption]:
    """What the customer's redemptions did, newest first (the latest 100): the partner codes they got
    (theirs to see), the accounts extended, the donations made."""
    redemptions = []
    for row in _REDEMPTIONS.all(customer=customer.pk):
        redemption = model_from_values(Redemption, row)
        redemption.voucher = model_from_values(Voucher, row, "voucher__")
        if row["account__id"] is not None:
            redemption.account = model_from_values(HostingAccount, row, "account__")
        if row["partner_code__id"] is not None:
            code = redemption.partner_code = model_from_values(PartnerCode, row, "partner_code__")
            code.pool = model_from_values(PartnerPool, row, "partner_code__pool__")
        redemptions.append(redemption)
    return redemptions
