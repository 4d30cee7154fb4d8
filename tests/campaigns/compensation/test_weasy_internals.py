"""The WeasyPrint internals voucher stamping reads: fails first when an upgrade moves them."""

from weasyprint import CSS, HTML

from campaigns.compensation import weasy_internals

PAGE = """<html><body style="margin: 0; font-family: 'DejaVu Sans'; font-size: 12px">
<p style="margin: 0 100px 0 0">Łódź <span style="letter-spacing: 2px">Dvořák</span></p>
<img class="qr big" style="position: absolute; left: 10px; top: 20px; width: 30px; height: 40px"
  src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg==">
<p style="text-transform: uppercase; text-align: right">loud</p>
</body></html>"""
PAGE_CSS = "@page { size: 400px 300px; margin: 0 }"


def rendered():
    document = HTML(string=PAGE).render(stylesheets=[CSS(string=PAGE_CSS)])
    document.write_pdf()
    return document


def test_text_boxes_with_their_line_room_and_style():
    boxes = weasy_internals.page_text_boxes(rendered())

    texts = [(box.text, box.letter_spacing, box.plain, box.left_aligned) for box in boxes if box.text.strip()]
    assert texts == [("Łódź ", 0.0, True, True), ("Dvořák", 2.0, True, True), ("LOUD", 0.0, False, False)]
    first, second = boxes[0], boxes[1]
    assert first.line == second.line
    assert first.x == 0 and second.x > first.x
    assert first.right_limit == 300  # 400 px page, 100 px right margin on the paragraph


def test_font_files_are_the_complete_files_by_resource_name():
    files = weasy_internals.font_files(rendered())

    (data,) = files.values()
    with open("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "rb") as handle:
        assert data == handle.read()
    assert len(next(iter(files))) == 6  # the name the PDF's /Font resources use


def test_lean_user_agent_stylesheet_replaces_the_default_one():
    lean = weasy_internals.lean_html_class(CSS(string="p { display: block; margin: 0 }"))

    document = lean(string="<p>a</p><p>b</p>").render(stylesheets=[CSS(string=PAGE_CSS)])

    # The default stylesheet would give each paragraph a 1em margin and hide <head>.
    lines = [box.text for box in weasy_internals.page_text_boxes(document)]
    assert lines == ["a", "b"]
