"""What happened: incidents, their outage windows, and each account's exposure."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES, LANGUAGES
from accounts.models import Customer, HostingAccount, Server, StorageVolume
from campaigns.incidents.fields import NameListField

# The languages an incident's title and description are written in (campaigns/incidents/translation.py).
INCIDENT_LANGUAGES = LANGUAGE_CODES


class Incident(models.Model):  # type: ignore[django-manager-missing]  # modeltranslation patches its manager at run time
    class Status(models.TextChoices):
        # "incident": the French badge agrees with "Panne" (feminine), not with a masculine noun
        OPEN = "open", pgettext_lazy("incident", "open")
        RESOLVED = "resolved", pgettext_lazy("incident", "resolved")
        CLOSED = "closed", pgettext_lazy("incident", "closed")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    description = models.TextField(_("description"), blank=True)
    default_language = models.CharField(
        _("default language"), max_length=2, choices=list(LANGUAGES), default=DEFAULT_LANGUAGE
    )
    # Not public until support publishes it (campaigns.status.publishing), whatever created it.
    public = models.BooleanField(_("shown on the status page"), default=False)
    # Redemption forms the portal offers for this incident's vouchers; the first is the default.
    redemption_options = models.JSONField(_("redemption options"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self):
        return self.title or self.slug

    def title_in(self, language: str) -> str:
        """The title a reader of ``language`` sees (the incident's default language when missing)."""
        with translation.override(language):
            return self.title

    def description_in(self, language: str) -> str:
        with translation.override(language):
            return self.description


class OutageWindow(models.Model):
    """A server or a whole storage volume was down during ``[start, end)``; no end = ongoing."""

    class TargetType(models.TextChoices):
        SERVER = "server", _("server")
        VOLUME = "volume", _("storage volume")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="windows")
    title = models.CharField(_("title"), max_length=200, blank=True)
    target_type = models.CharField(_("target type"), max_length=8, choices=TargetType.choices)
    server = models.ForeignKey(Server, on_delete=models.PROTECT, null=True, blank=True, related_name="windows")
    volume = models.ForeignKey(StorageVolume, on_delete=models.PROTECT, null=True, blank=True, related_name="windows")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True, help_text=_("Empty while ongoing."))

    class Meta:
        ordering = ["incident_id", "start", "id"]
        verbose_name = _("outage window")
        verbose_name_plural = _("outage windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="window_end_after_start"
            ),
            models.CheckConstraint(
                condition=(Q(target_type="server", server__isnull=False, volume__isnull=True))
                | Q(target_type="volume", volume__isnull=False, server__isnull=True),
                name="window_target_matches_type",
            ),
        ]

    def __str__(self):
        return f"{self.target} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}" if self.end else str(self.target)

    @property
    def target(self):
        return self.server if self.target_type == self.TargetType.SERVER else self.volume

    @property
    def is_ongoing(self) -> bool:
        return self.end is None


class Exposure(models.Model):
    """The merged downtime of one account in one incident.

    ``intervals`` holds the merged pieces as ``[start_iso_utc, end_iso_utc, server_name]``,
    ordered by start; ``servers`` the list of distinct server names in order of first appearance
    (filter with ``servers__overlap=[names]``).
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="exposures")
    account = models.ForeignKey(HostingAccount, on_delete=models.CASCADE, related_name="exposures")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="exposures")
    affected_seconds = models.BigIntegerField(_("affected seconds"))
    intervals = models.JSONField(_("intervals"), default=list)
    servers = NameListField(_("servers"), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["incident_id", "customer_id", "account_id"]
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        constraints = [
            models.UniqueConstraint(fields=["incident", "account"], name="exposure_unique_account"),
            models.CheckConstraint(condition=Q(affected_seconds__gt=0), name="exposure_seconds_positive"),
        ]
        indexes = [models.Index(fields=["incident", "customer"])]

    def __str__(self):
        return f"{self.account_id} in {self.incident_id}: {self.affected_seconds}s"


class ExposureAdjustment(models.Model):
    """Downtime of one account that the windows do not show, added by a person for a reason (an
    accepted claim): ``exposure_recompute`` adds ``[start, end)`` to the account's exposure,
    attributed to ``server`` (where the account was), counting time the windows cover once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="adjustments")
    account = models.ForeignKey(HostingAccount, on_delete=models.PROTECT, related_name="exposure_adjustments")
    server = models.ForeignKey(Server, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # Why: "claim:<id>", and when the reason arose (the claim was filed), for the explanation.
    reference = models.CharField(_("reason"), max_length=64)
    noted_at = models.DateTimeField(_("reason dated"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["incident_id", "account_id", "start"]
        verbose_name = _("exposure adjustment")
        verbose_name_plural = _("exposure adjustments")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="adjustment_end_after_start"),
        ]

    def __str__(self):
        return f"{self.account_id} in {self.incident_id}: {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"
