"""Exposure: how long each hosting account was down in an incident."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, HostingAccount

from .incidents import Incident


class Exposure(models.Model):
    """The merged downtime of one account in one incident.

    ``intervals`` holds the merged pieces as ``[start_iso_utc, end_iso_utc, server_name]``,
    ordered by start; ``servers`` the distinct server names in order of first appearance.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="exposures")
    account = models.ForeignKey(HostingAccount, on_delete=models.CASCADE, related_name="exposures")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="exposures")
    affected_seconds = models.BigIntegerField(_("affected seconds"))
    intervals = models.JSONField(_("intervals"), default=list)
    servers = models.CharField(_("servers"), max_length=500)
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
