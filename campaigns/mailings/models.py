"""Mailings: one letter per affected contact, sent in batches; deliveries and their events."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Contact, Customer
from campaigns.incidents.models import Incident

# The name of a mailing the product drafts itself (name left empty), in the reader's language.
DEFAULT_NAMES = {
    "apology": pgettext_lazy("mailing name", "Apology: %(title)s"),
    "correction": pgettext_lazy("mailing name", "Correction: %(title)s"),
    "update": pgettext_lazy("mailing name", "Update of %(date)s: %(title)s"),
    "reminder": pgettext_lazy("mailing name", "Voucher expiry reminder of %(date)s: %(title)s"),
    "custom": pgettext_lazy("mailing name", "Mailing of %(date)s: %(title)s"),
}


class Mailing(models.Model):
    """A mailing to (part of) an incident's affected customers.

    ``audience``: filters, all optional: ``{"servers": [names], "volumes": [names], "languages":
    [codes], "products": [names], "min_amount": "5.00", "max_amount": "100.00"}``; empty = every
    affected customer. ``content``: per language ``{"de": {"subject": …, "body": …}, …}``, the body
    in Markdown, with placeholders that ``campaigns.mailings.letters`` validates and renders.
    """

    class Kind(models.TextChoices):
        APOLOGY = "apology", _("apology")
        UPDATE = "update", _("incident update")
        REMINDER = "reminder", _("voucher expiry reminder")
        CUSTOM = "custom", _("custom")
        CORRECTION = "correction", _("correction")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="mailings")
    # Empty for the mailings the product drafts (apology, correction, update, reminder): the
    # console names them in its reader's language (``display_name``).
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.APOLOGY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    contact_roles = models.JSONField(_("contact roles"), default=list, blank=True)
    content = models.JSONField(_("content"), default=dict, blank=True)
    attach_voucher = models.BooleanField(_("attach voucher PDF"), default=True)
    from_email = models.CharField(_("sender"), max_length=255, blank=True)
    reply_to = models.CharField(_("reply-to"), max_length=255, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    batch_size = models.PositiveIntegerField(_("batch size"), default=200)
    rate_per_second = models.FloatField(_("messages per second"), default=0, help_text=_("0: no throttle"))
    auto_pause_error_rate = models.FloatField(_("pause when the error rate passes"), default=0.2)
    paused_reason = models.CharField(_("paused because"), max_length=255, blank=True)
    cloned_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name support gave it, else the default name of its kind in the active language."""
        if self.name:
            return self.name
        day = formats.date_format(localtime(self.created_at), "SHORT_DATE_FORMAT") if self.created_at else ""
        return str(DEFAULT_NAMES.get(self.kind, DEFAULT_NAMES["custom"])) % {"title": self.incident.title, "date": day}


class Delivery(models.Model):
    """One message of a mailing to one contact; snapshotted when the mailing is launched."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("unknown")  # a worker died between handing over and recording

    class Tracking(models.TextChoices):
        # Ordered: a delivery's tracking state only ever moves to a later one.
        NONE = "", _("no event yet")
        QUEUED = "queued", _("queued at the provider")
        DEFERRED = "deferred", _("deferred")
        DELIVERED = "delivered", _("delivered")
        OPENED = "opened", _("opened")
        CLICKED = "clicked", _("clicked")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complained")

    # Indexed by the unique (mailing, contact) and (mailing, status, batch), not on its own.
    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="deliveries")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="deliveries")
    email = models.EmailField(_("address"))
    language = models.CharField(_("language"), max_length=2)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    tracking = models.CharField(_("tracking"), max_length=16, choices=Tracking.choices, blank=True, default="")
    batch = models.PositiveIntegerField(_("batch"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Who holds the claim while "sending": the PostgreSQL backend process of the claiming
    # connection (elsewhere the claiming process), so that a dead worker is noticed at once.
    claimed_by = models.PositiveIntegerField(_("claimed by"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["mailing_id", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["mailing", "contact"], name="delivery_unique_contact")]
        # Few indexes: every delivery is inserted once and updated twice (claimed, recorded), and
        # each update writes every index. One serves the claim (mailing, pending, batch), the
        # progress counts and the sweeps; the partial one finds a delivery from a webhook event.
        indexes = [
            models.Index(fields=["mailing", "status", "batch"], name="delivery_mailing_status_batch"),
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="delivery_message_id"),
        ]

    def __str__(self):
        return f"{self.email} ({self.status})"


class DeliveryEvent(models.Model):
    """What happened to a delivery: our own attempts (``esp`` "hostnotify") and the ESP's events."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    esp = models.CharField(_("source"), max_length=32)
    event_type = models.CharField(_("event"), max_length=32)
    event_id = models.CharField(_("event id"), max_length=255)
    occurred_at = models.DateTimeField(_("at"))
    description = models.TextField(_("description"), blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        constraints = [models.UniqueConstraint(fields=["esp", "event_id"], name="delivery_event_unique")]

    def __str__(self):
        return f"{self.event_type} {self.occurred_at:%Y-%m-%d %H:%M}"


class SuppressedAddress(models.Model):
    """An address later mailings skip: it bounced hard or complained."""

    email = models.EmailField(_("address"), unique=True)
    reason = models.CharField(_("reason"), max_length=32)
    delivery = models.ForeignKey(Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return self.email


class PeriodicRun(models.Model):
    """One periodic job's lease and last run, so that it runs once per due time however many
    schedulers (``run_periodic`` from cron, the demo's scheduler) try at once."""

    name = models.CharField(_("job"), max_length=64, primary_key=True)
    holder = models.CharField(_("held by"), max_length=128, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_result = models.JSONField(_("last result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self):
        return self.name
