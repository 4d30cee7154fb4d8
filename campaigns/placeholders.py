"""The placeholder language of letters: the documented placeholders and the validation of content.

Content is Django template syntax restricted to the placeholders in ``PLACEHOLDERS`` and the tags
``if``/``for``/``comment``; filters are allowed. No ORM here: ``campaigns.letters`` renders.
"""

from __future__ import annotations

from django.template import Engine, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode

from campaigns.letter_phrases import LANGUAGES

PARTS = ("subject", "text", "html")
REQUIRED_PARTS = ("subject", "text")

# The documented placeholders: name → what it holds (shown to support staff in the console).
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the customer's name",
    "customer_number": "the customer number",
    "contact_name": "the recipient's name (the customer's name when the contact has none)",
    "contact_email": "the recipient's address",
    "incident_title": "the incident's title",
    "accounts_block": "one sentence per affected account: its servers and windows in local time",
    "accounts": "the affected accounts, for {% for account in accounts %}: account.name, .product, "
    ".servers, .duration, .sentence, .windows (window.server, .start, .end, .text)",
    "total_duration": "the affected time over all accounts, e.g. 43 h 30 min",
    "has_credit": "true when the customer gets a credit (amount above zero)",
    "amount": "the credit with its currency in Swiss format, e.g. CHF 12.50",
    "currency": "the credit's currency, e.g. CHF",
    "credit_explanation": "one line: how the credit was computed, or that no credit applies",
    "has_voucher": "true when a voucher code exists",
    "voucher_code": "the voucher code, grouped XXXX-XXXX-XXXX-XXXX",
    "voucher_expiry": "the voucher's expiry date, dd.mm.yyyy",
    "login_url": "the personal sign-in link to the portal",
    "portal_url": "the portal's address",
    "support_email": "the support address",
    "brand_name": "the provider's name",
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
    if not isinstance(content, dict) or not content:
        return ["the letter has no language: add at least one of de, fr, it, en"]
    errors = []
    for language, parts in content.items():
        if language not in LANGUAGES:
            errors.append(f"{language}: unknown language (valid: {', '.join(LANGUAGES)})")
            continue
        if not isinstance(parts, dict):
            errors.append(f"{language}: expected subject, text and html")
            continue
        for part in REQUIRED_PARTS:
            if not (parts.get(part) or "").strip():
                errors.append(f"{language} {part}: must not be empty")
        for part in PARTS:
            source = parts.get(part) or ""
            errors.extend(f"{language} {part}: {problem}" for problem in template_problems(source))
    return errors


def template_problems(source: str) -> list[str]:
    """Syntax errors, forbidden tags and unknown placeholders in one template source."""
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        return [f"syntax error: {exc}"]
    problems: list[str] = []
    _check_nodes(template.nodelist, {}, problems)
    unknown = list(dict.fromkeys(p for p in problems if p.startswith("{{")))
    others = list(dict.fromkeys(p for p in problems if not p.startswith("{{")))
    if unknown:
        others.append(f"unknown placeholder {', '.join(unknown)}; valid placeholders: {valid_placeholders_text()}")
    return others


def _check_nodes(nodelist, scope: dict[str, str], problems: list[str]) -> None:
    for node in nodelist:
        if not isinstance(node, _ALLOWED_NODES):
            tag = getattr(node, "token", None)
            problems.append(f"tag not allowed: {{% {tag.contents if tag else type(node).__name__} %}}")
        elif isinstance(node, VariableNode):
            _check_expression(node.filter_expression, scope, problems)
        elif isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                _check_condition(condition, scope, problems)
                _check_nodes(branch, scope, problems)
        elif isinstance(node, ForNode):
            _check_expression(node.sequence, scope, problems)
            item_kind = _SEQUENCES.get(_kind_path(node.sequence, scope))
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
            problems.append(f"{{{{ {name} }}}} ({lookups[0]} has: {fields})")
