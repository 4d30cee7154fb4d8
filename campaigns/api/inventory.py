"""Inventory bulk upsert: servers, customers (their e-mail is the primary contact, as in
customers.csv) and hosting accounts with their placements, as JSON.

The items go through the CSV import's own validation and writing (``inventory_apply``): every bad
item is reported with its index and reason and nothing is written if any is bad; sending the same
items again changes nothing. An account's placements are its whole history, as in accounts.csv.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.db import transaction
from ninja import Router, Schema
from pydantic import BeforeValidator, Field

from accounts.csv_rows import ImportRejected
from accounts.services.inventory import inventory_apply
from accounts.services.inventory_writes import ImportSummary
from campaigns.api.auth import actor, scoped
from campaigns.api.problems import Invalid, errors
from campaigns.api.schemas import InSchema
from campaigns.audit.services import audit_record
from campaigns.incidents.inventory_follow import recomputed_slugs

router = Router(tags=["inventory"], auth=scoped("inventory"))
MAX_ITEMS = 5_000  # a request; more items go in further requests
TIME_HELP = "Europe/Zurich wall-clock unless it carries an offset, as in accounts.csv; a bare date is 00:00"


def _number_as_text(value):
    return str(Decimal(str(value))) if isinstance(value, int | float) and not isinstance(value, bool) else value


class ServerItem(InSchema):
    name: str = Field(max_length=64)
    hostname: str = Field("", max_length=255)
    storage_volume: str = Field("", max_length=64, description="Empty: the server has no shared volume")
    datacenter: str = Field("", max_length=64)


class CustomerItem(InSchema):
    number: str = Field(max_length=32)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, description="The primary contact")
    language: str = Field(max_length=8, description="de, fr, it or en")
    currency: str = Field(max_length=8, description="ISO 4217, e.g. CHF")


class PlacementItem(InSchema):
    server: str = Field(max_length=64)
    active_from: str = Field(max_length=40, description=TIME_HELP)
    active_until: str | None = Field(None, max_length=40, description="Empty or null: still active")


class AccountItem(InSchema):
    account: str = Field(max_length=100)
    customer_number: str = Field(max_length=32)
    product: str = Field(max_length=100)
    monthly_fee: Annotated[str, BeforeValidator(_number_as_text)] = Field(max_length=20, description="e.g. 20.00")
    placements: list[PlacementItem] = Field(min_length=1, max_length=100)


class InventoryIn(InSchema):
    servers: list[ServerItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    customers: list[CustomerItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    accounts: list[AccountItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    dry_run: bool = Field(False, description="Validate and count, write nothing")


class InventoryOut(Schema):
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    dry_run: bool
    exposure_recomputed: list[str] = Field(description="Open incidents whose exposure followed the change")


def _rows(payload: InventoryIn) -> tuple[list, list, list]:
    # vars(): the fields as they are (all text); model_dump() would copy each item once more.
    servers = [(i, {k: v.strip() for k, v in vars(item).items()}) for i, item in enumerate(payload.servers)]
    customers = [(i, {k: v.strip() for k, v in vars(item).items()}) for i, item in enumerate(payload.customers)]
    accounts = [
        (
            i,
            {
                "account": item.account.strip(),
                "customer_number": item.customer_number.strip(),
                "product": item.product.strip(),
                "monthly_fee": item.monthly_fee.strip(),
                "server": placement.server.strip(),
                "active_from": placement.active_from.strip(),
                "active_until": (placement.active_until or "").strip(),
            },
        )
        for i, item in enumerate(payload.accounts)
        for placement in item.placements
    ]
    return servers, customers, accounts


def inventory_upsert(*, payload: InventoryIn, by) -> ImportSummary:
    """Apply the items and audit the change. The exposure of open incidents follows the inventory
    inside ``inventory_apply`` (``accounts.signals.inventory_changed``), as after a CSV import."""
    servers, customers, accounts = _rows(payload)
    with transaction.atomic():
        summary = inventory_apply(
            server_rows=servers,
            customer_rows=customers,
            account_rows=accounts,
            labels=("servers", "customers", "accounts"),
            dry_run=payload.dry_run,
        )
        if summary.changed and not payload.dry_run:
            audit_record(actor=by, action="inventory.upsert", created=summary.created, updated=summary.updated)
    return summary


@router.post("/inventory/", response={200: InventoryOut, **errors(400, 401, 403, 422, 429)})
def upsert_inventory(request, payload: InventoryIn):
    """Create or update servers, customers and accounts with placements, all or nothing."""
    try:
        summary = inventory_upsert(payload=payload, by=actor(request))
    except ImportRejected as exc:
        raise Invalid(
            f"{len(exc.errors)} bad item(s); nothing was written.",
            errors=[
                {"loc": ["body", e.file, e.line], "resource": e.file, "index": e.line, "msg": e.reason}
                for e in exc.errors
            ],
        ) from None
    return {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "dry_run": summary.dry_run,
        "exposure_recomputed": [] if summary.dry_run else recomputed_slugs(summary.notes),
    }
