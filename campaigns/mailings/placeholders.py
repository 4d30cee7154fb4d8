"""The placeholder language of letters: the documented placeholders and the validation of content.

A letter is, per language, a subject and a body written in Markdown, both Jinja2 templates
rendered by ``campaigns.mailings.letter_engine`` in a sandbox. Validation reads Jinja2's public
AST (``jinja2.meta``, ``jinja2.nodes``): only the placeholders in ``PLACEHOLDERS`` (and the fields
of the loop items in ``ITEM_FIELDS``), ``if``/``for``, filters and comments; no other tag, no
attribute or method of a value, no arithmetic. No ORM here.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import TemplateSyntaxError, meta, nodes

from campaigns.mailings.letter_engine import LOOP_FIELDS, parse, unknown_filters
from campaigns.mailings.phrases import LANGUAGES

PARTS = ("subject", "body")
REQUIRED_PARTS = ("subject", "body")

# The documented placeholders: name → what it holds (shown to support staff in the console).
PLACEHOLDERS: dict = {
    "customer_name": gettext_lazy("the customer's name"),
    "customer_number": gettext_lazy("the customer number"),
    "contact_name": gettext_lazy("the recipient's name (the customer's name when the contact has none)"),
    "contact_email": gettext_lazy("the recipient's address"),
    "incident_title": gettext_lazy("the incident's title"),
    "accounts_block": gettext_lazy("a list: one sentence per affected account, its servers and windows in local time"),
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
    "login_url": gettext_lazy("the personal sign-in link to the portal, e.g. [Sign in]({{ login_url }})"),
    "portal_url": gettext_lazy("the portal's address"),
    "support_email": gettext_lazy("the support address"),
    "brand_name": gettext_lazy("the provider's name"),
}
# What the loop items offer: ``{% for account in accounts %}`` and ``{% for w in account.windows %}``.
ITEM_FIELDS = {
    "account": ("name", "product", "servers", "duration", "sentence", "windows"),
    "window": ("server", "start", "end", "text"),
}
_SEQUENCES = {("accounts",): "account", ("account", "windows"): "window"}
# Tags a letter has no use for; ``include``/``import``/``extends`` would also reach for files.
_FORBIDDEN = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.Block: "block",
    nodes.FilterBlock: "filter",
    nodes.Assign: "set",
    nodes.AssignBlock: "set",
    nodes.With: "with",
    nodes.Scope: "with",
    nodes.Call: "a call ( )",
    nodes.Getitem: "[ ]",
    nodes.Mul: "*",
    nodes.Pow: "**",
    nodes.FloorDiv: "//",
    nodes.Div: "/",
    nodes.Mod: "%",
}


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
            errors.append((language, "", _("expected a subject and a body")))
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
        tree = parse(source)
    except TemplateSyntaxError as exc:
        return [_("syntax error on line %(line)s: %(error)s") % {"line": exc.lineno, "error": exc.message}]
    problems: list[str] = []
    for kind, label in _FORBIDDEN.items():
        if any(True for _ in tree.find_all(kind)):
            problems.append(_("not allowed in a letter: %(tag)s") % {"tag": label})
    for name in unknown_filters(tree):
        problems.append(_("filter or test not allowed in a letter: %(name)s") % {"name": name})
    if problems:  # reported alone: what follows would only repeat them
        return problems
    loop_items = _loop_items(tree)
    unknown = sorted(
        name for name in meta.find_undeclared_variables(tree) if name not in PLACEHOLDERS and name not in loop_items
    )
    problems.extend(_attribute_problems(tree, loop_items))
    if unknown:
        problems.append(
            _("unknown placeholder %(names)s; valid placeholders: %(valid)s")
            % {"names": ", ".join(f"{{{{ {name} }}}}" for name in unknown), "valid": valid_placeholders_text()}
        )
    return list(dict.fromkeys(problems))


def _loop_items(tree: nodes.Template) -> dict[str, str]:
    """Loop variable → the kind of item it holds (``account``, ``window``, or ``value``)."""
    items: dict[str, str] = {}
    for loop in tree.find_all(nodes.For):
        path = _path(loop.iter)
        if path and path[0] in items:
            path = (items[path[0]], *path[1:])
        kind = _SEQUENCES.get(path or (), "value")
        for target in loop.target.find_all(nodes.Name) if not isinstance(loop.target, nodes.Name) else [loop.target]:
            items[target.name] = kind
    items.setdefault("loop", "loop")
    return items


def _path(node: nodes.Node) -> tuple[str, ...] | None:
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        inner = _path(node.node)
        return None if inner is None else (*inner, node.attr)
    if isinstance(node, nodes.Filter) and node.node is not None:  # accounts|reverse
        return _path(node.node)
    return None


def _attribute_problems(tree: nodes.Template, loop_items: dict[str, str]) -> list[str]:
    """``account.name`` is a field of a loop item; anything else after a dot is refused."""
    problems = []
    for node in tree.find_all(nodes.Getattr):
        base = node.node
        kind = loop_items.get(base.name) if isinstance(base, nodes.Name) else None
        if kind in ITEM_FIELDS and node.attr in ITEM_FIELDS[kind]:
            continue
        if kind == "loop" and node.attr in LOOP_FIELDS:
            continue
        where = base.name if isinstance(base, nodes.Name) else "…"
        if kind in ITEM_FIELDS:
            problems.append(
                f"{{{{ {where}.{node.attr} }}}} "
                + _("(%(item)s has: %(fields)s)") % {"item": where, "fields": ", ".join(sorted(ITEM_FIELDS[kind]))}
            )
        else:
            problems.append(_("%(name)s has no field %(field)s") % {"name": where, "field": node.attr})
    return problems
