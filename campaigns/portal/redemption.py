"""Redeeming a voucher: exactly once, however many requests race, whatever form each one chose.

The voucher row is locked (``select_for_update``) for the whole transaction; the second of two
concurrent requests waits, then sees the voucher redeemed. What the chosen form does (an account
extended, a partner code handed out, a donation recorded) happens in the same transaction
(``campaigns.offers.outcomes``); one ``Redemption`` per voucher and the ledger references are
idempotency keys as further lines of defence: the same redemption can never be booked twice.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, LedgerEntry
from accounts.portal_version import portal_changed
from accounts.services.ledger import ledger_book
from campaigns.audit.services import audit_record
from campaigns.compensation.models import Voucher
from campaigns.offers.choices import ChoiceGone, ChoiceNotOffered, voucher_choices
from campaigns.offers.configuration import offer_in_force
from campaigns.offers.models import Redemption
from campaigns.offers.outcomes import outcome_take
from campaigns.offers.rules import parse_choice
from campaigns.offers.sentences import FORM_LABELS  # noqa: F401 (the portal's labels of the forms)
from campaigns.offers.tasks import pool_low_mail, redemption_mail

DEFAULT_OPTIONS = ["balance"]
# A redemption form is the ledger book the credit moves to; any rest goes to the balance.
FORM_BOOKS = {
    "balance": LedgerEntry.Book.BALANCE,
    "extension": LedgerEntry.Book.EXTENSION,
    "partner": LedgerEntry.Book.PARTNER,
    "donation": LedgerEntry.Book.DONATION,
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


class RedemptionChoiceGone(RedemptionError):
    message = ChoiceGone.message


def redemption_options(voucher: Voucher) -> list[str]:
    """The forms the voucher's incident offers (approved by finance), the default first."""
    return redeemable_forms(offer_in_force(voucher.compensation.incident).forms)


def redeemable_forms(forms) -> list[str]:
    """Of the forms an offer names, those a voucher can be redeemed as, in the offer's order."""
    return [form for form in forms if form in FORM_BOOKS]


def redemption_choices(voucher: Voucher):
    """What exactly this voucher can become now (``campaigns.offers.choices.Choice``), for the
    confirmation page: the default form first, an extension per account, a partner per pool."""
    return voucher_choices(voucher)


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
    if form is not None and parse_choice(form).form not in redemption_options(voucher):
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
    """Redeem the customer's voucher ``code`` as ``form``, a choice key (``balance``,
    ``extension:<account>``, ``partner:<pool id>``, ``donation``): status redeemed, the form done,
    the amount moved from the voucher book to the form's book (any rest to the balance), an audit
    entry, and the customer's confirmation mail on commit. Raises a ``RedemptionError``."""
    with transaction.atomic():
        voucher = voucher_check(
            Voucher.objects.select_for_update(of=("self",))
            .select_related("compensation__incident")
            .filter(customer=customer, code=code)
            .first(),
            form=form,
        )
        now = timezone.now()
        try:
            redemption, low_pool = outcome_take(voucher=voucher, key=form, now=now)
        except ChoiceNotOffered:
            raise RedemptionFormNotOffered from None
        except ChoiceGone:
            raise RedemptionChoiceGone from None
        voucher.status = Voucher.Status.REDEEMED
        voucher.redeemed_at = now
        voucher.redeemed_form = redemption.form
        voucher.save(update_fields=["status", "redeemed_at", "redeemed_form"])
        _book(customer, voucher, redemption)
        audit_record(
            actor=None,
            action="voucher.redeem",
            incident=voucher.compensation.incident,
            obj=voucher,
            actor_label=actor_label or f"customer:{customer.number}",
            form=redemption.form,
            amount=str(voucher.amount),
            currency=voucher.currency,
            **_details(redemption),
        )
        transaction.on_commit(partial(redemption_mail.delay, redemption.pk))
        if low_pool is not None:
            transaction.on_commit(partial(pool_low_mail.delay, low_pool.pk))
        portal_changed(customer_ids=[customer.pk])
    return voucher


def _book(customer: Customer, voucher: Voucher, redemption: Redemption) -> None:
    memo = f"{voucher.compensation.incident.slug} voucher {voucher.code[:4]}"
    reference = f"voucher:{voucher.pk}:redeem"
    ledger_book(customer=customer, book=LedgerEntry.Book.VOUCHER, kind=LedgerEntry.Kind.REDEEM,
                amount=-voucher.amount, currency=voucher.currency, reference=reference, memo=memo)  # fmt: skip
    if redemption.amount > 0:
        ledger_book(customer=customer, book=FORM_BOOKS[redemption.form], kind=LedgerEntry.Kind.REDEEM,
                    amount=redemption.amount, currency=voucher.currency, reference=f"{reference}:target",
                    memo=memo)  # fmt: skip
    if redemption.rest > 0:
        ledger_book(customer=customer, book=LedgerEntry.Book.BALANCE, kind=LedgerEntry.Kind.REDEEM,
                    amount=redemption.rest, currency=voucher.currency, reference=f"{reference}:rest",
                    memo=memo)  # fmt: skip


def _details(redemption: Redemption) -> dict:
    """What the audit entry adds for a form that does more than credit money."""
    details: dict = {"rest": str(redemption.rest)} if redemption.rest else {}
    if redemption.form == "extension" and redemption.account is not None:
        details |= {"account": redemption.account.name, "months": redemption.months,
                    "paid_until": redemption.paid_until.isoformat() if redemption.paid_until else ""}  # fmt: skip
    elif redemption.partner_code is not None:
        details |= {"partner": redemption.partner_code.pool.partner, "face_value": str(redemption.amount)}
    elif redemption.form == "donation":
        details["organisation"] = redemption.organisation
    return details
