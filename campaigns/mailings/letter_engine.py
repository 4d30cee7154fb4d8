"""The letter engine: Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``, and Markdown.

A letter part is staff-written template source. It is rendered twice per letter from one parse:
- as **text**, values as they are: the subject, and the body as the Markdown a person would write
  in a plain mail (the text part);
- as **Markdown for the HTML part**, every value escaped for Markdown (each ASCII punctuation
  character backslash-escaped; raw HTML is off in the Markdown renderer), so that a customer named
  ``<img src=x> *Müller* [a](http://evil)`` reads exactly that and never becomes markup.

The sandbox has no globals (no ``range``, ``lipsum``, ``cycler``…), only harmless filters, refuses
attributes and methods (``placeholders`` also refuses them before a letter is saved), and refuses
string or number products that would blow up (``"x" * 10**9``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment

from accounts.mail.markdown import escape_markdown

# The filters a letter may use: text shaping only.
SAFE_FILTERS = (
    "capitalize", "center", "count", "d", "default", "first", "float", "indent", "int", "join", "last",
    "length", "lower", "replace", "reverse", "round", "sort", "string", "title", "trim", "truncate",
    "unique", "upper", "wordcount", "wordwrap", "list",
)  # fmt: skip
SAFE_TESTS = ("defined", "undefined", "none", "number", "string", "sequence", "odd", "even", "eq", "ne", "in")
LOOP_FIELDS = ("index", "index0", "first", "last", "length", "revindex")
MAX_PRODUCT = 10_000  # characters or items a "*" may make


class MarkdownList(str):
    """A value that is a list in Markdown (``- one\\n- two``): its items are escaped in the
    HTML flavour, its list markers kept."""

    items: tuple[str, ...]

    def __new__(cls, items) -> MarkdownList:
        items = tuple(items)
        value = super().__new__(cls, "\n".join(f"- {item}" for item in items))
        value.items = items
        return value

    def as_markdown(self) -> str:
        return "\n".join(f"- {escape_markdown(item)}" for item in self.items)


class _LetterSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("powers are not allowed in a letter")
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                if (
                    isinstance(value, str | list | tuple)
                    and isinstance(times, int)
                    and len(value) * times > MAX_PRODUCT
                ):
                    raise SecurityError("the product is too long for a letter")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj, attribute):
        # Values are plain str, bool, dict and list: ``account.name`` is a dict item, and the
        # loop's counters are the only attributes a letter reads; no method, no dunder.
        if isinstance(obj, dict):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) and attribute in LOOP_FIELDS:
            return getattr(obj, attribute)
        return self.unsafe_undefined(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)


class Verbatim(str):
    """A value the product makes itself (a link, its own address) that goes into Markdown as it
    is, so that it works inside ``<…>`` and ``[…](…)``: only while it holds no space, ``<``, ``>``
    or parenthesis, else it is escaped like any other value."""


_NOT_VERBATIM = re.compile(r"[\s<>()\\`]")


def _finalize_markdown(value) -> str:
    if isinstance(value, MarkdownList):
        return value.as_markdown()
    if isinstance(value, Verbatim) and not _NOT_VERBATIM.search(value):
        return str(value)
    if isinstance(value, bool):
        return str(value)
    return escape_markdown(str(value))


def _environment(*, markdown: bool) -> SandboxedEnvironment:
    env = _LetterSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize_markdown if markdown else None,
        cache_size=0,  # sources are compiled once by ``compile_part`` below
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    env.tests = {name: env.tests[name] for name in SAFE_TESTS}
    return env


_TEXT = _environment(markdown=False)
_MARKDOWN = _environment(markdown=True)


def parse(source: str) -> nodes.Template:
    """Jinja2's AST of a letter part (raises ``jinja2.TemplateSyntaxError``)."""
    return _TEXT.parse(source)


def unknown_filters(tree: nodes.Template) -> list[str]:
    names = {node.name for node in tree.find_all(nodes.Filter)} - set(_TEXT.filters)
    names |= {node.name for node in tree.find_all(nodes.Test)} - set(_TEXT.tests)
    return sorted(names)


@dataclass(frozen=True, slots=True)
class CompiledPart:
    """One letter part compiled once: ``text(values)`` with values as they are, ``markdown(values)``
    with every value escaped for Markdown."""

    source: str
    _text: object
    _markdown: object

    def text(self, values: dict) -> str:
        return self._text.render(values)  # type: ignore[attr-defined]

    def markdown(self, values: dict) -> str:
        return self._markdown.render(values)  # type: ignore[attr-defined]


@lru_cache(maxsize=512)
def compile_part(source: str) -> CompiledPart:
    """Raises ``jinja2.TemplateSyntaxError`` (and ``TemplateAssertionError`` for an unknown filter)."""
    return CompiledPart(source, _TEXT.from_string(source), _MARKDOWN.from_string(source))


_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def tidy_text(text: str) -> str:
    """At most one blank line in a row (conditions leave some), one newline at the end."""
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"
