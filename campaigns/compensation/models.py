"""Compensation: versioned policies, the amount per customer, and the vouchers that carry it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from campaigns.audit.four_eyes import FourEyesProposal, ProposalStatus
from campaigns.incidents.models import Incident


class CompensationPolicy(models.Model):
    """One immutable version of a named policy; editing creates the next version.

    ``params`` by kind (amounts as strings, parsed to Decimal by ``campaigns.compensation.policy``):
    - ``tiers``: ``{"tiers": [[hours, percent], ...], "minimum": "5.00", "step": "0.05",
      "rounding": "up"}``
    - ``prorata``: ``{"factor": "1", "cap": "100", "minimum": "5.00", "step": "0.05",
      "rounding": "up"}`` — ``cap`` is the most an account earns, in percent of its monthly fee.
    """

    class Kind(models.TextChoices):
        TIERS = "tiers", _("tiers by duration")
        PRORATA = "prorata", _("pro rata")

    name = models.CharField(_("name"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)
    is_current = models.BooleanField(_("current version"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Four eyes: the finance user who approved this version's proposal (None: built in, or before 0014).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("compensation policy")
        verbose_name_plural = _("compensation policies")
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="policy_unique_version"),
            models.UniqueConstraint(fields=["name"], condition=Q(is_current=True), name="policy_one_current_version"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Compensation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="compensations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="compensations")
    policy = models.ForeignKey(CompensationPolicy, on_delete=models.PROTECT, related_name="compensations")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    affected_seconds = models.BigIntegerField(_("affected seconds"))
    tier = models.CharField(_("tier"), max_length=32, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict)
    inputs_digest = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    computed_at = models.DateTimeField(_("computed at"))
    # Four-eyes: who prepared the draft (None = the command line) may not approve it.
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["incident_id", "customer_id"]
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer"], name="compensation_unique_customer"),
            models.CheckConstraint(condition=Q(amount__gte=Decimal("0")), name="compensation_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.customer_id} in {self.incident_id}: {self.amount} {self.currency}"


class Voucher(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("issued")
        REDEEMED = "redeemed", _("redeemed")
        EXPIRED = "expired", _("expired")
        VOID = "void", _("void")

    compensation = models.ForeignKey(Compensation, on_delete=models.PROTECT, related_name="vouchers")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="vouchers")
    # Stored without separators, shown grouped as XXXX-XXXX-XXXX-XXXX (campaigns.compensation.codes).
    code = models.CharField(_("code"), max_length=32, unique=True)
    is_topup = models.BooleanField(_("top-up"), default=False)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ISSUED)
    expires_on = models.DateField(_("expires on"))
    issued_at = models.DateTimeField(_("issued at"))
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redeemed_form = models.CharField(_("redeemed as"), max_length=32, blank=True)
    closed_at = models.DateTimeField(_("expired or voided at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="vouchers/%Y/%m/", blank=True)

    class Meta:
        ordering = ["-issued_at", "id"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="voucher_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "expires_on"]), models.Index(fields=["customer", "status"])]

    def __str__(self):
        return f"{self.code[:4]}… {self.amount} {self.currency} ({self.status})"  # never the whole code


class CompensationTopUp(models.Model):
    """A raise of an approved compensation (its exposure grew after approval) waiting for a
    second person: like a first amount, it is prepared by one and approved by another finance
    user; only then is the compensation raised and the top-up voucher issued."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")

    compensation = models.ForeignKey(Compensation, on_delete=models.CASCADE, related_name="topups")
    amount = models.DecimalField(_("top-up"), max_digits=12, decimal_places=2)  # the difference
    currency = models.CharField(_("currency"), max_length=3)
    # What the compensation becomes on approval: amount, affected_seconds, tier, explanation, inputs_digest.
    raised = models.JSONField(_("raised compensation"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_at = models.DateTimeField(_("prepared at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["compensation_id", "prepared_at"]
        verbose_name = _("compensation top-up")
        verbose_name_plural = _("compensation top-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["compensation"], condition=Q(status="pending"), name="topup_one_pending_per_compensation"
            ),
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="topup_amount_positive"),
        ]

    def __str__(self):
        return f"+{self.amount} {self.currency} on {self.compensation_id} ({self.status})"


class PolicyProposal(FourEyesProposal):
    """A new policy, or the next version of one, as finance proposed it; it becomes a version only
    when another finance user approves it (``campaigns.compensation.policy_proposals``)."""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=CompensationPolicy.Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # The version this proposal changes (None: a new policy); approval is refused once it is not current.
    base = models.ForeignKey(
        CompensationPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals"
    )
    result = models.ForeignKey(CompensationPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("policy proposal")
        verbose_name_plural = _("policy proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(status=ProposalStatus.PENDING), name="policy_one_pending_proposal"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.status})"


class GoodwillCredit(models.Model):
    """An amount granted beyond the policy for a reason (an accepted claim): added to the
    customer's compensation when it is next prepared, and so approved by a second person like
    any amount (a top-up once the compensation is approved)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="goodwill_credits")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="goodwill_credits")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reason"), max_length=64)  # "claim:<id>"
    noted_at = models.DateTimeField(_("reason dated"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["incident_id", "customer_id", "created_at"]
        verbose_name = _("goodwill credit")
        verbose_name_plural = _("goodwill credits")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="goodwill_amount_positive"),
        ]

    def __str__(self):
        return f"+{self.amount} {self.currency} goodwill for {self.customer_id} in {self.incident_id}"
