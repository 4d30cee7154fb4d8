"""Inventory import, step two: the validated rows written set-based, a fixed number of
statements per file; rows that did not change are counted, not written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.bulk import bulk_insert, lookup_ids, rows_where_in
from accounts.models import Contact, Customer, HostingAccount, Placement, Server, StorageVolume, new_token_secret

Progress = Callable[[int], None]


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    # What later steps reported about the change (exposure of open incidents recomputed, …).
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def _count(summary: ImportSummary, kind: str, created=0, updated=0, unchanged=0):
    summary.created[kind] = summary.created.get(kind, 0) + created
    summary.updated[kind] = summary.updated.get(kind, 0) + updated
    summary.unchanged[kind] = summary.unchanged.get(kind, 0) + unchanged


def write_servers(servers_in: dict[str, tuple], summary: ImportSummary) -> set[int]:
    """Returns the ids of existing servers that moved to another storage volume."""
    moved: set[int] = set()
    if not servers_in:
        return moved
    volumes = dict(StorageVolume.objects.values_list("name", "id"))
    new_volumes = sorted({v for _, v, _ in servers_in.values() if v and v not in volumes})
    datacenter_of = {v: dc for _, v, dc in servers_in.values() if v}
    for volume in StorageVolume.objects.bulk_create(
        [StorageVolume(name=v, datacenter=datacenter_of.get(v, "")) for v in new_volumes]
    ):
        volumes[volume.name] = volume.id
    _count(summary, "volumes", created=len(new_volumes))
    existing = {s.name: s for s in Server.objects.all()}
    create, update = [], []
    for name, (hostname, volume, datacenter) in servers_in.items():
        volume_id = volumes.get(volume) if volume else None
        server = existing.get(name)
        if server is None:
            create.append(Server(name=name, hostname=hostname, storage_volume_id=volume_id, datacenter=datacenter))
        elif (server.hostname, server.storage_volume_id, server.datacenter) != (hostname, volume_id, datacenter):
            if server.storage_volume_id != volume_id:
                moved.add(server.pk)
            server.hostname, server.storage_volume_id, server.datacenter = hostname, volume_id, datacenter
            update.append(server)
    Server.objects.bulk_create(create)
    Server.objects.bulk_update(update, ["hostname", "storage_volume", "datacenter"])
    _count(summary, "servers", len(create), len(update), len(servers_in) - len(create) - len(update))
    return moved


def write_customers(customers_in: dict[str, tuple], summary: ImportSummary, tick: Progress) -> None:
    if not customers_in:
        return
    # Only the rows named: a call with a few thousand customers does not read all 100,000.
    existing = {
        number: (pk, name, language, currency)
        for pk, number, name, language, currency in rows_where_in(
            Customer, "number", customers_in, ("id", "number", "name", "language", "currency")
        )
    }
    new_rows, update = [], []
    for number, (name, _, language, currency) in customers_in.items():
        current = existing.get(number)
        if current is None:
            new_rows.append((number, name, language, currency))
        elif current[1:] != (name, language, currency):
            update.append(Customer(pk=current[0], number=number, name=name, language=language, currency=currency))
    now = timezone.now()
    tz = settings.DEFAULT_CUSTOMER_TIME_ZONE
    inserted = bulk_insert(
        Customer,
        _dicts(
            ("number", "name", "language", "currency", "time_zone", "created_at"), [(*r, tz, now) for r in new_rows]
        ),
        returning=("number", "id"),
    )
    ids = {number: pk for number, (pk, *_) in existing.items()}
    ids.update(dict(inserted))
    Customer.objects.bulk_update(update, ["name", "language", "currency"], batch_size=2_000)
    _count(summary, "customers", len(new_rows), len(update), len(customers_in) - len(new_rows) - len(update))
    tick(len(customers_in) // 2)

    # The e-mail of customers.csv is the primary contact; other roles are managed in the admin.
    primary: dict[int, str] = {}
    all_emails: set[tuple[int, str]] = set()
    if existing:
        wanted = {ids[n] for n in customers_in}
        for customer_id, email, role in rows_where_in(Contact, "customer_id", wanted, ("customer_id", "email", "role")):
            all_emails.add((customer_id, email))
            if role == Contact.Role.PRIMARY:
                primary[customer_id] = email
    contacts_new, contacts_moved = [], []
    for number, (_, email, _, _) in customers_in.items():
        customer_id = ids[number]
        if primary.get(customer_id) == email:
            continue
        if (customer_id, email) in all_emails:
            contacts_moved.append((customer_id, email))
        else:
            contacts_new.append((customer_id, email))
    if contacts_moved or primary:
        # A new primary address: the old primary contact becomes technical, the named one primary.
        changed = {cid for cid, _ in contacts_new + contacts_moved}
        Contact.objects.filter(customer_id__in=changed, role=Contact.Role.PRIMARY).update(role=Contact.Role.TECHNICAL)
        for customer_id, email in contacts_moved:
            Contact.objects.filter(customer_id=customer_id, email=email).update(role=Contact.Role.PRIMARY)
    bulk_insert(
        Contact,
        _dicts(
            ("customer_id", "email", "role", "name", "language", "password", "token_secret"),
            [(cid, email, Contact.Role.PRIMARY, "", "", "", new_token_secret()) for cid, email in contacts_new],
        ),
    )
    _count(summary, "contacts", created=len(contacts_new), updated=len(contacts_moved))
    tick(len(customers_in) - len(customers_in) // 2)


def write_accounts(accounts_in: dict[str, dict], summary: ImportSummary, tick: Progress) -> set[int]:
    """Returns the ids of the accounts whose placements or customer changed."""
    if not accounts_in:
        return set()
    customer_ids = lookup_ids(Customer, "number", {a["customer"] for a in accounts_in.values()})
    server_ids = dict(Server.objects.values_list("name", "id"))
    existing = {
        name: (pk, customer_id, product, fee)
        for pk, name, customer_id, product, fee in rows_where_in(
            HostingAccount, "name", accounts_in, ("id", "name", "customer_id", "product", "monthly_fee")
        )
    }
    new_rows, update = [], []
    for name, account in accounts_in.items():
        values = (customer_ids[account["customer"]], account["product"], account["fee"])
        current = existing.get(name)
        if current is None:
            new_rows.append((name, *values))
        elif (current[1], current[2], Decimal(current[3])) != values:
            update.append(
                HostingAccount(
                    pk=current[0], name=name, customer_id=values[0], product=values[1], monthly_fee=values[2]
                )
            )
    inserted = bulk_insert(
        HostingAccount, _dicts(("name", "customer_id", "product", "monthly_fee"), new_rows), returning=("name", "id")
    )
    account_ids = {name: pk for name, (pk, *_) in existing.items()}
    account_ids.update(dict(inserted))
    HostingAccount.objects.bulk_update(update, ["customer", "product", "monthly_fee"], batch_size=2_000)
    _count(summary, "accounts", len(new_rows), len(update), len(accounts_in) - len(new_rows) - len(update))
    tick(len(accounts_in) // 2)

    # Placements: the file is the whole history of each account it names.
    stored: dict[int, list[tuple]] = {}
    if existing:
        known_ids = {account_ids[n] for n in accounts_in if n in existing}
        for account_id, server_id, start, until in rows_where_in(
            Placement,
            "account_id",
            known_ids,
            ("account_id", "server_id", "active_from", "active_until"),
            order=("account_id", "active_from"),
        ):
            stored.setdefault(account_id, []).append((server_id, start, until))
    replace: list[int] = []
    new_placements: list[tuple] = []
    for name, account in accounts_in.items():
        account_id = account_ids[name]
        wanted = [(server_ids[server], start, until) for _, server, start, until in account["placements"]]
        if stored.get(account_id, []) == wanted:
            continue
        if account_id in stored:
            replace.append(account_id)
        new_placements.extend((account_id, *placement) for placement in wanted)
    changed = {row[0] for row in new_placements} | {a.pk for a in update if a.customer_id != existing[a.name][1]}
    if replace:
        Placement.objects.filter(account_id__in=replace).delete()
    bulk_insert(Placement, _dicts(("account_id", "server_id", "active_from", "active_until"), new_placements))
    fresh = len({row[0] for row in new_placements}) - len(replace)
    _count(summary, "placements", created=len(new_placements))
    _count(summary, "placement histories", fresh, len(replace), len(accounts_in) - fresh - len(replace))
    tick(len(accounts_in) - len(accounts_in) // 2)
    return changed


def _dicts(columns: tuple[str, ...], rows: list[tuple]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]
