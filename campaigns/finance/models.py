"""Voucher expiry reminders: which voucher's reminder went to the mailing pipeline (once each)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.compensation.models import Voucher
from campaigns.mailings.models import Mailing


class VoucherReminder(models.Model):
    voucher = models.OneToOneField(Voucher, on_delete=models.CASCADE, related_name="reminder")
    mailing = models.ForeignKey(Mailing, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    expires_on = models.DateField(_("expires on"))
    created_at = models.DateTimeField(_("reminded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("voucher expiry reminder")
        verbose_name_plural = _("voucher expiry reminders")

    def __str__(self):
        return f"reminder for voucher {self.voucher_id} (expires {self.expires_on})"
