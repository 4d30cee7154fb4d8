"""Inventory import: servers, customers and hosting accounts with their placements from CSV.

The whole input is validated first; any bad row makes the import fail with every problem listed
(line and reason) and nothing written. Importing the same files twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from accounts.bulk import existing_values
from accounts.csv_rows import ImportRejected, RowError, read_csv
from accounts.models import Customer, HostingAccount, Server
from accounts.services.inventory_rows import (
    ACCOUNT_COLUMNS,
    ACCOUNT_LIMITS,
    CUSTOMER_COLUMNS,
    CUSTOMER_LIMITS,
    SERVER_COLUMNS,
    SERVER_LIMITS,
    validate_accounts,
    validate_customers,
    validate_servers,
)
from accounts.services.inventory_writes import (
    ImportSummary,
    Progress,
    write_accounts,
    write_customers,
    write_servers,
)
from accounts.signals import inventory_changed_send


def inventory_import(
    *,
    servers=None,
    customers=None,
    accounts=None,
    dry_run: bool = False,
    progress: Progress | None = None,
    encoding: str = "utf-8-sig",
) -> ImportSummary:
    """Validate and import any of the three files (paths or file objects, in ``encoding``)."""
    errors: list[RowError] = []

    def read(source, columns, label, limits):
        if source is None:
            return []
        return read_csv(source, columns, label, errors, limits=limits, encoding=encoding)

    server_rows = read(servers, SERVER_COLUMNS, "servers.csv", SERVER_LIMITS)
    customer_rows = read(customers, CUSTOMER_COLUMNS, "customers.csv", CUSTOMER_LIMITS)
    account_rows = read(accounts, ACCOUNT_COLUMNS, "accounts.csv", ACCOUNT_LIMITS)
    if errors:
        raise ImportRejected(errors)
    return inventory_apply(
        server_rows=server_rows,
        customer_rows=customer_rows,
        account_rows=account_rows,
        dry_run=dry_run,
        progress=progress,
    )


def inventory_apply(
    *,
    server_rows: Sequence[tuple[int, dict]] = (),
    customer_rows: Sequence[tuple[int, dict]] = (),
    account_rows: Sequence[tuple[int, dict]] = (),
    labels: tuple[str, str, str] = ("servers.csv", "customers.csv", "accounts.csv"),
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate and write rows as ``read_csv`` gives them (``(position, {column: text})``), from a
    file or any other source (the API numbers its items); ``labels`` name the sources in errors."""
    tick = progress or (lambda n: None)
    errors: list[RowError] = []
    servers_in = validate_servers(server_rows, errors, labels[0])
    tick(len(server_rows))
    customers_in = validate_customers(customer_rows, errors, labels[1])
    tick(len(customer_rows))
    known_servers = set(Server.objects.values_list("name", flat=True)) | set(servers_in)
    # Only the customers the accounts name: reading every stored number costs a table scan per call.
    referenced = sorted({row["customer_number"] for _, row in account_rows} - set(customers_in))
    known_customers = existing_values(Customer, "number", referenced) | set(customers_in)
    accounts_in = validate_accounts(account_rows, known_servers, known_customers, errors, labels[2])
    tick(len(account_rows))
    if errors:
        raise ImportRejected(errors)

    summary = ImportSummary(dry_run=dry_run)
    with transaction.atomic():
        moved_servers = write_servers(servers_in, summary)
        write_customers(customers_in, summary, tick)
        changed_accounts = write_accounts(accounts_in, summary, tick)
        # In the same transaction: what is computed from the inventory follows it, or nothing does.
        summary.notes = inventory_changed_send(
            sender=HostingAccount, account_ids=changed_accounts, server_ids=moved_servers
        )
        if dry_run:
            transaction.set_rollback(True)
    return summary
