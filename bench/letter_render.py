"""Issue 16: the render time of one letter (subject, text part and HTML part) with the letter
engine, the batch's data already read (what a sending worker pays per letter beside the SQL)."""

from __future__ import annotations

import time

from campaigns.mailings import letters
from campaigns.mailings.letter_batch import load_batch
from campaigns.mailings.models import Delivery, Mailing

SAMPLE = 500
ROUNDS = 3


def render_seconds_per_letter(mailing: Mailing) -> float:
    """The best of ``ROUNDS`` renders of ``SAMPLE`` letters, per letter."""
    mailing = Mailing.objects.select_related("incident").get(pk=mailing.pk)
    deliveries = list(Delivery.objects.filter(mailing=mailing).order_by("pk")[:SAMPLE])
    recipients = load_batch(mailing.incident_id, {d.contact_id for d in deliveries})
    letters.render_messages(mailing, deliveries[:1], recipients=recipients)  # compiled once per mailing
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        letters.render_messages(mailing, deliveries, recipients=recipients)
        best = min(best, time.perf_counter() - started)
    return best / len(deliveries)
