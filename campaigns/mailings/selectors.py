"""Reads about mailings that several pages share."""

from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q

from campaigns.mailings.models import Delivery, Mailing


@dataclass(frozen=True)
class MailingProgress:
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    unknown: int
    bounced: int
    complained: int
    rate: float  # messages per second since the first one went out
    eta_seconds: float | None  # None: nothing left, or no rate yet

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0


def mailing_progress(mailing: Mailing) -> MailingProgress:
    """Counts, rate and ETA of a mailing in one aggregate query."""
    status = Delivery.Status
    counts = Delivery.objects.filter(mailing_id=mailing.pk).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=status.PENDING)),
        sending=Count("pk", filter=Q(status=status.SENDING)),
        sent=Count("pk", filter=Q(status=status.SENT)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
        unknown=Count("pk", filter=Q(status=status.UNKNOWN)),
        bounced=Count("pk", filter=Q(tracking=Delivery.Tracking.BOUNCED)),
        complained=Count("pk", filter=Q(tracking=Delivery.Tracking.COMPLAINED)),
        first_sent=Min("sent_at"),
        last_sent=Max("sent_at"),
    )
    first, last = counts.pop("first_sent"), counts.pop("last_sent")
    elapsed = (last - first).total_seconds() if first and last else 0.0
    rate = counts["sent"] / elapsed if elapsed > 0 else 0.0
    left = counts["pending"] + counts["sending"]
    eta = left / rate if left and rate else None
    return MailingProgress(rate=rate, eta_seconds=eta, **counts)
