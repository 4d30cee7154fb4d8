"""Letter templates compiled once into plain Python functions, for the sending engine.

Letters are Django template syntax, restricted by ``campaigns.mailings.placeholders`` to text, variables,
``if``, ``for`` and comments. Django's renderer pays for its generality per node and per variable
(context stack, lookup rules, localisation); a 100,000-recipient mailing renders three templates
per recipient. ``LetterTemplate`` parses with Django — the same syntax, errors and validation —
and renders the common subset itself:

- text; ``{{ name }}`` and ``{{ name.field }}`` without filters, whose value is a ``str`` or a
  ``bool`` (HTML-escaped exactly like Django's autoescape, ``SafeString`` left alone);
- ``{% if %}`` / ``{% elif %}`` / ``{% else %}`` on variables joined with ``not``, ``and``, ``or``;
- ``{% for item in list %}`` (also ``reversed`` and ``{% empty %}``) without ``forloop``;
- comments.

Anything else (a filter, a comparison, ``forloop``, a value of another type, a missing name) makes
Django render that template: at compile time for the template as a whole, at render time for that
one letter. The output is the same string either way (``tests/campaigns/test_letter_templates.py``
checks it against Django's).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from django.template import Context, Template
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode, TemplateLiteral

Values = dict
Render = Callable[[Values], str]
Test = Callable[[Values], object]


def escape_html(value: str) -> str:
    """``django.utils.html.conditional_escape`` for a ``str``, without its lazy-string wrapper:
    a ``SafeString`` stays as it is, anything else is escaped like Django's ``escape``."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(value)


class _Unsupported(Exception):
    """This template or these values need Django's renderer."""


class LetterTemplate:
    """One compiled letter part. ``render(values)`` gives what ``template.render(Context(values,
    autoescape=…))`` gives, usually without Django's per-node machinery."""

    __slots__ = ("template", "autoescape", "_fast")

    def __init__(self, template: Template, *, autoescape: bool):
        self.template = template
        self.autoescape = autoescape
        try:
            self._fast: Render | None = _compile_nodelist(template.nodelist, autoescape)
        except _Unsupported:
            self._fast = None

    @property
    def is_fast(self) -> bool:
        return self._fast is not None

    def render(self, values: Values) -> str:
        if self._fast is not None:
            try:
                return self._fast(values)
            except _Unsupported:
                pass
        return self.template.render(Context(values, autoescape=self.autoescape))


# --- compiling ----------------------------------------------------------------------------------


def _compile_nodelist(nodelist, autoescape: bool) -> Render:
    parts: list[str | Render] = []
    for node in nodelist:
        if isinstance(node, TextNode):
            part = node.s
        elif isinstance(node, VariableNode):
            part = _compile_variable(node.filter_expression, autoescape)
        elif isinstance(node, IfNode):
            part = _compile_if(node, autoescape)
        elif isinstance(node, ForNode):
            part = _compile_for(node, autoescape)
        elif isinstance(node, CommentNode):
            continue
        else:
            raise _Unsupported(type(node).__name__)
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        else:
            parts.append(part)
    if all(isinstance(part, str) for part in parts):
        constant = "".join(parts)
        return lambda values: constant
    if len(parts) == 1:
        return parts[0]
    items = tuple(parts)  # text as it is, the rest as functions of the values
    return lambda values: "".join([item if type(item) is str else item(values) for item in items])


def _lookups(expression: FilterExpression) -> tuple[str, ...]:
    variable = expression.var
    if expression.filters or not isinstance(variable, Variable) or variable.literal is not None:
        raise _Unsupported("filter or literal")
    if variable.translate or variable.lookups[0] == "forloop":
        raise _Unsupported("translation or forloop")
    return tuple(variable.lookups)


def _resolver(expression: FilterExpression) -> Callable[[Values], object]:
    lookups = _lookups(expression)
    first, rest = lookups[0], lookups[1:]

    def resolve(values: Values):
        try:
            current = values[first]
        except KeyError:
            raise _Unsupported(first) from None
        for bit in rest:
            if type(current) is not dict or bit not in current:
                raise _Unsupported(bit)
            current = current[bit]
        if callable(current):
            raise _Unsupported("callable")
        return current

    return resolve


def _compile_variable(expression: FilterExpression, autoescape: bool) -> Render:
    resolve = _resolver(expression)

    def render(values: Values) -> str:
        value = resolve(values)
        if isinstance(value, str):
            return escape_html(value) if autoescape else value
        if isinstance(value, bool):  # Django's localize() turns it into "True"/"False"
            return str(value)
        raise _Unsupported(type(value).__name__)

    return render


def _compile_test(condition) -> Test:
    if isinstance(condition, TemplateLiteral):
        return _resolver(condition.value)
    kind = getattr(condition, "id", None)
    if kind == "not":
        inner = _compile_test(condition.first)
        return lambda values: not inner(values)
    if kind in ("and", "or"):
        left, right = _compile_test(condition.first), _compile_test(condition.second)
        if kind == "and":
            return lambda values: left(values) and right(values)
        return lambda values: left(values) or right(values)
    raise _Unsupported(f"condition {kind}")


def _compile_if(node: IfNode, autoescape: bool) -> Render:
    branches = tuple(
        (None if condition is None else _compile_test(condition), _compile_nodelist(nodelist, autoescape))
        for condition, nodelist in node.conditions_nodelists
    )

    def render(values: Values) -> str:
        for test, body in branches:
            if test is None or test(values):
                return body(values)
        return ""

    return render


def _compile_for(node: ForNode, autoescape: bool) -> Render:
    if len(node.loopvars) != 1:
        raise _Unsupported("unpacking")
    name = node.loopvars[0]
    sequence = _resolver(node.sequence)
    body = _compile_nodelist(node.nodelist_loop, autoescape)
    empty = _compile_nodelist(node.nodelist_empty, autoescape)
    backwards = node.is_reversed

    def render(values: Values) -> str:
        items = sequence(values)
        if type(items) is not list:
            raise _Unsupported("sequence")
        if not items:
            return empty(values)
        scope = dict(values)
        out = []
        for item in reversed(items) if backwards else items:
            scope[name] = item
            out.append(body(scope))
        return "".join(out)

    return render
