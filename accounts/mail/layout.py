"""The branded mail layout every HTML part goes out in: the provider's name or logo at the top,
the letter, a box with the credit, code and sign-in button, and a footer with address, company
number and support contact.

The layout (``templates/emails/layout.html``) is rendered and its CSS inlined by css-inline once
per language and brand; per mail only the letter's fragment is inlined (``inline_fragment``) and
put in place. The ``<style>`` block stays for the clients that read it; the inline styles alone
carry the look in those that strip it. The sheet is fluid up to 600 px: readable at 320 px.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

import css_inline
from django.template.loader import render_to_string
from django.utils import translation

from accounts.mail.brand import Brand, current_brand

_TITLE, _CONTENT = "@@TITLE@@", "@@CONTENT@@"
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@dataclass(frozen=True)
class BoxRow:
    label: str
    value: str
    code: bool = False  # a voucher code: monospaced


@dataclass(frozen=True)
class Box:
    """The highlighted box under the letter; empty rows and no button: no box."""

    rows: tuple[BoxRow, ...] = ()
    button_label: str = ""
    button_url: str = ""

    def __bool__(self) -> bool:
        return bool(self.rows or self.button_url)


@dataclass(frozen=True)
class _Skeleton:
    before_title: str
    title_to_content: str
    after_content: str
    css: str


@lru_cache(maxsize=32)
def _skeleton(language: str, brand: Brand) -> _Skeleton:
    with translation.override(language):
        page = render_to_string("emails/layout.html", {"language": language, "brand": brand})
    css = _STYLE.search(page)
    inlined = css_inline.CSSInliner(keep_style_tags=True).inline(page)
    head, rest = inlined.split(_TITLE)
    middle, tail = rest.split(_CONTENT)
    return _Skeleton(head, middle, tail, css.group(1) if css else "")


def _box_html(box: Box) -> str:
    rows = "".join(
        f'<p class="box-row"><span class="box-label">{html.escape(row.label)}</span>'
        f'<span class="{"box-code" if row.code else "box-value"}">{html.escape(row.value)}</span></p>'
        for row in box.rows
    )
    button = (
        f'<a class="button" href="{html.escape(box.button_url)}">{html.escape(box.button_label)}</a>'
        if box.button_url
        else ""
    )
    return f'<div class="box">{rows}{button}</div>'


def branded_html(
    *, language: str, subject: str, body_html: str, box: Box | None = None, brand: Brand | None = None
) -> str:
    """A whole HTML part: ``body_html`` (rendered Markdown) and the ``box`` in the layout."""
    skeleton = _skeleton(language, brand or current_brand())
    fragment = f'<div class="content">{body_html}{_box_html(box) if box else ""}</div>'
    inlined = css_inline.inline_fragment(fragment, skeleton.css)
    return "".join(
        (skeleton.before_title, html.escape(subject), skeleton.title_to_content, inlined, skeleton.after_content)
    )
