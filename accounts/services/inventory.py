"""Inventory import: servers, customers and hosting accounts with their placements from CSV.

The whole input is validated first; any bad row makes the import fail with every problem listed
(line and reason) and nothing written. Importing the same files twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.bulk import bulk_insert, lookup_ids
from accounts.models import Contact, Customer, HostingAccount, Placement, Server, StorageVolume, new_token_secret
from accounts.parsing import parse_currency, parse_fee, parse_language, parse_period

SERVER_COLUMNS = ("name", "hostname", "storage_volume", "datacenter")
CUSTOMER_COLUMNS = ("number", "name", "email", "language", "currency")
ACCOUNT_COLUMNS = ("account", "customer_number", "product", "monthly_fee", "server", "active_from", "active_until")

Progress = Callable[[int], None]


@dataclass(frozen=True, order=True)
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class ImportRejected(Exception):
    """The input has bad rows; ``errors`` lists every one. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors)
        super().__init__(f"{len(self.errors)} bad row(s); nothing imported")


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def read_csv(source, expected: tuple[str, ...], label: str, errors: list[RowError]) -> list[tuple[int, dict]]:
    """Rows with their line numbers; a wrong header is one error for the whole file."""
    text = source.read() if hasattr(source, "read") else open(source, encoding="utf-8-sig").read()  # noqa: SIM115
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        errors.append(RowError(label, 1, "empty file: a header row is required"))
        return []
    header = [h.strip() for h in header]
    if sorted(header) != sorted(expected):
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
            )
            if part
        )
        errors.append(RowError(label, 1, f"wrong header ({detail}); expected: {','.join(expected)}"))
        return []
    rows = []
    for line, values in enumerate(reader, start=2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(label, line, f"expected {len(header)} fields, found {len(values)}"))
            continue
        rows.append((line, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    return rows


def inventory_import(
    *, servers=None, customers=None, accounts=None, dry_run: bool = False, progress: Progress | None = None
) -> ImportSummary:
    """Validate and import any of the three files (paths or file objects)."""
    tick = progress or (lambda n: None)
    errors: list[RowError] = []
    server_rows = read_csv(servers, SERVER_COLUMNS, "servers.csv", errors) if servers is not None else []
    customer_rows = read_csv(customers, CUSTOMER_COLUMNS, "customers.csv", errors) if customers is not None else []
    account_rows = read_csv(accounts, ACCOUNT_COLUMNS, "accounts.csv", errors) if accounts is not None else []
    if errors:
        raise ImportRejected(errors)

    known_servers = set(Server.objects.values_list("name", flat=True))
    known_customers = set(Customer.objects.values_list("number", flat=True))
    servers_in = _validate_servers(server_rows, errors)
    tick(len(server_rows))
    customers_in = _validate_customers(customer_rows, errors)
    tick(len(customer_rows))
    accounts_in = _validate_accounts(
        account_rows, known_servers | set(servers_in), known_customers | set(customers_in), errors
    )
    tick(len(account_rows))
    if errors:
        raise ImportRejected(errors)

    summary = ImportSummary(dry_run=dry_run)
    with transaction.atomic():
        _write_servers(servers_in, summary)
        _write_customers(customers_in, summary, tick)
        _write_accounts(accounts_in, summary, tick)
        if dry_run:
            transaction.set_rollback(True)
    return summary


# --- validation ------------------------------------------------------------------------------


def _validate_servers(rows, errors) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        name = row["name"]
        if not name:
            errors.append(RowError("servers.csv", line, "server name is empty"))
            continue
        if name in out:
            errors.append(
                RowError("servers.csv", line, f"duplicate server {name!r} (first on line {first_line[name]})")
            )
            continue
        first_line[name] = line
        out[name] = (row["hostname"], row["storage_volume"], row["datacenter"])
    return out


def _validate_customers(rows, errors) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        number, name, email = row["number"], row["name"], row["email"]
        problems = []
        if not number:
            problems.append("customer number is empty")
        elif number in out or number in first_line:
            problems.append(f"duplicate customer number {number!r} (first on line {first_line[number]})")
        if not name:
            problems.append("name is empty")
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"bad e-mail address {email!r}")
        try:
            language = parse_language(row["language"])
        except ValueError as exc:
            problems.append(str(exc))
        try:
            currency = parse_currency(row["currency"])
        except ValueError as exc:
            problems.append(str(exc))
        if number and number not in first_line:
            first_line[number] = line
        if problems:
            errors.extend(RowError("customers.csv", line, p) for p in problems)
            continue
        out[number] = (name, email.lower(), language, currency)
    return out


def _validate_accounts(rows, servers: set[str], customers: set[str], errors) -> dict[str, dict]:
    """Per account: customer, product, fee and its placements ``[(line, server, from, until)]``."""
    out: dict[str, dict] = {}
    for line, row in rows:
        problems = []
        name = row["account"]
        if not name:
            problems.append("account is empty")
        if row["customer_number"] not in customers:
            problems.append(f"unknown customer {row['customer_number']!r}")
        if row["server"] not in servers:
            problems.append(f"unknown server {row['server']!r}")
        if not row["product"]:
            problems.append("product is empty")
        fee = None
        try:
            fee = parse_fee(row["monthly_fee"])
        except ValueError as exc:
            problems.append(str(exc))
        start, until, period_problems = parse_period(
            row["active_from"], row["active_until"], start_label="active_from", end_label="active_until"
        )
        problems.extend(period_problems)
        if problems:
            errors.extend(RowError("accounts.csv", line, p) for p in problems)
            continue
        account = out.setdefault(
            name,
            {"customer": row["customer_number"], "product": row["product"], "fee": fee, "placements": [], "line": line},
        )
        for key, value, label in (
            ("customer", row["customer_number"], "customer"),
            ("product", row["product"], "product"),
            ("fee", fee, "monthly_fee"),
        ):
            if account[key] != value:
                errors.append(
                    RowError(
                        "accounts.csv",
                        line,
                        f"account {name!r} has {label} {value} here but {account[key]} on line {account['line']}",
                    )
                )
        account["placements"].append((line, row["server"], start, until))
    for name, account in out.items():
        ordered = sorted(account["placements"], key=lambda p: p[2])
        for (line_a, _, _, until_a), (line_b, _, start_b, _) in zip(ordered, ordered[1:], strict=False):
            if until_a is None or until_a > start_b:
                errors.append(
                    RowError("accounts.csv", line_b, f"placement of account {name!r} overlaps the one on line {line_a}")
                )
        account["placements"] = ordered
    return out


# --- writing (set-based: a fixed number of statements per file) ------------------------------


def _count(summary: ImportSummary, kind: str, created=0, updated=0, unchanged=0):
    summary.created[kind] = summary.created.get(kind, 0) + created
    summary.updated[kind] = summary.updated.get(kind, 0) + updated
    summary.unchanged[kind] = summary.unchanged.get(kind, 0) + unchanged


def _write_servers(servers_in: dict[str, tuple], summary: ImportSummary) -> None:
    if not servers_in:
        return
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
            server.hostname, server.storage_volume_id, server.datacenter = hostname, volume_id, datacenter
            update.append(server)
    Server.objects.bulk_create(create)
    Server.objects.bulk_update(update, ["hostname", "storage_volume", "datacenter"])
    _count(summary, "servers", len(create), len(update), len(servers_in) - len(create) - len(update))


def _write_customers(customers_in: dict[str, tuple], summary: ImportSummary, tick: Progress) -> None:
    if not customers_in:
        return
    existing = {
        number: (pk, name, language, currency)
        for pk, number, name, language, currency in Customer.objects.values_list(
            "id", "number", "name", "language", "currency"
        ).iterator(chunk_size=20_000)
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
        for customer_id, email, role in _rows_of(Contact, "customer_id", wanted, ("customer_id", "email", "role")):
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


def _write_accounts(accounts_in: dict[str, dict], summary: ImportSummary, tick: Progress) -> None:
    if not accounts_in:
        return
    customer_ids = lookup_ids(Customer, "number", {a["customer"] for a in accounts_in.values()})
    server_ids = dict(Server.objects.values_list("name", "id"))
    existing = {
        name: (pk, customer_id, product, fee)
        for pk, name, customer_id, product, fee in HostingAccount.objects.values_list(
            "id", "name", "customer_id", "product", "monthly_fee"
        ).iterator(chunk_size=20_000)
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
        for account_id, server_id, start, until in _rows_of(
            Placement,
            "account_id",
            known_ids,
            ("account_id", "server_id", "active_from", "active_until"),
            "active_from",
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
    if replace:
        Placement.objects.filter(account_id__in=replace).delete()
    bulk_insert(Placement, _dicts(("account_id", "server_id", "active_from", "active_until"), new_placements))
    fresh = len({row[0] for row in new_placements}) - len(replace)
    _count(summary, "placements", created=len(new_placements))
    _count(summary, "placement histories", fresh, len(replace), len(accounts_in) - fresh - len(replace))
    tick(len(accounts_in) - len(accounts_in) // 2)


def _rows_of(model, key: str, wanted: set, fields: tuple[str, ...], order: str | None = None):
    """Rows of ``model`` whose ``key`` is in ``wanted``: filtered in SQL for a few keys, in Python
    for many (a 100,000-element IN list costs more than reading the whole table once)."""
    queryset = model.objects.all()
    if len(wanted) <= 5_000:
        queryset = queryset.filter(**{f"{key}__in": wanted})
    if order:
        queryset = queryset.order_by(key, order)
    position = fields.index(key)
    for row in queryset.values_list(*fields).iterator(chunk_size=20_000):
        if row[position] in wanted:
            yield row


def _dicts(columns: tuple[str, ...], rows: list[tuple]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]
