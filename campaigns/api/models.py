"""The HTTP API's own data: integration tokens, remembered answers of idempotent requests, and
the alerts monitoring sent (with the window each opened, or why it opened none)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.incidents.models import Incident, OutageWindow


class ApiToken(models.Model):
    """One integration's credential. Only the SHA-256 digest of the secret is stored."""

    class Scope(models.TextChoices):
        INVENTORY = "inventory", _("inventory (servers, customers, accounts)")
        INCIDENTS = "incidents", _("incidents, windows and monitoring alerts")
        READ = "read", _("read exposure, compensation and mailings")
        VOUCHERS = "vouchers", _("voucher codes: look up and redeem")
        CLAIMS = "claims", _("customers' claims: read and answer")

    name = models.CharField(_("name"), max_length=100, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=12)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), default=0, help_text=_("0: the default of the installation.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return self.name


class IdempotentRequest(models.Model):
    """The first answer to a request that carried an ``Idempotency-Key``: a retry gets it again."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotent_request_unique_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_created_idx")]  # the purge

    def __str__(self):
        return f"{self.token_id}:{self.key} → {self.status_code}"


class MonitoringAlert(models.Model):
    """One alert as Alertmanager identifies it (fingerprint and start) and what it did here."""

    class Outcome(models.TextChoices):
        OPENED = "opened", _("window opened")
        ENDED = "ended", _("window ended")
        UNKNOWN_TARGET = "unknown_target", _("no known server or volume in its labels")
        FROZEN = "frozen", _("incident frozen: compensation approved")

    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16)
    group = models.CharField(_("group"), max_length=200, blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    incident = models.ForeignKey(Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    window = models.ForeignKey(OutageWindow, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("monitoring alert")
        verbose_name_plural = _("monitoring alerts")
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "starts_at"], name="monitoring_alert_unique"),
        ]
        indexes = [
            models.Index(
                fields=["outcome", "received_at"], condition=Q(outcome="unknown_target"), name="alert_unknown_idx"
            )
        ]

    def __str__(self):
        return f"{self.fingerprint} {self.starts_at:%Y-%m-%d %H:%M} {self.outcome}"
