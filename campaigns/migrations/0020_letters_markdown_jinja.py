"""Stored letters move from Django template syntax with a text and an HTML part to one Markdown
body per language in Jinja2 syntax (issue 16).

The text part becomes the body (it reads as Markdown with every line break kept); the
hand-written HTML part is dropped: the HTML part is now rendered from the body into the branded
layout. Django-only syntax gets its Jinja2 equivalent: ``{% empty %}`` → ``{% else %}``,
``{% comment %}…{% endcomment %}`` → ``{# … #}``, ``forloop.counter`` → ``loop.index``,
``reversed`` → ``|reverse``, filter arguments ``|default:"x"`` → ``|default("x")``.
"""

import re

from django.db import migrations

_COMMENT = re.compile(r"\{%\s*comment\b[^%]*%\}(.*?)\{%\s*endcomment\s*%\}", re.S)
_EMPTY = re.compile(r"\{%\s*empty\s*%\}")
_REVERSED = re.compile(r"(\{%\s*for\s+\w+\s+in\s+[\w.]+)\s+reversed(\s*%\})")
_FILTER_ARG = re.compile(r"\|(\w+):(\"[^\"]*\"|'[^']*'|[\w.]+)")
_FORLOOP = {
    "forloop.counter0": "loop.index0",
    "forloop.counter": "loop.index",
    "forloop.revcounter0": "loop.revindex0",
    "forloop.revcounter": "loop.revindex",
    "forloop.first": "loop.first",
    "forloop.last": "loop.last",
}
_TAG_OR_VARIABLE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def django_to_jinja(source: str) -> str:
    source = _COMMENT.sub(lambda m: "{#" + m.group(1).replace("#}", "# }") + "#}", source)
    source = _EMPTY.sub("{% else %}", source)
    source = _REVERSED.sub(r"\1|reverse\2", source)

    def inside(match):
        text = _FILTER_ARG.sub(r"|\1(\2)", match.group(0))
        for old, new in _FORLOOP.items():
            text = text.replace(old, new)
        return text

    return _TAG_OR_VARIABLE.sub(inside, source)


def forwards(apps, schema_editor):
    Mailing = apps.get_model("campaigns", "Mailing")
    for mailing in Mailing.objects.exclude(content={}).only("pk", "content").iterator(chunk_size=500):
        content = {}
        for language, parts in (mailing.content or {}).items():
            if not isinstance(parts, dict) or "body" in parts:
                content[language] = parts
                continue
            content[language] = {
                "subject": django_to_jinja(parts.get("subject") or ""),
                "body": django_to_jinja(parts.get("text") or ""),
            }
        if content != mailing.content:
            Mailing.objects.filter(pk=mailing.pk).update(content=content)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0019_claims")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
