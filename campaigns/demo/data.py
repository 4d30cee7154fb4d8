"""The demo incident: the Christmas 2005 storage outage of a Swiss hoster, as CSV files.

Two storage volumes, twenty servers, customers in de/fr/it/en, accounts of which some migrated
from one volume to the other — one batch between the two failures, one in the middle of the second.
The same generator, scaled up, feeds the benchmarks. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

INCIDENT = "storage-christmas-2005"
TITLE = "Storage outage Christmas 2005"
# The incident's title in each language (windows.csv's optional title_<language> columns).
TITLES = {
    "de": "Speicherausfall Weihnachten 2005",
    "fr": "Panne de stockage Noël 2005",
    "it": "Guasto di storage Natale 2005",
    "en": TITLE,
}
VOLUME_A, VOLUME_B = "stor-zh-a", "stor-zh-b"
SERVERS_A = [f"server{n:02d}" for n in range(11, 21)]  # server19 lives here
SERVERS_B = [f"server{n:02d}" for n in range(1, 11)]
WINDOWS = [
    # incident, title, target_type, target, start, end  (Europe/Zurich wall clock)
    (VOLUME_A, "26.12.2005 08:15", "26.12.2005 21:40"),
    (VOLUME_A, "31.12.2005 23:30", "02.01.2006 19:00"),
    (VOLUME_B, "31.12.2005 23:30", "04.01.2006 09:30"),
    ("server07", "03.01.2006 14:00", "03.01.2006 16:30"),  # a controller swap on one server
]
MIGRATION_BETWEEN = "28.12.2005 14:00"  # moved A → B between the failures
MIGRATION_DURING = "01.01.2006 12:00"  # moved A → B in the middle of the second failure

_FIRST = {
    "de": ["Anna", "Beat", "Claudia", "Daniel", "Erika", "Fritz", "Heidi", "Jürg", "Käthi", "Lukas", "Monika", "Urs"],
    "fr": ["Amélie", "Bernard", "Céline", "Didier", "Élodie", "François", "Hélène", "Jérôme", "Léa", "Michel"],
    "it": ["Alessandro", "Beatrice", "Carlo", "Daniela", "Elena", "Francesco", "Giulia", "Luca", "Marta"],
    "en": ["Alice", "Ben", "Charlotte", "David", "Emily", "George", "Hannah", "James", "Olivia", "Tom"],
}
_LAST = {
    "de": ["Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Brunner", "Baumann", "Zürcher"],
    "fr": ["Favre", "Rochat", "Bonvin", "Perrin", "Dubois", "Morel", "Girard", "Chappuis", "Mercier"],
    "it": ["Bernasconi", "Rossi", "Ferrari", "Bianchi", "Colombo", "Galli", "Lombardi", "Pedrazzini"],
    "en": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Clarke"],
}
_COMPANY = {"de": "GmbH", "fr": "Sàrl", "it": "Sagl", "en": "Ltd"}
_PRODUCTS = [
    ("Webhosting Basic", "9.90"),
    ("Webhosting Pro", "24.90"),
    ("Business Server", "89.00"),
    ("Mail Plus", "4.50"),
]


def write_demo_csvs(
    directory: Path,
    *,
    customers: int = 3000,
    extra_account_share: float = 0.3,
    migrated_share: float = 0.1,
    cancelled_share: float = 0.005,
    seed: int = 2005,
) -> dict[str, Path]:
    """Write servers.csv, customers.csv, accounts.csv and windows.csv; return their paths."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / f"{name}.csv" for name in ("servers", "customers", "accounts", "windows")}

    with open(paths["servers"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "hostname", "storage_volume", "datacenter"])
        for volume, names in ((VOLUME_A, SERVERS_A), (VOLUME_B, SERVERS_B)):
            for name in names:
                writer.writerow([name, f"{name}.hosting.example.ch", volume, "ZH-Binz"])
        writer.writerow(["mx01", "mx01.hosting.example.ch", "", "ZH-Binz"])  # never down

    languages = rng.choices(["de", "fr", "it", "en"], weights=[58, 25, 9, 8], k=customers)
    with (
        open(paths["customers"], "w", newline="", encoding="utf-8") as c_handle,
        open(paths["accounts"], "w", newline="", encoding="utf-8") as a_handle,
    ):
        c_writer, a_writer = csv.writer(c_handle), csv.writer(a_handle)
        c_writer.writerow(["number", "name", "email", "language", "currency"])
        a_writer.writerow(
            ["account", "customer_number", "product", "monthly_fee", "server", "active_from", "active_until"]
        )
        account_no = 0
        for index, language in enumerate(languages):
            number = f"K{100000 + index}"
            first, last = rng.choice(_FIRST[language]), rng.choice(_LAST[language])
            name = f"{first} {last}" if rng.random() < 0.7 else f"{last} {_COMPANY[language]}"
            currency = "EUR" if rng.random() < 0.08 else "CHF"
            c_writer.writerow([number, name, f"{number.lower()}@kunden.example.ch", language, currency])
            for _ in range(2 if rng.random() < extra_account_share else 1):
                account_no += 1
                product, fee = rng.choice(_PRODUCTS)
                account = f"web{account_no:06d}"
                since = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.choice([2003, 2004, 2005])} 10:00"
                if since.endswith("2005 10:00") and int(since[3:5]) == 12:
                    since = since[:6] + "2004 10:00"
                roll = rng.random()
                if roll < migrated_share:
                    moved_at = MIGRATION_DURING if rng.random() < 0.5 else MIGRATION_BETWEEN
                    a_writer.writerow([account, number, product, fee, rng.choice(SERVERS_A), since, moved_at])
                    a_writer.writerow([account, number, product, fee, rng.choice(SERVERS_B), moved_at, ""])
                else:
                    server = rng.choice(SERVERS_A + SERVERS_B)
                    until = ""
                    if roll > 1 - cancelled_share:  # cancelled before the second failure: partly affected
                        until = "29.12.2005 18:00"
                    a_writer.writerow([account, number, product, fee, server, since, until])

    with open(paths["windows"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["incident", "title", "target_type", "target", "start", "end", *(f"title_{x}" for x in TITLES)])
        for target, start, end in WINDOWS:
            kind = "volume" if target.startswith("stor-") else "server"
            writer.writerow([INCIDENT, TITLE, kind, target, start, end, *TITLES.values()])
    return paths
