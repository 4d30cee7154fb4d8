"""Reads of the customer portal. Every query is scoped to one customer: another customer's
objects are simply not found (the views answer 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, Sum
from django.http import Http404

from accounts.models import Customer, LedgerEntry
from campaigns.claims.models import Claim
from campaigns.compensation.models import Compensation, Voucher
from campaigns.incidents import impact
from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.selectors import customer_downtimes
from campaigns.offers.models import Redemption


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


def portal_incident_page(*, customer: Customer, slug: str) -> IncidentPage:
    """The incident page's data in four queries (five for a customer not compensated yet), each an
    index probe on the customer's own rows: the compensation with the incident and its vouchers,
    the exposures, the claims. Not the customer's incident (neither exposure nor compensation): 404."""
    compensation = (
        Compensation.objects.filter(customer=customer, incident__slug=slug)
        .select_related("incident")
        .prefetch_related(
            Prefetch("vouchers", queryset=Voucher.objects.filter(customer=customer).order_by("-issued_at", "id"))
        )
        .first()
    )
    incident = compensation.incident if compensation else Incident.objects.filter(slug=slug).first()
    if incident is None:
        raise Http404
    rows = list(
        Exposure.objects.filter(incident=incident, customer=customer)
        .order_by("account__name")
        .values_list("account__name", "account__product", "servers", "affected_seconds", "intervals")
    )
    if compensation is None and not rows:
        raise Http404
    claims = list(
        Claim.objects.filter(customer=customer, incident=incident)
        .select_related("account")
        .order_by("-created_at", "-id")
    )
    for claim in claims:
        claim.incident = incident
    return IncidentPage(
        incident=incident,
        outages=[
            AccountOutage(
                account=name,
                product=product,
                servers=list(servers),
                affected_seconds=seconds,
                intervals=[
                    (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), server)
                    for start, end, server in intervals
                ],
            )
            for name, product, servers, seconds, intervals in rows
        ],
        downtime_seconds=impact.downtime_seconds(piece for *_, intervals in rows for piece in intervals),
        compensation=compensation,
        vouchers=list(compensation.vouchers.all()) if compensation else [],
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


def portal_ledger(*, customer: Customer, limit: int = 200):
    """The customer's bookings on the credit books (not the internal voucher liability), newest first."""
    return (
        LedgerEntry.objects.filter(customer=customer)
        .exclude(book=LedgerEntry.Book.VOUCHER)
        .order_by("-created_at", "-id")[:limit]
    )


def portal_balances(*, customer: Customer) -> list[tuple[str, str, Decimal]]:
    """``[(book label, currency, total), ...]``: the account balance per currency — one query. Months
    of service, partner codes and donations are not money the customer holds: "What you chose"
    (``portal_redemptions``) shows them as what they are."""
    books = (LedgerEntry.Book.BALANCE,)
    totals = (
        LedgerEntry.objects.filter(customer=customer, book__in=books)
        .values("book", "currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    by_book: dict[str, list[tuple[str, Decimal]]] = {}
    for row in totals:
        by_book.setdefault(row["book"], []).append((row["currency"], row["total"]))
    return [
        (str(book.label), currency, total)
        for book in books
        for currency, total in by_book.get(book, [])
        if total or book == LedgerEntry.Book.BALANCE
    ]


def portal_redemptions(*, customer: Customer, limit: int = 100):
    """What the customer's redemptions did, newest first: the partner codes they got (theirs to
    see), the accounts extended, the donations made."""
    return (
        Redemption.objects.filter(customer=customer)
        .select_related("voucher", "account", "partner_code__pool")  # what the sentences show; fewer joins to plan
        .order_by("-created_at", "-id")[:limit]
    )
