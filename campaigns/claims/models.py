"""A customer's claim about one incident and one of their accounts, and its attachments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.languages import DEFAULT_LANGUAGE, LANGUAGES
from accounts.models import Contact, Customer, HostingAccount
from campaigns.compensation.models import GoodwillCredit
from campaigns.incidents.models import ExposureAdjustment, Incident


class Claim(models.Model):
    class Kind(models.TextChoices):
        LONGER = "longer", _("My downtime was longer")
        MISSING = "missing", _("An account of mine is missing")
        DAMAGE = "damage", _("Other damage")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("claim", "open")
        ACCEPTED = "accepted", pgettext_lazy("claim", "accepted")
        REJECTED = "rejected", pgettext_lazy("claim", "rejected")

    class Resolution(models.TextChoices):
        NONE = "", _("none")
        ADJUSTMENT = "adjustment", _("downtime added")
        GOODWILL = "goodwill", _("goodwill amount")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="claims")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="claims")
    account = models.ForeignKey(HostingAccount, on_delete=models.PROTECT, related_name="claims")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period_start = models.DateTimeField(_("down from"), null=True, blank=True)
    period_end = models.DateTimeField(_("down until"), null=True, blank=True)
    text = models.TextField(_("your description"), max_length=4000)
    language = models.CharField(_("language"), max_length=2, choices=list(LANGUAGES), default=DEFAULT_LANGUAGE)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("filed"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_by_label = models.CharField(max_length=150, blank=True)  # a user name or an API token's name
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True)
    adjustment = models.OneToOneField(
        ExposureAdjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="claim"
    )
    goodwill = models.OneToOneField(
        GoodwillCredit, on_delete=models.PROTECT, null=True, blank=True, related_name="claim"
    )
    # What accepting changed in the customer's compensation (before finance approves it).
    amount_added = models.DecimalField(_("amount added"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "account"], condition=Q(status="open"), name="claim_one_open_per_account"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__gt=F("period_start")),
                name="claim_period_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"claim {self.pk} of {self.customer_id} on {self.incident_id} ({self.status})"


class ClaimAttachment(models.Model):
    """A file the customer attached, kept in the database: private to the customer and staff,
    never served from the media folder."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size"))
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "id"]
        verbose_name = _("claim attachment")
        verbose_name_plural = _("claim attachments")

    def __str__(self):
        return self.name
