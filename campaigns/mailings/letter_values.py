"""What a letter says to one recipient: the merge values of the placeholders, built from the
batch data (``letter_batch``) in the recipient's language, and what every letter of a batch
shares (``Sender``: addresses, brand, the signer of sign-in links)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from email.utils import parseaddr
from functools import lru_cache

from django.conf import settings

from accounts.formatting import format_money
from accounts.links import absolute_url
from accounts.services.portal_auth import MagicLinks
from campaigns.compensation import codes
from campaigns.compensation.models import Voucher
from campaigns.incidents import impact
from campaigns.incidents.models import Incident
from campaigns.mailings import phrases
from campaigns.mailings.letter_batch import ContactData, CustomerData
from campaigns.mailings.letter_engine import MarkdownList, Verbatim


def _credit_details(explanation, language: str) -> list[str]:
    """Per account its share, and the minimum where it applied, from the policy's explanation
    (``campaigns.compensation.policy.customer_amount``); anything it lacks is left out."""
    if not isinstance(explanation, dict):
        return []
    details = []
    for item in explanation.get("accounts") or []:
        if not isinstance(item, dict) or not item.get("account"):
            continue
        percent, hours = str(item.get("percent") or ""), str(item.get("hours") or "")
        if percent not in ("", "0") or hours:
            details.append(phrases.share_text(language, account=item["account"], percent=percent, hours=hours))
    if explanation.get("minimum_applied") and explanation.get("minimum"):
        currency = explanation.get("currency") or "CHF"
        details.append(
            phrases.minimum_text(language, format_money(Decimal(explanation["minimum"]), currency, language))
        )
    return details


@lru_cache(maxsize=4096)
def _local_text(iso_utc: str, time_zone: str) -> str:
    """A stored UTC instant as local wall-clock text; windows repeat across a whole batch."""
    return phrases.local_datetime(dt.datetime.fromisoformat(iso_utc), time_zone)


class Sender:
    """What every letter of a batch shares: addresses, brand, and the signer of sign-in links
    (None for previews and test sends, whose link signs nobody in: staff must not hold
    customers' keys)."""

    def __init__(self, *, live_links: bool, reveal_codes: bool | None = None):
        hostnotify = getattr(settings, "HOSTNOTIFY", {})
        self.links = MagicLinks() if live_links else None
        # The customer's own letter carries the codes whole; a preview only for finance.
        self.reveal_codes = live_links if reveal_codes is None else reveal_codes
        # A preview's sign-in link is the sign-in page itself: it works, and signs nobody in.
        self.preview_link = absolute_url("portal:login")
        self.portal_url = Verbatim(absolute_url("portal:home"))
        self.support_email = Verbatim(hostnotify.get("SUPPORT_EMAIL") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1])
        self.brand_name = hostnotify.get("BRAND_NAME", "")
        self.default_time_zone = settings.DEFAULT_CUSTOMER_TIME_ZONE
        self._titles: dict[tuple[int, str], str] = {}

    def incident_title(self, incident: Incident, language: str) -> str:
        """Looked up once per language of a batch (a translation switch per letter cost more
        than the rest of its values)."""
        key = (incident.pk, language)
        if key not in self._titles:
            self._titles[key] = incident.title_in(language)
        return self._titles[key]

    def login_url(self, contact) -> str:
        return self.links.url(contact) if self.links is not None else self.preview_link


def letter_values(
    *,
    incident: Incident,
    customer: CustomerData,
    contact: ContactData,
    language: str,
    exposures,
    compensation,
    sender: Sender,
):
    tz = customer.time_zone or sender.default_time_zone
    accounts = []
    for name, product, seconds, intervals in exposures:
        windows = [
            {"server": server, "start": _local_text(start, tz), "end": _local_text(end, tz)}
            for start, end, server in intervals
        ]
        for window in windows:
            window["text"] = phrases.window_text(language, window["start"], window["end"])
        accounts.append(
            {
                "name": name,
                "product": product,
                "servers": ", ".join(dict.fromkeys(w["server"] for w in windows)),
                "duration": phrases.duration(seconds),
                "sentence": phrases.account_sentence(
                    language, name, [(w["server"], w["start"], w["end"]) for w in windows]
                ),
                "windows": windows,
            }
        )
    # The customer's downtime: the union of their accounts' intervals (incidents.selectors.customer_downtimes).
    downtime = impact.downtime_seconds(piece for *_, intervals in exposures for piece in intervals)
    compensation = compensation or {}
    amount = compensation.get("amount") or Decimal("0")
    currency = compensation.get("currency") or customer.currency
    amount_text = format_money(amount, currency, language) if amount > 0 else ""
    voucher = compensation.get("voucher") if amount > 0 else None
    topup = compensation.get("topup") if amount > 0 else None
    redeemable = voucher is not None and voucher.status == Voucher.Status.ISSUED
    # The PDF that goes with the letter: the voucher while it can be redeemed, else the top-up.
    attachment = voucher if redeemable else topup
    code_text = codes.format_code if sender.reveal_codes else codes.mask_code
    return (
        {
            "customer_name": customer.name,
            "customer_number": customer.number,
            "contact_name": contact.name or customer.name,
            "contact_email": contact.email,
            "incident_title": sender.incident_title(incident, language),
            "accounts": accounts,
            "accounts_block": MarkdownList(a["sentence"] for a in accounts),
            "downtime": phrases.duration(downtime),
            "longest_duration": phrases.duration(downtime),  # the former name of ``downtime``
            "has_credit": amount > 0,
            "amount": amount_text or format_money(Decimal("0"), currency, language),
            "currency": currency,
            "credit_explanation": (
                phrases.credit_line(
                    language,
                    amount_text=amount_text,
                    seconds=downtime,
                    details=_credit_details(compensation.get("explanation"), language),
                )
                if exposures
                else phrases.not_affected_line(language, amount_text=amount_text)
            ),
            "affected": bool(exposures),
            "has_voucher": voucher is not None,
            "voucher_code": code_text(voucher.code) if voucher else "",
            "voucher_expiry": phrases.local_date(voucher.expires_on) if voucher else "",
            "voucher_redeemable": redeemable,
            "has_topup": topup is not None,
            "topup_code": code_text(topup.code) if topup else "",
            "topup_amount": format_money(topup.amount, topup.currency, language) if topup else "",
            "topup_expiry": phrases.local_date(topup.expires_on) if topup else "",
            "login_url": Verbatim(sender.login_url(contact)),
            "portal_url": sender.portal_url,
            "support_email": sender.support_email,
            "brand_name": sender.brand_name,
        },
        attachment,
        (voucher.pk if voucher is not None else None),
    )
