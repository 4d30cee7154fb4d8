"""The placeholder language of letters: the documented placeholders and the validation of content.

Content is Django template syntax restricted to the placeholders in ``PLACEHOLDERS`` and the tags
``if``/``for``/``comment``; filters are allowed. No ORM here: ``campaigns.mailings.letters`` renders.
"""

from __future__ import annotations

from typing import cast

from django.template import Engine, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.mailings.phrases import LANGUAGES

PARTS = ("subject", "text", "html")
REQUIRED_PARTS = ("subject", "text")

# The documented placeholders: name → what it holds (shown to support staff in the console).
PLACEHOLDERS: dict = {
    "customer_name": gettext_lazy("the customer's name"),
    "customer_number": gettext_lazy("the customer number"),
    "contact_name": gettext_lazy("the recipient's name (the customer's name when the contact has none)"),
    "contact_email": gettext_lazy("the recipient's address"),
    "incident_title": gettext_lazy("the incident's title"),
    "accounts_block": gettext_lazy("one sentence per affected account: its servers and windows in local time"),
    "accounts": gettext_lazy(
        "the affected accounts, to loop over (for account in accounts): account.name, .product, "
        ".servers, .duration, .sentence, .windows (window.server, .start, .end, .text)"
    ),
    "downtime": gettext_lazy(
        "the customer's downtime: how long at least one of their services was down, e.g. 43 h 30 min"
    ),
    "longest_duration": gettext_lazy("the same as downtime (kept for letters written before)"),
    "has_credit": gettext_lazy("true when the customer gets a credit (amount above zero)"),
    "amount": gettext_lazy("the credit with its currency in Swiss format, e.g. CHF 12.50"),
    "currency": gettext_lazy("the credit's currency, e.g. CHF"),
    "credit_explanation": gettext_lazy("one line: how the credit was computed, or that no credit applies"),
    "has_voucher": gettext_lazy("true when a voucher code exists"),
    "voucher_code": gettext_lazy("the voucher code, grouped XXXX-XXXX-XXXX-XXXX"),
    "voucher_expiry": gettext_lazy("the voucher's expiry date, dd.mm.yyyy"),
    "voucher_redeemable": gettext_lazy("true while the voucher can still be redeemed (not redeemed, expired or void)"),
    "has_topup": gettext_lazy("true when a top-up voucher was issued after a correction"),
    "affected": gettext_lazy("false when the corrected windows no longer affect the customer at all"),
    "topup_code": gettext_lazy("the top-up voucher's code, grouped XXXX-XXXX-XXXX-XXXX"),
    "topup_amount": gettext_lazy("the top-up voucher's amount with its currency"),
    "topup_expiry": gettext_lazy("the top-up voucher's expiry date, dd.mm.yyyy"),
    "login_url": gettext_lazy("the personal sign-in link to the portal"),
    "portal_url": gettext_lazy("the portal's address"),
    "support_email": gettext_lazy("the support address"),
    "brand_name": gettext_lazy("the provider's name"),
}
# Attributes of the loop items: what ``{% for account in accounts %}`` and ``account.windows`` yield.
_FIELDS = {
    "account": {"name", "product", "servers", "duration", "sentence", "windows"},
    "window": {"server", "start", "end", "text"},
}
_SEQUENCES = {"accounts": "account", "account.windows": "window"}
_ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, CommentNode)
_ENGINE = Engine(autoescape=False)


def valid_placeholders_text() -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)


def validate_content(content: dict) -> list[str]:
    """Every problem of a mailing's ``content``; an empty list means it renders for everyone."""
    return [_prefixed(language, part, message) for language, part, message in content_errors(content)]


def _prefixed(language: str, part: str, message: str) -> str:
    where = " ".join(filter(None, (language, part)))
    return f"{where}: {message}" if where else str(message)


def content_errors(content: dict) -> list[tuple[str, str, str]]:
    """The problems as ``(language, part, message)``; language and part are "" where none applies."""
    if not isinstance(content, dict) or not content:
        return [("", "", _("the letter has no language: add at least one of de, fr, it, en"))]
    errors = []
    for language, parts in content.items():
        if language not in LANGUAGES:
            errors.append((language, "", _("unknown language (valid: %(valid)s)") % {"valid": ", ".join(LANGUAGES)}))
            continue
        if not isinstance(parts, dict):
            errors.append((language, "", _("expected subject, text and html")))
            continue
        for part in REQUIRED_PARTS:
            if not (parts.get(part) or "").strip():
                errors.append((language, part, _("must not be empty")))
        for part in PARTS:
            errors.extend((language, part, problem) for problem in template_problems(parts.get(part) or ""))
    return errors


def template_problems(source: str) -> list[str]:
    """Syntax errors, forbidden tags and unknown placeholders in one template source."""
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        return [_("syntax error: %(error)s") % {"error": exc}]
    problems: list[str] = []
    _check_nodes(template.nodelist, {}, problems)
    unknown = list(dict.fromkeys(p for p in problems if p.startswith("{{")))
    others = list(dict.fromkeys(p for p in problems if not p.startswith("{{")))
    if unknown:
        others.append(
            _("unknown placeholder %(names)s; valid placeholders: %(valid)s")
            % {"names": ", ".join(unknown), "valid": valid_placeholders_text()}
        )
    return others


def _check_nodes(nodelist, scope: dict[str, str], problems: list[str]) -> None:
    for node in nodelist:
        if not isinstance(node, _ALLOWED_NODES):
            tag = getattr(node, "token", None)
            label = tag.contents if tag else type(node).__name__
            problems.append(_("tag not allowed: %(tag)s") % {"tag": f"{{% {label} %}}"})
        elif isinstance(node, VariableNode):
            _check_expression(node.filter_expression, scope, problems)
        elif isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                _check_condition(condition, scope, problems)
                _check_nodes(branch, scope, problems)
        elif isinstance(node, ForNode):
            # django-stubs types ForNode.sequence as FilterExpression | str; the parser only makes the former.
            sequence = cast(FilterExpression, node.sequence)
            _check_expression(sequence, scope, problems)
            item_kind = _SEQUENCES.get(_kind_path(sequence, scope))
            inner = dict(scope, forloop="forloop")
            for name in node.loopvars:
                inner[name] = item_kind or "value"
            _check_nodes(node.nodelist_loop, inner, problems)
            _check_nodes(node.nodelist_empty, scope, problems)


def _kind_path(expression: FilterExpression, scope: dict[str, str]) -> str:
    lookups = getattr(expression.var, "lookups", None) or ()
    if not lookups:
        return ""
    head = scope.get(lookups[0], lookups[0])
    return ".".join((head, *lookups[1:]))


def _check_condition(condition, scope, problems) -> None:
    if condition is None:  # {% else %}
        return
    if isinstance(getattr(condition, "value", None), FilterExpression):
        _check_expression(condition.value, scope, problems)
    for side in ("first", "second"):
        if getattr(condition, side, None) is not None:
            _check_condition(getattr(condition, side), scope, problems)


def _check_expression(expression: FilterExpression, scope: dict[str, str], problems: list[str]) -> None:
    variables = [expression.var] + [arg for _, args in expression.filters for _, arg in args]
    for variable in variables:
        lookups = getattr(variable, "lookups", None)
        if not lookups:  # a literal
            continue
        name = ".".join(lookups)
        kind = scope.get(lookups[0])
        if kind is None and lookups[0] not in PLACEHOLDERS:
            problems.append(f"{{{{ {name} }}}}")
        elif kind in _FIELDS and len(lookups) > 1 and lookups[1] not in _FIELDS[kind]:
            fields = ", ".join(sorted(_FIELDS[kind]))
            problems.append(
                f"{{{{ {name} }}}} " + _("(%(item)s has: %(fields)s)") % {"item": lookups[0], "fields": fields}
            )
