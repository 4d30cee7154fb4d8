"""What a choice gives the customer, as one sentence in the reader's language: the same words on
the confirmation page (before), the credit page and the confirmation mail (after)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language, ngettext, pgettext_lazy
from django.utils.translation import gettext as _

from accounts.formatting import format_money

FORM_LABELS = {
    "balance": pgettext_lazy("form of compensation", "Credit to your account balance"),
    "extension": pgettext_lazy("form of compensation", "Months of service extension"),
    "partner": pgettext_lazy("form of compensation", "Partner voucher"),
    "donation": pgettext_lazy("form of compensation", "Donation"),
}


def _date(day: dt.date | None) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else "–"


def outcome_sentence(
    *,
    form: str,
    amount: Decimal,
    rest: Decimal,
    currency: str,
    months: int = 0,
    account: str = "",
    product: str = "",
    paid_until: dt.date | None = None,
    partner: str = "",
    face_value: Decimal | None = None,
    organisation: str = "",
) -> str:
    """E.g. "3 months of Webhosting Pro on web000123, paid until 31.03.2007, and CHF 2.30 to
    your account balance." """
    language = get_language() or "de"
    money = format_money(amount, currency, language)
    if form == "extension":
        main = ngettext(
            "%(months)s month of %(product)s on %(account)s, paid until %(date)s",
            "%(months)s months of %(product)s on %(account)s, paid until %(date)s",
            months,
        ) % {"months": months, "product": product, "account": account, "date": _date(paid_until)}
    elif form == "partner":
        main = _("a %(partner)s voucher worth %(value)s") % {
            "partner": partner,
            "value": format_money(face_value or amount, currency, language),
        }
    elif form == "donation":
        main = _("%(amount)s donated to %(organisation)s in your name") % {
            "amount": money,
            "organisation": organisation,
        }
    else:
        main = _("%(amount)s to your account balance") % {"amount": money}
    if rest > 0:
        main = _("%(outcome)s, and %(rest)s to your account balance") % {
            "outcome": main,
            "rest": format_money(rest, currency, language),
        }
    return f"{main[:1].upper()}{main[1:]}."


def choice_sentence(choice) -> str:
    """A ``campaigns.offers.choices.Choice`` or a ``Redemption`` (same attribute names)."""
    account = getattr(choice, "account", None)
    code = getattr(choice, "partner_code", None)
    pool = getattr(choice, "pool", None) or (code.pool if code is not None else None)
    return outcome_sentence(
        form=choice.form,
        amount=choice.amount,
        rest=choice.rest,
        currency=choice.currency,
        months=choice.months,
        account=account.name if account is not None else "",
        product=account.product if account is not None else "",
        paid_until=choice.paid_until,
        partner=pool.partner if pool is not None else "",
        face_value=pool.face_value if pool is not None else None,
        organisation=choice.organisation,
    )
