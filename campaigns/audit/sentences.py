"""Audit entries as a reader in the console reads them: an action's name and a sentence in the
active language, instead of the stored code (``finance.export``) and its JSON details.

The texts are msgids of the gettext catalogues; the mapping below only says which msgid an action
code uses. An action this module does not know keeps its code and shows its details as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.template.defaultfilters import filesizeformat
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.formatting import format_money
from accounts.models import LedgerEntry

ACTIONS: dict[str, tuple[Promise, Promise]] = {
    "compensation.prepare": (
        pgettext_lazy("audit action", "Compensation prepared"),
        _(
            "%(created)s new, %(recomputed)s recomputed, %(removed)s removed, %(topups)s top-ups "
            "with policy %(policy)s; total %(totals)s."
        ),
    ),
    "compensation.approve": (
        pgettext_lazy("audit action", "Compensation approved"),
        _(
            "%(approved)s compensations approved, %(vouchers)s vouchers and %(topups)s top-ups issued; total %(totals)s."
        ),
    ),
    "finance.export": (
        pgettext_lazy("audit action", "Finance report exported"),
        _("Exported as %(format)s, period %(since)s – %(until)s, %(size)s."),
    ),
    "voucher.reminders": (
        pgettext_lazy("audit action", "Expiry reminders"),
        _("%(vouchers)s vouchers expire within %(days)s days: %(mailings)s reminder mailings, %(held)s held."),
    ),
    "voucher.reminders_held": (
        pgettext_lazy("audit action", "Expiry reminders held"),
        _("The reminder mailing would reach more customers than intended; it stays a draft for support."),
    ),
    "voucher.expire_run": (
        pgettext_lazy("audit action", "Vouchers expired"),
        _("%(vouchers)s vouchers expired on %(today)s; released %(amounts)s."),
    ),
    "voucher.void": (pgettext_lazy("audit action", "Voucher voided"), _("%(money)s voided. Reason: %(reason)s")),
    "voucher.redeem": (pgettext_lazy("audit action", "Voucher redeemed"), _("%(money)s redeemed as %(form)s.")),
    "offers.propose": (
        pgettext_lazy("audit action", "Forms of compensation proposed"),
        _("Forms %(forms)s; partners %(partners)s; donations to %(organisation)s."),
    ),
    "offers.approve": (
        pgettext_lazy("audit action", "Forms of compensation approved"),
        _("In force now: %(forms)s; proposed by %(proposed_by)s."),
    ),
    "offers.reject": (
        pgettext_lazy("audit action", "Forms of compensation rejected"),
        _("Proposed by %(proposed_by)s. Reason: %(reason)s"),
    ),
    "offers.withdraw": (
        pgettext_lazy("audit action", "Forms of compensation withdrawn"),
        _("Proposed by %(proposed_by)s."),
    ),
    "partners.upload": (
        pgettext_lazy("audit action", "Partner codes uploaded"),
        _("%(partner)s: added %(added)s; %(unchanged)s already in the pool."),
    ),
    "voucher.code_shown": (
        pgettext_lazy("audit action", "Voucher codes shown"),
        _("Codes shown whole (%(where)s): %(vouchers)s."),
    ),
    "policy.create": (
        pgettext_lazy("audit action", "Policy created"),
        _("Policy %(name)s, version %(version)s."),
    ),
    "policy.update": (
        pgettext_lazy("audit action", "Policy changed"),
        _("Policy %(name)s, version %(version)s."),
    ),
    "policy.propose": (
        pgettext_lazy("audit action", "Policy change proposed"),
        _("Policy %(name)s, waiting for a second finance user."),
    ),
    "policy.approve": (
        pgettext_lazy("audit action", "Policy change approved"),
        _("Policy %(name)s, version %(version)s, proposed by %(proposed_by)s."),
    ),
    "policy.reject": (
        pgettext_lazy("audit action", "Policy change rejected"),
        _("Proposed by %(proposed_by)s. Reason: %(reason)s"),
    ),
    "policy.withdraw": (
        pgettext_lazy("audit action", "Policy change withdrawn"),
        _("Proposed by %(proposed_by)s."),
    ),
    "api.token_create": (
        pgettext_lazy("audit action", "API token created"),
        _("Token %(name)s with the scopes %(scopes)s."),
    ),
    "api.token_revoke": (pgettext_lazy("audit action", "API token revoked"), _("Token %(name)s.")),
    "inventory.upsert": (
        pgettext_lazy("audit action", "Inventory updated through the API"),
        _("%(created)s created, %(updated)s updated."),
    ),
    "status.update_post": (
        pgettext_lazy("audit action", "Status update posted"),
        _("Phase: %(phase)s; affected customers notified by e-mail: %(notify)s."),
    ),
    "status.update_edit": (pgettext_lazy("audit action", "Status update edited"), _("The text was corrected.")),
    "status.window_ended": (
        pgettext_lazy("audit action", "Outage window ended"),
        _("End set to %(after)s (before: %(before)s)."),
    ),
    "status.window_ongoing": (
        pgettext_lazy("audit action", "Outage window marked ongoing"),
        _("End removed (before: %(before)s)."),
    ),
    "incident.create": (pgettext_lazy("audit action", "Incident created"), _("Public: %(public)s.")),
    "incident.update": (pgettext_lazy("audit action", "Incident edited"), _("Changed: %(after)s.")),
    "incident.publish": (pgettext_lazy("audit action", "Incident published"), _("Shown on the status page.")),
    "incident.end": (
        pgettext_lazy("audit action", "Incident ended"),
        _("Ended at %(end)s; %(windows)s ongoing windows closed."),
    ),
    "window.add": (
        pgettext_lazy("audit action", "Outage window added"),
        _("%(target)s from %(start)s to %(end)s."),
    ),
    "window.update": (
        pgettext_lazy("audit action", "Outage window changed"),
        _("%(target)s from %(start)s to %(end)s."),
    ),
    "suppression.lift": (
        pgettext_lazy("audit action", "Suppressed address lifted"),
        _("%(email)s (suppressed for %(suppressed_for)s since %(since)s) may receive mail again. Reason: %(reason)s"),
    ),
    "mailing.pace": (pgettext_lazy("audit action", "Mailing pace changed"), _("From %(before)s to %(after)s.")),
    "mailing.create": (pgettext_lazy("audit action", "Mailing created"), _("Draft %(name)s.")),
    "mailing.edit": (pgettext_lazy("audit action", "Mailing edited"), _("Changed: %(fields)s.")),
    "mailing.approve": (pgettext_lazy("audit action", "Mailing approved"), _("Ready to be sent.")),
    "mailing.schedule": (pgettext_lazy("audit action", "Mailing scheduled"), _("It starts at its send time.")),
    "mailing.launch": (pgettext_lazy("audit action", "Mailing started"), _("%(recipients)s recipients.")),
    "mailing.pause": (pgettext_lazy("audit action", "Mailing paused"), _("Reason: %(reason)s")),
    "mailing.resume": (pgettext_lazy("audit action", "Mailing resumed"), _("Sending continues.")),
    "mailing.cancel": (pgettext_lazy("audit action", "Mailing cancelled"), _("Unsent letters are not sent.")),
    "mailing.retry_failed": (
        pgettext_lazy("audit action", "Failed letters retried"),
        _("%(count)s letters queued again."),
    ),
    "mailing.resend": (pgettext_lazy("audit action", "Letter resent"), _("To %(email)s.")),
    "customer.sign_in_link": (
        pgettext_lazy("audit action", "Sign-in link sent"),
        _("To %(email)s, customer %(customer)s."),
    ),
    "mailing.clone": (pgettext_lazy("audit action", "Mailing copied"), _("Copy of mailing %(source)s.")),
    "mailing.test_send": (pgettext_lazy("audit action", "Test letter sent"), _("To %(to)s.")),
    "mailing.in_doubt.mark_sent": (
        pgettext_lazy("audit action", "Letters in doubt marked sent"),
        _("%(count)s letters: %(emails)s."),
    ),
    "mailing.in_doubt.resend": (
        pgettext_lazy("audit action", "Letters in doubt sent again"),
        _("%(count)s letters: %(emails)s."),
    ),
    "claim.file": (
        pgettext_lazy("audit action", "Claim filed"),
        _("Customer %(customer)s, account %(account)s, %(attachments)s attachments."),
    ),
    "claim.assign": (pgettext_lazy("audit action", "Claim assigned"), _("Taken over (before: %(previous)s).")),
    "claim.accept_downtime": (
        pgettext_lazy("audit action", "Claim accepted: downtime added"),
        _("Customer %(customer)s: %(start)s – %(end)s added; the compensation changes by %(money)s."),
    ),
    "claim.accept_goodwill": (
        pgettext_lazy("audit action", "Claim accepted: goodwill"),
        _("Customer %(customer)s: goodwill %(goodwill)s; the compensation changes by %(money)s."),
    ),
    "claim.reject": (pgettext_lazy("audit action", "Claim rejected"), _("Customer %(customer)s: no amount changed.")),
}
# where full voucher codes were shown (``code_shown_record(where=…)``); "export csv" and the like: EXPORT_SHOWN
CODES_SHOWN_IN = {
    "mailing preview": pgettext_lazy("codes shown in", "in the mailing preview"),
    "test send": pgettext_lazy("codes shown in", "in a test letter"),
    "admin": pgettext_lazy("codes shown in", "in the admin"),
    "claim-page": pgettext_lazy("codes shown in", "on a claim's page"),
    "customer-story": pgettext_lazy("codes shown in", "on the customer's page"),
    "preview_notice": pgettext_lazy("codes shown in", "in a letter preview on the command line"),
}
EXPORT_SHOWN = pgettext_lazy("codes shown in", "in the %(format)s export")
ACTORS = {"system": pgettext_lazy("audit actor", "system"), "command": pgettext_lazy("audit actor", "command line")}
LIST_SHOWN = 5  # longer lists of ids or addresses are counted, not listed


class _Values(dict):
    """A missing detail reads as a dash, never as a KeyError or an English word."""

    missed = 0

    def __missing__(self, key: str) -> str:
        self.missed += 1
        return "–"


def audit_action_label(action: str) -> str:
    known = ACTIONS.get(action)
    return str(known[0]) if known else action


def audit_actor_label(label: str) -> str:
    """A staff user's name as is; the system, the command line and a customer in the portal
    (stored as ``customer:K100123``) in the reader's language."""
    if label.startswith("customer:"):
        return pgettext("audit actor", "customer %(number)s") % {"number": label.removeprefix("customer:")}
    return str(ACTORS.get(label, label))


def audit_object_label(object_type: str, object_id: str) -> str:
    """``campaigns.Mailing`` ``1`` → ``Mailing 1`` in the reader's language."""
    if not object_type:
        return ""
    try:
        name = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = object_type
    return f"{name[:1].upper()}{name[1:]} {object_id}"


def audit_sentence(action: str, data: Mapping[str, Any]) -> str:
    """The details of an entry as a sentence; "" for an action without a known sentence."""
    known = ACTIONS.get(action)
    if not known:
        return ""
    values = _Values(_readable(data))
    sentence = str(known[1]) % values
    return "" if values.missed and not data else sentence


def _readable(data: Mapping[str, Any]) -> dict[str, str]:
    language = get_language() or "de"
    values = {key: _value(key, value, language) for key, value in data.items()}
    if "amount" in data and "currency" in data:
        values["money"] = format_money(data["amount"], data["currency"], language)
    return values


def _value(key: str, value: Any, language: str) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None or value == "":
        return "–"
    if key in {"totals", "amounts"} and isinstance(value, Mapping):
        return ", ".join(format_money(amount, currency, language) for currency, amount in sorted(value.items())) or "–"
    if key == "policy" and isinstance(value, Mapping):
        return gettext("%(name)s, version %(version)s") % _Values(value)
    if key == "phase":
        return gettext(str(value))  # the phase names are msgids of IncidentUpdate.Phase
    if key == "suppressed_for":
        return gettext(str(value))  # "bounced", "complained": msgids of Delivery.Tracking
    if key == "where" and isinstance(value, str):
        if value.startswith("export "):
            return str(EXPORT_SHOWN) % {"format": value.removeprefix("export ").upper()}
        return str(CODES_SHOWN_IN.get(value, value))
    if key == "form":
        return str(LedgerEntry.Book(value).label) if value in LedgerEntry.Book.values else str(value)
    if key == "forms" and isinstance(value, list | tuple):
        return ", ".join(_value("form", form, language) for form in value) or "–"
    if key == "size" and isinstance(value, int):
        return str(filesizeformat(value))
    if key == "vouchers" and isinstance(value, str):
        return gettext("every code of the incident")
    if isinstance(value, list | tuple):
        if len(value) > LIST_SHOWN:
            return gettext("%(count)s items") % {"count": len(value)}
        return ", ".join(str(item) for item in value) or "–"
    if isinstance(value, Mapping) and set(value) == {"rate_per_second", "batch_size"}:
        return gettext("%(rate)s messages per second in batches of %(size)s") % {
            "rate": formats.localize(value["rate_per_second"]),
            "size": value["batch_size"],
        }
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
    if isinstance(value, str):
        return _moment(value)
    return formats.localize(value) if isinstance(value, int | float) else str(value)


def _moment(text: str) -> str:
    """An ISO date or time stored in the details, written as the reader writes dates."""
    if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
        moment = parse_datetime(text) if len(text) > 10 else None
        if moment is not None:
            return formats.date_format(localtime(moment) if moment.tzinfo else moment, "SHORT_DATETIME_FORMAT")
        day = parse_date(text[:10]) if len(text) == 10 else None
        if isinstance(day, dt.date):
            return formats.date_format(day, "SHORT_DATE_FORMAT")
    return text
