"""Markdown for mails: staff write letters in Markdown; the HTML part is rendered from it.

cmark-gfm (GitHub's CommonMark implementation, through ``cmarkgfm``) renders CommonMark with
raw HTML off (it is left out) and every line break kept, as a person writing a plain mail means
it. Values merged into Markdown go through ``escape_markdown`` first, so that they read literally.
"""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options

_OPTIONS = Options.CMARK_OPT_HARDBREAKS  # raw HTML stays off (no CMARK_OPT_UNSAFE)
# Every ASCII punctuation character, backslash-escaped (str.translate: ~10x a regex substitution).
_ESCAPES = str.maketrans({chr(code): "\\" + chr(code) for code in range(33, 127) if not chr(code).isalnum()})


def escape_markdown(value: str) -> str:
    """``value`` as Markdown that renders to exactly ``value``: CommonMark lets any ASCII
    punctuation character be backslash-escaped, also inside a link's destination."""
    return value.translate(_ESCAPES)


def markdown_html(markdown: str) -> str:
    """The HTML of a Markdown text (a fragment: paragraphs, lists, links, emphasis)."""
    return cmarkgfm.markdown_to_html(markdown, options=_OPTIONS).replace("<br />", "<br>")
