"""The demo incident's forms of compensation: all four, proposed by one finance user and approved
by another, with partner code pools uploaded from CSV files as finance would upload them, and the
accounts paid until the end of the year (what billing would have told us)."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from django.utils import timezone

from accounts.models import HostingAccount
from campaigns.incidents.models import Incident
from campaigns.offers.configuration import APPROVE, offer_decide, offer_in_force, offer_pending, offer_propose
from campaigns.offers.pools import pool_upload

ORGANISATION = "Glückskette / Chaîne du Bonheur"
# partner → (prefix, [(face value, currency, codes)])
POOLS = {
    "Digitec Galaxus": ("DG", [("100.00", "CHF", 30), ("50.00", "CHF", 60), ("20.00", "CHF", 80),
                               ("50.00", "EUR", 15), ("20.00", "EUR", 25)]),
    "Coop": ("CO", [("50.00", "CHF", 40), ("20.00", "CHF", 60), ("10.00", "CHF", 12)]),
}  # fmt: skip
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def write_partner_csvs(directory: Path, *, seed: int = 2006) -> dict[str, Path]:
    """One codes.csv per partner (``code,face_value,currency``); deterministic for a seed."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for partner, (prefix, pools) in POOLS.items():
        path = directory / f"codes-{prefix.lower()}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "face_value", "currency"])
            for value, currency, count in pools:
                for _ in range(count):
                    code = "".join(rng.choice(ALPHABET) for _ in range(12))
                    writer.writerow([f"{prefix}{value[:-3]}-{code[:4]}-{code[4:8]}-{code[8:]}", value, currency])
        paths[partner] = path
    return paths


def demo_offers(*, incident: Incident, proposer, approver, directory: Path) -> str:
    """Upload the pools (again: nothing changes), paid-until dates, and all four forms in force."""
    for partner, path in write_partner_csvs(directory).items():
        with open(path, "rb") as handle:
            pool_upload(partner=partner, source=handle, by=proposer, low_threshold=10)
    year_end = dt.date(timezone.localdate().year, 12, 31)
    HostingAccount.objects.filter(paid_until__isnull=True).update(paid_until=year_end)
    forms = ["balance", "extension", "partner", "donation"]
    if offer_in_force(incident).forms != tuple(forms) and offer_pending(incident) is None:
        proposal = offer_propose(
            incident=incident, forms=forms, partners=list(POOLS), organisation=ORGANISATION, by=proposer
        )
        offer_decide(proposal=proposal, by=approver, decision=APPROVE)
    return ", ".join(offer_in_force(incident).forms)
