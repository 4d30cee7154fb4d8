"""Reads of the API, shaped for its schemas; each a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Customer
from accounts.private_apis import PreparedValues
from campaigns.compensation.codes import format_code, mask_code, normalize_code
from campaigns.compensation.models import Compensation, Voucher
from campaigns.incidents import impact
from campaigns.incidents.models import Exposure, Incident
from campaigns.offers.configuration import OFFER_BEFORE_APPROVAL, offer_forms_in_force
from campaigns.portal.redemption import redeemable_forms


def page(queryset: QuerySet, *, limit: int, offset: int) -> dict:
    count = queryset.count()
    items = list(queryset[offset : offset + limit])
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < count else None,
        "items": items,
    }


def incidents_since(updated_since: dt.datetime | None) -> QuerySet:
    incidents = Incident.objects.order_by("updated_at", "id")
    return incidents.filter(updated_at__gte=updated_since) if updated_since else incidents


def incident_detail(slug: str) -> dict:
    incident = get_object_or_404(Incident, slug=slug)
    totals = Exposure.objects.filter(incident=incident).aggregate(
        accounts=Count("id"), customers=Count("customer_id", distinct=True), seconds=Sum("affected_seconds")
    )
    return {
        **incident_dict(incident),
        "windows": [
            window_dict(w) for w in incident.windows.select_related("server", "volume").order_by("start", "id")
        ],
        "exposure_accounts": totals["accounts"],
        "exposure_customers": totals["customers"],
        "exposure_seconds": totals["seconds"] or 0,
    }


def incident_dict(incident: Incident) -> dict:
    return {
        field: getattr(incident, field)
        for field in (
            "slug",
            "title",
            "status",
            "public",
            "description",
            "default_language",
            "redemption_options",
            "created_at",
            "updated_at",
        )
    }


def window_dict(window) -> dict:
    return {
        "id": window.pk,
        "target_type": window.target_type,
        "target": window.target.name,
        "start": window.start,
        "end": window.end,
        "title": window.title,
    }


def incident_exposures(slug: str, updated_since: dt.datetime | None) -> QuerySet:
    incident = get_object_or_404(Incident, slug=slug)
    exposures = (
        Exposure.objects.filter(incident=incident)
        .select_related("account", "customer")
        .only("account__name", "customer__number", "servers", "affected_seconds", "intervals", "computed_at")
        .order_by("computed_at", "id")
    )
    return exposures.filter(computed_at__gte=updated_since) if updated_since else exposures


def exposure_dict(exposure: Exposure) -> dict:
    return {
        "account": exposure.account.name,
        "customer_number": exposure.customer.number,
        "servers": list(exposure.servers),
        "affected_seconds": exposure.affected_seconds,
        "intervals": [{"start": s, "end": e, "server": server} for s, e, server in exposure.intervals],
        "computed_at": exposure.computed_at,
    }


def customer_incident(*, number: str, slug: str, with_codes: bool) -> dict:
    customer = get_object_or_404(Customer, number=number)
    incident = get_object_or_404(Incident, slug=slug)
    exposures = list(
        Exposure.objects.filter(incident=incident, customer=customer)
        .select_related("account", "customer")
        .order_by("account__name")
    )
    compensation = Compensation.objects.filter(incident=incident, customer=customer).select_related("policy").first()
    if not exposures and compensation is None:
        raise Http404  # the customer was not hit by this incident
    vouchers = voucher_rows().filter(customer=customer, compensation__incident=incident)
    return {
        "customer_number": customer.number,
        "incident": incident.slug,
        "downtime_seconds": impact.downtime_seconds(piece for e in exposures for piece in e.intervals),
        "accounts": [exposure_dict(e) for e in exposures],
        "compensation": compensation_dict(compensation) if compensation else None,
        "vouchers": [voucher_dict(v, with_code=with_codes) for v in vouchers],
    }


def compensation_dict(compensation: Compensation) -> dict:
    return {
        "amount": compensation.amount,
        "currency": compensation.currency,
        "status": compensation.status,
        "tier": compensation.tier,
        "policy": str(compensation.policy),
        "affected_seconds": compensation.affected_seconds,
        "explanation": compensation.explanation,
        "computed_at": compensation.computed_at,
        "approved_at": compensation.approved_at,
    }


def voucher_rows() -> QuerySet:
    """Vouchers as the rows ``voucher_dict`` reads, with the forms their incident offers, in one
    statement whatever the number of vouchers (a billing system's lookups are the API's busiest)."""
    return Voucher.objects.values(
        *("code", "amount", "currency", "status", "is_topup", "expires_on", "issued_at"),
        *("redeemed_at", "redeemed_form"),
        customer_number=F("customer__number"),
        incident_slug=F("compensation__incident__slug"),
        offer_forms=offer_forms_in_force(OuterRef("compensation__incident_id")),
    ).order_by("issued_at", "id")


_VOUCHER_BY_CODE = PreparedValues(lambda code: voucher_rows().order_by().filter(code=code)[:1], "code")


def voucher_by_code(code: str) -> dict | None:
    """The row of the voucher with this code (with or without dashes, any case), or None. The
    query is compiled once per process: this is the lookup billing systems call most."""
    normal = normalize_code(code)
    if not normal:
        return None
    return _VOUCHER_BY_CODE.first(code=normal)


def vouchers_since(updated_since: dt.datetime | None) -> QuerySet:
    vouchers = voucher_rows()
    if updated_since:
        vouchers = vouchers.filter(
            Q(issued_at__gte=updated_since) | Q(redeemed_at__gte=updated_since) | Q(closed_at__gte=updated_since)
        )
    return vouchers


def voucher_dict(row: dict, *, with_code: bool = True) -> dict:
    return {
        "code": format_code(row["code"]) if with_code else mask_code(row["code"]),
        "customer_number": row["customer_number"],
        "incident": row["incident_slug"],
        "amount": row["amount"],
        "currency": row["currency"],
        "status": row["status"],
        "is_topup": row["is_topup"],
        "expires_on": row["expires_on"],
        "issued_at": row["issued_at"],
        "redeemed_at": row["redeemed_at"],
        "redeemed_form": row["redeemed_form"],
        "redemption_options": redeemable_forms(
            OFFER_BEFORE_APPROVAL if row["offer_forms"] is None else row["offer_forms"]
        ),
    }
