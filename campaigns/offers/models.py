"""Forms of compensation per incident (four eyes), partner code pools, and redemption outcomes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, HostingAccount
from campaigns.audit.four_eyes import FourEyesProposal, ProposalStatus
from campaigns.compensation.models import Voucher
from campaigns.incidents.models import Incident

FORMS = ("balance", "extension", "partner", "donation")


class OfferSettings(FourEyesProposal):
    """One version of the forms an incident offers: proposed by one finance user, in force once
    another approved it (``campaigns.audit.four_eyes``); the latest approved one is in force.

    ``forms`` lists the forms offered, the default first; ``partners`` the partners whose pools
    the partner form draws from; ``organisation`` receives donations (empty: no donation)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="offer_settings")
    forms = models.JSONField(_("forms offered"), default=list)
    partners = models.JSONField(_("partners"), default=list, blank=True)
    organisation = models.CharField(_("organisation receiving donations"), max_length=200, blank=True)

    class Meta:
        ordering = ["incident_id", "-decided_at", "-id"]
        verbose_name = _("forms of compensation")
        verbose_name_plural = _("forms of compensation")
        constraints = [
            models.UniqueConstraint(
                fields=["incident"], condition=Q(status=ProposalStatus.PENDING), name="offers_one_pending"
            ),
        ]

    def __str__(self):
        return f"{self.incident_id}: {', '.join(self.forms)} ({self.status})"


class PartnerPool(models.Model):
    """Unused and handed-out codes of one partner at one face value in one currency."""

    partner = models.CharField(_("partner"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3)
    face_value = models.DecimalField(_("face value"), max_digits=12, decimal_places=2)
    low_threshold = models.PositiveIntegerField(_("warn finance at"), default=10)
    # Set when finance was warned that the pool runs low; cleared by a refill.
    low_warned_at = models.DateTimeField(_("finance warned at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["partner", "currency", "-face_value"]
        verbose_name = _("partner code pool")
        verbose_name_plural = _("partner code pools")
        constraints = [
            models.UniqueConstraint(fields=["partner", "currency", "face_value"], name="pool_unique_value"),
            models.CheckConstraint(condition=Q(face_value__gt=Decimal("0")), name="pool_face_value_positive"),
        ]

    def __str__(self):
        return f"{self.partner} {self.face_value} {self.currency}"


class PartnerCode(models.Model):
    """One code of a partner (a shop's gift card). Readable only by finance and, once handed out,
    by the customer who got it."""

    pool = models.ForeignKey(PartnerPool, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)

    class Meta:
        ordering = ["pool_id", "id"]
        verbose_name = _("partner code")
        verbose_name_plural = _("partner codes")
        constraints = [models.UniqueConstraint(fields=["pool", "code"], name="partner_code_unique")]
        indexes = [models.Index(fields=["pool", "handed_out_at"])]

    def __str__(self):
        return f"{self.pool} {self.code[:3]}…"  # never the whole code


class Redemption(models.Model):
    """What one redemption did: ``amount`` went to ``form``, ``rest`` to the balance; an
    extension names the account, its months and its paid-until date before and after; a
    partner voucher the code handed out; a donation its organisation. One per voucher."""

    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="redemption")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="redemptions")
    form = models.CharField(_("form"), max_length=16)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    rest = models.DecimalField(_("to the balance"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3)
    account = models.ForeignKey(HostingAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    months = models.PositiveIntegerField(_("months"), default=0)
    paid_until_before = models.DateField(_("paid until before"), null=True, blank=True)
    paid_until = models.DateField(_("paid until"), null=True, blank=True)
    partner_code = models.OneToOneField(
        PartnerCode, on_delete=models.PROTECT, null=True, blank=True, related_name="redemption"
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("redeemed at"), db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=Decimal("0")), name="redemption_amount_not_negative"),
            models.CheckConstraint(condition=Q(rest__gte=Decimal("0")), name="redemption_rest_not_negative"),
            models.CheckConstraint(condition=Q(form__in=list(FORMS)), name="redemption_form_known"),
        ]

    def __str__(self):
        return f"{self.voucher_id} as {self.form}: {self.amount} + {self.rest} {self.currency}"
