"""The gettext catalogues keep the voucher PDF's texts: every ``pgettext("voucher PDF", …)`` of
``campaigns/compensation/voucher_pdf.py`` is a live, translated entry of each ``locale/*/django.po``
(never obsolete ``#~`` or fuzzy) and is in the compiled ``.mo`` beside it. A catalogue refresh
(``make messages``) marked them obsolete three times while their context was held in a variable,
which xgettext cannot read: contexts are string literals everywhere in the code."""

from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
VOUCHER_PDF = "voucher PDF"
LANGUAGES = ("de", "fr", "it", "en")
CONTEXT_FUNCTIONS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
CODE_FOLDERS = ("accounts", "campaigns", "hostnotify")


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in CONTEXT_FUNCTIONS:
                yield node


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def voucher_pdf_msgids() -> list[str]:
    path = ROOT / "campaigns" / "compensation" / "voucher_pdf.py"
    return [
        _literal(call.args[1]) for call in _calls(path) if len(call.args) >= 2 and _literal(call.args[0]) == VOUCHER_PDF
    ]


def test_the_voucher_pdf_has_its_ten_texts():
    msgids = voucher_pdf_msgids()
    assert len(msgids) == 10
    assert None not in msgids and len(set(msgids)) == 10
    assert "Credit voucher" in msgids and "Top-up to your voucher" in msgids


def test_every_translation_context_is_a_literal_that_makemessages_extracts():
    # Given every call with a context in the code, when its context is read as xgettext reads it
    hidden = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for folder in CODE_FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for call in _calls(path)
        if not call.args or _literal(call.args[0]) is None
    ]
    # Then none hides it in a variable (its entries would go obsolete at the next `make messages`)
    assert hidden == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_voucher_pdf_texts_are_live_and_translated_in_each_catalogue(language):
    # Given the catalogue and the compiled catalogue of a language
    folder = ROOT / "locale" / language / "LC_MESSAGES"
    catalogue = polib.pofile(str(folder / "django.po"))
    compiled = polib.mofile(str(folder / "django.mo"))
    wanted = voucher_pdf_msgids()

    # Then each of the voucher's texts is an entry that is neither obsolete nor fuzzy, translated
    live = {e.msgid: e for e in catalogue if e.msgctxt == VOUCHER_PDF and not e.obsolete}
    obsolete = [e.msgid for e in catalogue.obsolete_entries() if e.msgctxt == VOUCHER_PDF]
    assert obsolete == []
    assert sorted(live) == sorted(wanted)
    assert [msgid for msgid, e in live.items() if e.fuzzy or not e.msgstr.strip()] == []
    # and in the .mo file that Django reads, with the same translation
    in_mo = {e.msgid: e.msgstr for e in compiled if e.msgctxt == VOUCHER_PDF}
    assert in_mo == {msgid: entry.msgstr for msgid, entry in live.items()}
    if language != "en":  # German, French and Italian PDFs never read English
        assert [msgid for msgid, e in live.items() if e.msgstr == msgid] == []


def test_every_template_with_translated_text_is_in_the_catalogues():
    # Given every template that translates text (mails are .md and .txt, pages .html)
    translating = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*")
        if path.suffix in (".html", ".txt", ".md") and "translate" in path.read_text(encoding="utf-8")
    )
    # When the catalogues are read: the files their live entries were extracted from
    for language in LANGUAGES:
        catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
        sources = {where for entry in catalogue if not entry.obsolete for where, _line in entry.occurrences}
        # Then each template is among them (`make messages` reads .md: sign-in mails read English otherwise)
        assert [path for path in translating if path not in sources] == [], language


def test_french_writes_its_apostrophes_as_typographic_ones():
    # Given the French catalogue, where most texts write l’un, n’est with a typographic apostrophe
    po = polib.pofile(str(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"))

    # Then no translation mixes in a straight one between letters (quotes around a value stay)
    import re

    straight = re.compile(r"\w'\w")
    texts = [(e.msgid, s) for e in po if not e.obsolete for s in [e.msgstr, *e.msgstr_plural.values()]]
    assert [msgid for msgid, text in texts if straight.search(text)] == []


def test_the_french_incident_status_agrees_with_panne():
    # Given an incident ("Panne de stockage …"), its status badge is feminine in French
    from django.utils import translation

    from campaigns.incidents.models import Incident

    with translation.override("fr"):
        labels = {str(label) for label in Incident.Status.labels}
    assert labels == {"en cours", "résolue", "close"}
