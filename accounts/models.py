"""Who: customers, their contacts, hosting accounts, servers, volumes, placements and the ledger."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES, LANGUAGES


class StorageVolume(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    datacenter = models.CharField(_("data centre"), max_length=64, blank=True)
    # What the public status pages call it; empty: it is not named there.
    public_name = models.CharField(
        _("public name"), max_length=64, blank=True, help_text=_("Shown on the status page; empty: not named there.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("storage volume")
        verbose_name_plural = _("storage volumes")

    def __str__(self):
        return self.name


class Server(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    hostname = models.CharField(_("host name"), max_length=255, blank=True)
    storage_volume = models.ForeignKey(
        StorageVolume,
        verbose_name=_("storage volume"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="servers",
    )
    datacenter = models.CharField(_("data centre"), max_length=64, blank=True)
    # What the public status pages call it; empty: it is not named there.
    public_name = models.CharField(
        _("public name"), max_length=64, blank=True, help_text=_("Shown on the status page; empty: not named there.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("server")
        verbose_name_plural = _("servers")

    def __str__(self):
        return self.name


class Customer(models.Model):
    number = models.CharField(_("customer number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=2, choices=list(LANGUAGES), default=DEFAULT_LANGUAGE)
    currency = models.CharField(_("currency"), max_length=3, default="CHF")
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.DEFAULT_CUSTOMER_TIME_ZONE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(condition=Q(language__in=list(LANGUAGE_CODES)), name="customer_language_valid"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


def new_token_secret() -> str:
    """A contact's sign-in secret: 256 random bits, part of every sign-in link's digest."""
    return secrets.token_urlsafe(32)


class Contact(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary", _("primary")
        TECHNICAL = "technical", _("technical")
        BILLING = "billing", _("billing")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PRIMARY)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=list(LANGUAGES), blank=True, help_text=_("Empty: the customer's.")
    )
    # Portal sign-in: a password only for contacts who set one; last_login makes magic links single-use.
    password = models.CharField(_("password"), max_length=128, blank=True)
    last_login = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    # Random, never shown, rotated whenever a link is used and on sign-out: without it, ids and
    # addresses would be enough to compute a valid link for whoever holds the SECRET_KEY.
    token_secret = models.CharField(_("sign-in secret"), max_length=64, default=new_token_secret, editable=False)

    class Meta:
        ordering = ["customer_id", "role", "email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="contact_unique_per_customer"),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    @property
    def effective_language(self) -> str:
        return self.language or self.customer.language


class PortalSignIn(models.Model):
    """One sign-in to the portal, for support's view of a customer's story (when, who, how)."""

    class Method(models.TextChoices):
        LINK = "link", _("sign-in link")
        PASSWORD = "password", _("password")
        RESET = "reset", _("password reset")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="sign_ins")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_sign_ins")
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    signed_in_at = models.DateTimeField(_("signed in"), default=timezone.now)

    class Meta:
        verbose_name = _("portal sign-in")
        verbose_name_plural = _("portal sign-ins")
        indexes = [models.Index(fields=["customer", "-signed_in_at"], name="signin_customer_recent")]

    def __str__(self):
        return f"{self.contact_id} {self.method} {self.signed_in_at:%Y-%m-%d %H:%M}"


class HostingAccount(models.Model):
    name = models.CharField(_("account"), max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="hosting_accounts")
    product = models.CharField(_("product"), max_length=100)
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=12, decimal_places=2)
    # The last day the account is paid for (billing's figure); a service extension moves it.
    paid_until = models.DateField(_("paid until"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("hosting account")
        verbose_name_plural = _("hosting accounts")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_fee__gte=Decimal("0")), name="account_fee_not_negative"),
        ]

    def __str__(self):
        return self.name


class Placement(models.Model):
    """A hosting account on a server during the half-open interval ``[active_from, active_until)``."""

    account = models.ForeignKey(HostingAccount, on_delete=models.CASCADE, related_name="placements")
    server = models.ForeignKey(Server, on_delete=models.PROTECT, related_name="placements")
    active_from = models.DateTimeField(_("active from"))
    active_until = models.DateTimeField(_("active until"), null=True, blank=True)

    class Meta:
        ordering = ["account_id", "active_from"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(fields=["account", "active_from"], name="placement_unique_start"),
            models.CheckConstraint(
                condition=Q(active_until__isnull=True) | Q(active_until__gt=F("active_from")),
                name="placement_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["server", "active_from"])]

    def __str__(self):
        return f"{self.account} on {self.server} from {self.active_from:%Y-%m-%d %H:%M}"


class LedgerEntry(models.Model):
    """One append-only booking on a customer's credit ledger.

    Books: ``voucher`` holds credit promised by an issued voucher (liability); redeeming moves it
    to ``balance`` (or another redemption form's book), expiry or voiding releases it. A book's
    sum is its balance. ``reference`` is an idempotency key: the same business event cannot be
    booked twice, whatever races. On PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    class Book(models.TextChoices):
        VOUCHER = "voucher", _("voucher credit")
        BALANCE = "balance", _("account balance")
        EXTENSION = "extension", _("service extension")
        PARTNER = "partner", _("partner voucher")
        DONATION = "donation", _("donation")

    class Kind(models.TextChoices):
        ISSUE = "issue", _("issued")
        TOPUP = "topup", _("top-up")
        REDEEM = "redeem", _("redeemed")
        EXPIRE = "expire", _("expired")
        VOID = "void", _("voided")
        ADJUST = "adjust", _("adjustment")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="ledger_entries")
    book = models.CharField(_("book"), max_length=16, choices=Book.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=Decimal("0")), name="ledger_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["customer", "book"])]

    def __str__(self):
        return f"{self.customer_id} {self.book} {self.kind} {self.amount} {self.currency}"
