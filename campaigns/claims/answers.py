"""The answers support starts from, in the customer's language (support edits them before sending)."""

from __future__ import annotations

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.formatting import format_money
from accounts.portal_session import customer_time_zone
from campaigns.claims.models import Claim

DECISIONS = ("adjustment", "goodwill", "reject")


def answer_templates(claim: Claim, *, goodwill_amount: str = "") -> dict[str, str]:
    """decision → the answer text in the claim's language, naming the claim's date and account."""
    with translation.override(claim.language), timezone.override(customer_time_zone(claim.customer)):
        values = {
            "date": formats.date_format(timezone.localtime(claim.created_at), "SHORT_DATE_FORMAT"),
            "account": claim.account.name,
            "name": claim.customer.name,
            "amount": format_money(goodwill_amount or "0", claim.customer.currency, claim.language)
            if goodwill_amount
            else "…",
        }
        return {
            "adjustment": _(
                "Dear %(name)s, thank you for your claim of %(date)s about %(account)s. We have checked it and "
                "added the downtime you reported to your account's outage. Your compensation is computed again "
                "with our policy; once our finance team has approved it, any additional credit appears in the "
                "customer portal as a new voucher."
            )
            % values,
            "goodwill": _(
                "Dear %(name)s, thank you for your claim of %(date)s about %(account)s. As a gesture of goodwill "
                "we add %(amount)s to your compensation. Once our finance team has approved it, you will find it "
                "in the customer portal as a new voucher."
            )
            % values,
            "reject": _(
                "Dear %(name)s, thank you for your claim of %(date)s about %(account)s. We have checked it "
                "carefully but cannot accept it, for this reason:"
            )
            % values,
        }


def answer_adds_nothing(claim: Claim, text: str) -> bool:
    """A rejection that is the bare template: it gives the customer no reason."""
    return text.strip() == answer_templates(claim)["reject"].strip()
