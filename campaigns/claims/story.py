"""A customer's whole story on one page, for support and finance: who they are, their accounts
and where those were placed, what each incident did to them, what they were granted and sent,
their claims and their ledger. A fixed number of queries, whatever the customer's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import Customer, HostingAccount, LedgerEntry, Placement, PortalSignIn
from accounts.portal_session import customer_time_zone
from campaigns.claims.models import Claim
from campaigns.compensation.codes import normalize_code
from campaigns.compensation.explanation import ExplanationView, explanation_view
from campaigns.compensation.models import Compensation, CompensationTopUp, Voucher
from campaigns.incidents.models import Exposure, Incident
from campaigns.incidents.selectors import customer_downtimes
from campaigns.incidents.timeline import Lane, timeline_svg
from campaigns.mailings.models import Delivery, DeliveryEvent

SEARCH_LIMIT = 50
HISTORY_LIMIT = 200  # letters, ledger entries and sign-ins shown, newest first


@dataclass
class IncidentChapter:
    incident: Incident
    downtime: int = 0
    exposures: list[Exposure] = field(default_factory=list)
    intervals: list[tuple[dt.datetime, dt.datetime, str, str]] = field(
        default_factory=list
    )  # start, end, server, account
    compensation: Compensation | None = None
    explanation: ExplanationView | None = None
    pending_topup: Decimal | None = None
    timeline_svg: SafeString | str = ""  # one lane per account, in the customer's time zone


@dataclass
class CustomerStory:
    customer: Customer
    contacts: list
    accounts: list[HostingAccount]
    chapters: list[IncidentChapter]
    vouchers: list[Voucher]
    deliveries: list[Delivery]
    claims: list[Claim]
    ledger: list[LedgerEntry]
    sign_ins: list[PortalSignIn] = field(default_factory=list)


def customer_search(*, query: str, with_codes: bool) -> list[Customer]:
    """Customers by number, name or contact e-mail (and, for finance, a voucher code)."""
    query = query.strip()[:200]
    if not query:
        return []
    match = Q(number__iexact=query) | Q(name__icontains=query) | Q(contacts__email__iexact=query)
    if with_codes and normalize_code(query):
        match |= Q(vouchers__code=normalize_code(query))
    return list(Customer.objects.filter(match).distinct().order_by("number")[:SEARCH_LIMIT])


def customer_story(*, number: str) -> CustomerStory:
    customer = Customer.objects.filter(number=number).first()
    if customer is None:
        raise Http404
    accounts = list(
        HostingAccount.objects.filter(customer=customer)
        .prefetch_related(Prefetch("placements", queryset=Placement.objects.select_related("server")))
        .order_by("name")
    )
    exposures = list(
        Exposure.objects.filter(customer=customer).select_related("incident", "account").order_by("account__name")
    )
    compensations = {
        c.incident_id: c
        for c in Compensation.objects.filter(customer=customer).select_related("incident", "policy", "approved_by")
    }
    pending = dict(
        CompensationTopUp.objects.filter(
            compensation__customer=customer, status=CompensationTopUp.Status.PENDING
        ).values_list("compensation__incident_id", "amount")
    )
    incidents = {e.incident_id: e.incident for e in exposures} | {
        c.incident_id: c.incident for c in compensations.values()
    }
    downtimes = customer_downtimes(incident_ids=list(incidents), customer_ids=[customer.pk])
    time_zone = customer_time_zone(customer)
    chapters = []
    for incident_id, incident in sorted(incidents.items(), key=lambda item: item[1].created_at, reverse=True):
        chapter = IncidentChapter(incident=incident, downtime=downtimes.get((incident_id, customer.pk), 0))
        chapter.exposures = [e for e in exposures if e.incident_id == incident_id]
        chapter.intervals = sorted(
            (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), server, e.account.name)
            for e in chapter.exposures
            for start, end, server in e.intervals
        )
        per_account: dict[str, list[tuple[dt.datetime, dt.datetime | None]]] = {}
        for start, end, _server, account in chapter.intervals:
            per_account.setdefault(account, []).append((start, end))
        chapter.timeline_svg = timeline_svg(
            [Lane(account, tuple(spans)) for account, spans in sorted(per_account.items())],
            tz=time_zone,
            title=_("When this customer's accounts were down"),
            ident=f"timeline-{incident.slug}",
            width=900,
        )
        chapter.compensation = compensations.get(incident_id)
        if chapter.compensation is not None:
            chapter.explanation = explanation_view(chapter.compensation.explanation)
        chapter.pending_topup = pending.get(incident_id)
        chapters.append(chapter)
    deliveries = list(
        Delivery.objects.filter(customer=customer)
        .select_related("mailing")
        .prefetch_related(Prefetch("events", queryset=DeliveryEvent.objects.order_by("occurred_at")))
        .order_by("-id")[:HISTORY_LIMIT]
    )
    return CustomerStory(
        customer=customer,
        contacts=list(customer.contacts.order_by("role", "email")),
        accounts=accounts,
        chapters=chapters,
        vouchers=list(Voucher.objects.filter(customer=customer).select_related("compensation__incident")),
        deliveries=deliveries,
        claims=list(
            Claim.objects.filter(customer=customer).select_related("incident", "account").order_by("-created_at")
        ),
        ledger=list(LedgerEntry.objects.filter(customer=customer).order_by("-created_at", "-id")[:HISTORY_LIMIT]),
        sign_ins=list(
            PortalSignIn.objects.filter(customer=customer)
            .select_related("contact")
            .order_by("-signed_in_at", "-id")[:HISTORY_LIMIT]
        ),
    )
