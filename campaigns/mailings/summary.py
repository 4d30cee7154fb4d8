"""A mailing's audience and contact roles as a reader of the console reads them, in their language:
"Servers: server06 · Languages: Italian" instead of the stored ``{"servers": [...], "languages": ["it"]}``."""

from __future__ import annotations

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.formatting import format_amount
from accounts.languages import LANGUAGES
from accounts.models import Contact

LABELS = {
    "servers": _("Servers"),
    "volumes": _("Storage volumes"),
    "languages": _("Languages"),
    "products": _("Products"),
    "min_amount": _("Credit at least"),
    "max_amount": _("Credit at most"),
}
LANGUAGE_NAMES = dict(LANGUAGES)


def audience_summary(audience: dict) -> list[tuple[str, str]]:
    """``[(filter name, its values), …]``; empty when the mailing goes to every affected customer."""
    language = get_language() or "de"
    parts = []
    for key, value in audience.items():
        if key == "customer_ids":
            count = len(value)
            parts.append(
                (
                    str(_("Customers")),
                    ngettext("%(count)s chosen customer", "%(count)s chosen customers", count) % {"count": count},
                )
            )
        elif key == "languages":
            parts.append((str(LABELS[key]), ", ".join(str(LANGUAGE_NAMES.get(code, code)) for code in value)))
        elif key in ("min_amount", "max_amount"):
            parts.append((str(LABELS[key]), format_amount(value, language)))
        else:
            values = value if isinstance(value, list | tuple) else [value]
            parts.append((str(LABELS.get(key, key)), ", ".join(str(item) for item in values)))
    return parts


def contact_roles_summary(roles: list[str]) -> str:
    """The roles' names, or "" for every role."""
    return ", ".join(str(Contact.Role(role).label) if role in Contact.Role.values else role for role in roles)
