"""Every use of WeasyPrint's private API in one place (WeasyPrint pinned at 70.0).

Voucher stamping (``voucher_stamp``) keeps WeasyPrint as the source of the layout: it lays out a
probe voucher once per design and reads back what the PDF alone does not say — where each text box
sits, how wide its line may grow, its letter spacing, and the font files
behind the PDF's font resources. ``tests/campaigns/compensation/test_weasy_internals.py`` fails
first if an upgrade moves any of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from weasyprint import HTML
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import get_hb_object_data

# Style values under which a text box's glyphs depend on nothing but its text, font and size.
PLAIN_STYLE = {
    "text_transform": "none",
    "white_space": "normal",
    "direction": "ltr",
    "word_spacing": 0,
    "font_feature_settings": "normal",
    "font_variant_ligatures": "normal",
    "font_kerning": "auto",
    "font_variant_caps": "normal",
}


@dataclass(frozen=True)
class TextBoxInfo:
    text: str
    line: int  # identifies the line box
    x: float  # CSS px from the page's left edge
    right_limit: float  # the right edge of the content box of the block the line belongs to
    letter_spacing: float  # CSS px, 0 for "normal"
    plain: bool  # no style that changes glyphs beyond font, size and letter spacing
    left_aligned: bool


def lean_html_class(lean_user_agent_css):
    """An ``HTML`` class whose user-agent stylesheet is ``lean_user_agent_css``: WeasyPrint's full
    HTML one is matched against every element and costs a quarter of a small document's render time.
    Should the private hook go away, the default stylesheet applies again and only speed is lost."""

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [lean_user_agent_css]

    return LeanHTML


def _is_plain(style) -> bool:
    return all(style[key] == value for key, value in PLAIN_STYLE.items())


def page_text_boxes(document, page_number: int = 0) -> list[TextBoxInfo]:
    """The text boxes of a rendered page in drawing order, with the width their line may take."""
    found: list[TextBoxInfo] = []

    def walk(box, block, line):
        if isinstance(box, boxes.BlockContainerBox):
            block = box
        if isinstance(box, boxes.LineBox):
            line = box
        if isinstance(box, boxes.TextBox):
            letter_spacing = box.style["letter_spacing"]
            found.append(
                TextBoxInfo(
                    text=box.text,
                    line=id(line),
                    x=box.position_x,
                    right_limit=block.content_box_x() + block.width,
                    letter_spacing=0.0 if letter_spacing == "normal" else float(letter_spacing),
                    plain=_is_plain(box.style),
                    left_aligned=box.style["text_align_all"] in ("start", "left"),
                )
            )
        for child in getattr(box, "children", ()):
            walk(child, block, line)

    walk(document.pages[page_number]._page_box, None, None)
    return found


def font_files(document) -> dict[str, bytes]:
    """The complete font file behind each font resource name (``/UWGIWA``) of a written document;
    call it after ``write_pdf``, which is when WeasyPrint registers the fonts it drew with."""
    return {font.hash: bytes(get_hb_object_data(font.hb_face)) for font in document.fonts.values()}
