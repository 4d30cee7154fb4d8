"""Inventory import, step one: every row of servers.csv, customers.csv and accounts.csv checked,
every problem reported with its line; nothing is written here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.csv_rows import RowError
from accounts.models import Contact, Customer, HostingAccount, Server, StorageVolume
from accounts.parsing import parse_currency, parse_fee, parse_language, parse_period

SERVER_COLUMNS = ("name", "hostname", "storage_volume", "datacenter")
CUSTOMER_COLUMNS = ("number", "name", "email", "language", "currency")
ACCOUNT_COLUMNS = ("account", "customer_number", "product", "monthly_fee", "server", "active_from", "active_until")


def _length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


# The longest value each column's database field holds: a longer one is a row error, never cut short.
SERVER_LIMITS = {
    "name": _length(Server, "name"),
    "hostname": _length(Server, "hostname"),
    "storage_volume": _length(StorageVolume, "name"),
    "datacenter": _length(Server, "datacenter"),
}
CUSTOMER_LIMITS = {
    "number": _length(Customer, "number"),
    "name": _length(Customer, "name"),
    "email": _length(Contact, "email"),
}
ACCOUNT_LIMITS = {
    "account": _length(HostingAccount, "name"),
    "customer_number": _length(Customer, "number"),
    "product": _length(HostingAccount, "product"),
    "server": _length(Server, "name"),
}


def where(label: str, position: int) -> str:
    """ "line 3" in a file; "item 3" in a list that has no lines (the API's JSON)."""
    return f"line {position}" if label.endswith(".csv") else f"item {position}"


def validate_servers(rows, errors, label: str = "servers.csv") -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        name = row["name"]
        if not name:
            errors.append(RowError(label, line, "server name is empty"))
            continue
        if name in out:
            errors.append(
                RowError(label, line, f"duplicate server {name!r} (first on {where(label, first_line[name])})")
            )
            continue
        first_line[name] = line
        out[name] = (row["hostname"], row["storage_volume"], row["datacenter"])
    return out


def validate_customers(rows, errors, label: str = "customers.csv") -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        number, name, email = row["number"], row["name"], row["email"]
        problems = []
        if not number:
            problems.append("customer number is empty")
        elif number in out or number in first_line:
            problems.append(f"duplicate customer number {number!r} (first on {where(label, first_line[number])})")
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
            errors.extend(RowError(label, line, p) for p in problems)
            continue
        out[number] = (name, email.lower(), language, currency)
    return out


def validate_accounts(
    rows, servers: set[str], customers: set[str], errors, label: str = "accounts.csv"
) -> dict[str, dict]:
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
            errors.extend(RowError(label, line, p) for p in problems)
            continue
        account = out.setdefault(
            name,
            {"customer": row["customer_number"], "product": row["product"], "fee": fee, "placements": [], "line": line},
        )
        for key, value, field_name in (
            ("customer", row["customer_number"], "customer"),
            ("product", row["product"], "product"),
            ("fee", fee, "monthly_fee"),
        ):
            if account[key] != value:
                errors.append(
                    RowError(
                        label,
                        line,
                        f"account {name!r} has {field_name} {value} here but {account[key]} "
                        f"on {where(label, account['line'])}",
                    )
                )
        account["placements"].append((line, row["server"], start, until))
    for name, account in out.items():
        ordered = sorted(account["placements"], key=lambda p: p[2])
        for (line_a, _, _, until_a), (line_b, _, start_b, _) in zip(ordered, ordered[1:], strict=False):
            if until_a is None or until_a > start_b:
                errors.append(
                    RowError(label, line_b, f"placement of account {name!r} overlaps the one on {where(label, line_a)}")
                )
        account["placements"] = ordered
    return out
