"""The letter engine: Jinja2's sandbox against hostile templates, Markdown escaping of values, and
the data migration of stored Django-syntax letters."""

import importlib

import pytest
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError, UndefinedError

from accounts.mail.markdown import escape_markdown, markdown_html
from campaigns.mailings.letter_engine import MarkdownList, Verbatim, compile_part
from campaigns.mailings.placeholders import template_problems

VALUES = {
    "customer_name": "Müller AG",
    "accounts": [{"name": "web1", "windows": [{"server": "server19"}]}],
    "has_credit": True,
}

HOSTILE = [
    "{{ customer_name.__class__.__mro__ }}",
    "{{ customer_name.__class__.__base__.__subclasses__() }}",
    "{{ accounts.__class__ }}",
    "{{ accounts.append }}",
    "{{ accounts[0].__class__ }}",
    "{{ customer_name.format }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ range(100000000) }}",
    "{{ namespace() }}",
    "{{ config }}",
    "{{ self.__init__ }}",
    "{{ customer_name|attr('__class__') }}",
    "{{ accounts|map(attribute='__class__')|list }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{% set x = customer_name.__class__ %}{{ x }}",
    '{% include "/etc/passwd" %}',
    '{% extends "base.html" %}',
    '{% import "x" as y %}',
    "{% macro m() %}{% endmacro %}{{ m() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_templates_are_refused_before_saving(source):
    assert template_problems(source) != []


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_templates_cannot_reach_anything_when_rendered_anyway(source):
    """Even if validation were bypassed (a stored letter), the sandbox gives nothing away."""
    try:
        part = compile_part(source)
        rendered = part.text(VALUES)
    except (TemplateError, SecurityError, UndefinedError, TypeError):
        return
    assert "class" not in rendered and "function" not in rendered and "<built-in" not in rendered
    assert len(rendered) < 10_000


def test_an_undefined_placeholder_is_an_error_not_an_empty_string():
    with pytest.raises(UndefinedError):
        compile_part("Hallo {{ nobody }}").text(VALUES)


def test_loops_conditions_filters_and_the_loop_counter_render():
    part = compile_part(
        "{% for a in accounts %}{{ loop.index }}. {{ a.name|upper }}"
        "{% for w in a.windows %} {{ w.server }}{% endfor %}{% endfor %}"
        "{% if has_credit %} credit{% else %} none{% endif %}{# a comment #}"
    )

    assert part.text(VALUES) == "1. WEB1 server19 credit"
    assert template_problems(part.source) == []


def test_values_are_escaped_for_markdown_and_read_literally_in_html():
    name = "<img src=x> *Müller* [a](http://evil) _x_ `y` # \\ &amp;"
    part = compile_part("**{{ customer_name }}**")

    markdown = part.markdown({"customer_name": name})

    assert part.text({"customer_name": name}) == f"**{name}**"
    assert markdown == f"**{escape_markdown(name)}**"
    html = markdown_html(markdown)
    assert html == ("<p><strong>&lt;img src=x&gt; *Müller* [a](http://evil) _x_ `y` # \\ &amp;amp;</strong></p>\n")


def test_lists_keep_their_markers_and_links_made_by_the_product_stay_links():
    values = {"items": MarkdownList(["*a*", "b"]), "url": Verbatim("http://127.0.0.1:8000/portal/login/x_y-1/")}

    markdown = compile_part("{{ items }}\n\n<{{ url }}>").markdown(values)

    assert markdown == "- \\*a\\*\n- b\n\n<http://127.0.0.1:8000/portal/login/x_y-1/>"
    html = markdown_html(markdown)
    assert "<li>*a*</li>" in html
    assert '<a href="http://127.0.0.1:8000/portal/login/x_y-1/">' in html


def test_a_verbatim_value_with_markup_characters_is_escaped_like_any_other():
    markdown = compile_part("<{{ url }}>").markdown({"url": Verbatim("http://x/ <script>")})

    assert "<script>" not in markdown_html(markdown)


def test_the_data_migration_turns_django_syntax_into_jinja_syntax():
    migration = importlib.import_module("campaigns.migrations.0020_letters_markdown_jinja")
    source = (
        "{% comment %}old note{% endcomment %}{% for a in accounts reversed %}{{ forloop.counter }} "
        '{{ a.name|default:"–" }}{% empty %}none{% endfor %}'
    )

    converted = migration.django_to_jinja(source)

    assert converted == (
        '{#old note#}{% for a in accounts|reverse %}{{ loop.index }} {{ a.name|default("–") }}{% else %}none{% endfor %}'
    )
    assert template_problems(converted) == []
    assert compile_part(converted).text(VALUES) == "1 web1"
