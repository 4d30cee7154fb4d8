"""Issue 16: the render time of one letter (subject, text part and HTML part) with the letter
engine, the batch's data already read (what a sending worker pays per letter beside the SQL)."""

from __future__ import annotations

import time

from campaigns.mailings import letters
from campaigns.mailings.letter_batch import load_batch
from campaigns.mailings.models import Delivery, Mailing

SAMPLE = 500
ROUNDS = 3
# The engine before issue 16 (a hand-written compiler over Django's template nodes, the default
# letters' hand-written HTML without layout), measured with this function at commit 0f55034 on
# the 600-customer demo (``load_demo --customers 600``), alternating with the new engine on the same
# data, on 2026-12-01 while other work loaded the 2-core machine (load average ~11): best of 6 runs
# 480 µs (the new engine, same runs: best 1,040 µs). Quiet-machine figures are lower for both.
OLD_ENGINE_MICROSECONDS = 480


def render_seconds_per_letter(mailing: Mailing, content: dict | None = None) -> float:
    """The best of ``ROUNDS`` renders of ``SAMPLE`` letters, per letter (``content``: instead of the mailing's)."""
    mailing = Mailing.objects.select_related("incident").get(pk=mailing.pk)
    if content is not None:
        mailing.content = content
    deliveries = list(Delivery.objects.filter(mailing=mailing).order_by("pk")[:SAMPLE])
    recipients = load_batch(mailing.incident_id, {d.contact_id for d in deliveries})
    letters.render_messages(mailing, deliveries[:1], recipients=recipients)  # compiled once per mailing
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        letters.render_messages(mailing, deliveries, recipients=recipients)
        best = min(best, time.perf_counter() - started)
    return best / len(deliveries)
