"""Reads about mailings that several pages share."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing

# The recipient log's status filters: a delivery's own state, or what the ESP reported later.
LOG_FILTERS = {
    "": Q(),
    "pending": Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING),
    "sent": Q(status=Delivery.Status.SENT),
    "failed": Q(status=Delivery.Status.FAILED),
    "unknown": Q(status=Delivery.Status.UNKNOWN),
    "delivered": Q(tracking__in=[Delivery.Tracking.DELIVERED, Delivery.Tracking.OPENED, Delivery.Tracking.CLICKED]),
    "bounced": Q(tracking=Delivery.Tracking.BOUNCED),
    "complained": Q(tracking=Delivery.Tracking.COMPLAINED),
}


def mailing_log_deliveries(mailing: Mailing, *, status: str = "", query: str = ""):
    """The recipient log: a mailing's deliveries in a ``LOG_FILTERS`` state (unknown names: all),
    narrowed to an address fragment or an exact customer number, oldest first."""
    deliveries = Delivery.objects.filter(mailing=mailing).filter(LOG_FILTERS.get(status, Q()))
    if query:
        deliveries = deliveries.filter(Q(email__icontains=query) | Q(customer__number=query))
    return deliveries.select_related("customer").order_by("id")


def delivery_events_by_delivery(deliveries) -> dict[int, list[DeliveryEvent]]:
    """The events of some deliveries (e.g. one log page) in one query, in the order they happened."""
    events: dict[int, list[DeliveryEvent]] = {}
    for event in DeliveryEvent.objects.filter(delivery__in=[d.pk for d in deliveries]).order_by("occurred_at", "id"):
        events.setdefault(event.delivery_id, []).append(event)
    return events


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
    duration_seconds: float | None = None  # a finished mailing's time from launch to its end

    @property
    def rate_per_minute(self) -> float:
        return self.rate * 60

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
    # From the launch (or the first letter) to the end (or the latest letter): a mailing sent in
    # one burst still has a rate, and a finished one keeps its real average.
    start = mailing.launched_at or first
    end = mailing.finished_at or last
    elapsed = (end - start).total_seconds() if start and end and counts["sent"] else 0.0
    rate = counts["sent"] / elapsed if elapsed > 0 else 0.0
    left = counts["pending"] + counts["sending"]
    eta = left / rate if left and rate else None
    duration = elapsed if mailing.finished_at and elapsed > 0 else None
    return MailingProgress(rate=rate, eta_seconds=eta, duration_seconds=duration, **counts)


STALL_AFTER_SECONDS = 60


@dataclass(frozen=True)
class SendingStall:
    """A sending mailing with deliveries due but none recorded for a while."""

    idle_seconds: float
    due: int
    last_sweep: dt.datetime | None  # when the periodic heartbeat last ran, if known

    @property
    def idle_minutes(self) -> int:
        return int(self.idle_seconds // 60)


def mailing_stall(mailing: Mailing, *, now: dt.datetime | None = None) -> SendingStall | None:
    """Whether sending has stalled: deliveries are due (pending and not waiting for a back-off, or
    claimed) yet no delivery was recorded for ``STALL_AFTER_SECONDS``. One aggregate query."""
    if mailing.status != Mailing.Status.SENDING:
        return None
    now = now or timezone.now()
    status = Delivery.Status
    due = Q(status=status.SENDING) | Q(status=status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    counts = Delivery.objects.filter(mailing_id=mailing.pk).aggregate(
        last=Max("updated_at"), due=Count("pk", filter=due)
    )
    last = counts["last"] or mailing.launched_at
    if not counts["due"] or last is None:
        return None
    idle = (now - last).total_seconds()
    if idle < STALL_AFTER_SECONDS:
        return None
    from campaigns.mailings.recovery import last_sweep

    return SendingStall(idle_seconds=idle, due=counts["due"], last_sweep=last_sweep())
