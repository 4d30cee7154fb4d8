"""Redeeming a voucher: exactly once, however many requests race.

The voucher row is locked (``select_for_update``) for the whole transaction; the second of two
concurrent requests waits, then sees the voucher redeemed. The ledger references are idempotency
keys as a second line of defence: the same redemption can never be booked twice.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, LedgerEntry
from accounts.services.ledger import ledger_book
from campaigns.audit.services import audit_record
from campaigns.compensation.models import Voucher

DEFAULT_OPTIONS = ["balance"]
# A redemption form is the ledger book the credit moves to.
FORM_BOOKS = {
    "balance": LedgerEntry.Book.BALANCE,
    "extension": LedgerEntry.Book.EXTENSION,
    "partner": LedgerEntry.Book.PARTNER,
}
FORM_LABELS = {
    "balance": _("Credit to your account balance"),
    "extension": _("Months of service extension"),
    "partner": _("Partner voucher"),
}


class RedemptionError(Exception):
    """A redemption the customer asked for cannot happen; ``message`` says why, for the customer."""

    message = _("This voucher cannot be redeemed.")


class VoucherInvalid(RedemptionError):
    """No such code for this customer — also another customer's code: the same answer."""

    message = _("This code is not valid.")


class VoucherAlreadyRedeemed(RedemptionError):
    message = _("This voucher has already been redeemed.")


class VoucherExpired(RedemptionError):
    message = _("This voucher has expired.")


class VoucherVoid(RedemptionError):
    message = _("This voucher is no longer valid.")


class RedemptionFormNotOffered(RedemptionError):
    message = _("This form of redemption is not offered for this voucher.")


def redemption_options(voucher: Voucher) -> list[str]:
    """The forms the voucher's incident offers, the default first; unknown names are left out."""
    options = voucher.compensation.incident.redemption_options or DEFAULT_OPTIONS
    return [option for option in options if option in FORM_BOOKS] or DEFAULT_OPTIONS


def voucher_check(voucher: Voucher | None, *, form: str | None = None) -> Voucher:
    """Raise the ``RedemptionError`` that stops this voucher being redeemed (as ``form``), if any."""
    if voucher is None:
        raise VoucherInvalid
    if voucher.status == Voucher.Status.REDEEMED:
        raise VoucherAlreadyRedeemed
    if voucher.status == Voucher.Status.VOID:
        raise VoucherVoid
    if voucher.status == Voucher.Status.EXPIRED or voucher.expires_on < timezone.localdate():
        raise VoucherExpired
    if form is not None and form not in redemption_options(voucher):
        raise RedemptionFormNotOffered
    return voucher


def voucher_lookup(*, customer: Customer, code: str | None) -> Voucher:
    """The customer's redeemable voucher with this (normalised) code, for the confirmation step."""
    voucher = (
        Voucher.objects.select_related("compensation__incident").filter(customer=customer, code=code).first()
        if code
        else None
    )
    return voucher_check(voucher)


def voucher_redeem(*, customer: Customer, code: str, form: str, actor_label: str = "") -> Voucher:
    """Redeem the customer's voucher ``code`` as ``form``: status redeemed, the amount moved from
    the voucher book to the form's book, an audit entry. Raises a ``RedemptionError``."""
    with transaction.atomic():
        voucher = voucher_check(
            Voucher.objects.select_for_update(of=("self",))
            .select_related("compensation__incident")
            .filter(customer=customer, code=code)
            .first(),
            form=form,
        )
        voucher.status = Voucher.Status.REDEEMED
        voucher.redeemed_at = timezone.now()
        voucher.redeemed_form = form
        voucher.save(update_fields=["status", "redeemed_at", "redeemed_form"])
        memo = f"{voucher.compensation.incident.slug} voucher {voucher.code[:4]}"
        ledger_book(
            customer=customer,
            book=LedgerEntry.Book.VOUCHER,
            kind=LedgerEntry.Kind.REDEEM,
            amount=-voucher.amount,
            currency=voucher.currency,
            reference=f"voucher:{voucher.pk}:redeem",
            memo=memo,
        )
        ledger_book(
            customer=customer,
            book=FORM_BOOKS[form],
            kind=LedgerEntry.Kind.REDEEM,
            amount=voucher.amount,
            currency=voucher.currency,
            reference=f"voucher:{voucher.pk}:redeem:target",
            memo=memo,
        )
        audit_record(
            actor=None,
            action="voucher.redeem",
            incident=voucher.compensation.incident,
            obj=voucher,
            actor_label=actor_label or f"customer:{customer.number}",
            form=form,
            amount=str(voucher.amount),
            currency=voucher.currency,
        )
    return voucher
