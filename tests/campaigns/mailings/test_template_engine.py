"""The compiled letter templates give exactly what Django's renderer gives."""

import pytest
from django.template import Context, Engine
from django.utils.safestring import SafeString, mark_safe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.mailings.letters import default_content
from campaigns.mailings.template_engine import LetterTemplate

ENGINES = {False: Engine(autoescape=False), True: Engine(autoescape=True)}


def both(source: str, values: dict, *, html: bool) -> tuple[str, str, LetterTemplate]:
    template = ENGINES[html].from_string(source)
    compiled = LetterTemplate(template, autoescape=html)
    return compiled.render(values), template.render(Context(values, autoescape=html)), compiled


def letter_values(**overrides) -> dict:
    window = {"server": "server19", "start": "31.12.2005 23:30", "end": "02.01.2006 19:00", "text": "vom … bis …"}
    values = {
        "customer_name": "Müller & Söhne <AG>",
        "customer_number": "K-100",
        "contact_name": "Anna \"Ä\" O'Brien",
        "contact_email": "anna@example.ch",
        "incident_title": "Storage <failure>",
        "accounts": [{"name": "web1", "product": "Web", "servers": "server19", "duration": "43 h 30 min",
                      "sentence": "Ihr Account web1 …", "windows": [window]}],
        "accounts_block": "Ihr Account web1 auf server19 war vom 31.12.2005 23:30 bis 02.01.2006 19:00 betroffen.",
        "longest_duration": "43 h 30 min",
        "has_credit": True,
        "amount": "CHF 12.50",
        "currency": "CHF",
        "credit_explanation": "CHF 12.50 für 43 h 30 min Ausfall (25 % …)",
        "has_voucher": True,
        "voucher_code": "ABCD-EFGH-JKLM-NPQR",
        "voucher_expiry": "31.12.2006",
        "login_url": "https://example.ch/portal/login/abc:def/?x=1&y=2",
        "portal_url": "https://example.ch/portal/",
        "support_email": "support@example.ch",
        "brand_name": "Hoster & Co",
    }  # fmt: skip
    values.update(overrides)
    return values


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
@pytest.mark.parametrize("credit", [(True, True), (True, False), (False, False)])
def test_the_default_letters_compile_and_render_like_django(language, credit):
    has_credit, has_voucher = credit
    values = letter_values(has_credit=has_credit, has_voucher=has_voucher)
    values_html = dict(values, accounts_block=mark_safe("<ul><li>web1 &amp; co</li></ul>"))

    for part, html, vals in (("subject", False, values), ("text", False, values), ("html", True, values_html)):
        fast, django, compiled = both(default_content()[language][part], vals, html=html)
        assert compiled.is_fast, part
        assert fast == django


def test_html_escaping_matches_django_and_leaves_safe_strings_alone():
    values = {"a": "<b>&\"'", "b": mark_safe("<i>ok</i>"), "c": True}

    fast, django, _ = both("{{ a }}|{{ b }}|{{ c }}", values, html=True)

    assert fast == django == "&lt;b&gt;&amp;&quot;&#x27;|<i>ok</i>|True"
    assert both("{{ a }}", values, html=False)[0] == "<b>&\"'"


@pytest.mark.parametrize(
    "source",
    [
        "{{ name|upper }}",  # a filter
        "{% if amount == 'CHF 0.00' %}x{% endif %}",  # a comparison
        "{% for a in accounts %}{{ forloop.counter }}{% endfor %}",  # forloop
        '{{ "literal" }}',
    ],
)
def test_templates_beyond_the_subset_are_rendered_by_django(source):
    values = letter_values(name="anna")

    fast, django, compiled = both(source, values, html=True)

    assert not compiled.is_fast
    assert fast == django


@pytest.mark.parametrize(
    "values",
    [
        {"name": 12},  # a number: Django localises it
        {"name": None},
        {},  # missing: string_if_invalid
        {"name": {"first": "x"}},
    ],
)
def test_values_beyond_the_subset_fall_back_to_django_per_letter(values):
    for source in ("[{{ name }}]", "{% if name %}yes{% else %}no{% endif %}", "{{ name.first }}{{ name.items }}"):
        fast, django, compiled = both(source, values, html=True)
        assert compiled.is_fast
        assert fast == django


def test_loops_with_reversed_empty_and_shadowing():
    source = (
        "{% for account in accounts reversed %}{{ account.name }}:{% for w in account.windows %}"
        "{{ w.server }}{{ name }}{% empty %}none{% endfor %};{% endfor %}{% for x in nothing %}{% empty %}E{% endfor %}"
        "{{ account }}"
    )
    values = {
        "name": "!",
        "account": "outer",
        "nothing": [],
        "accounts": [{"name": "a", "windows": [{"server": "s1"}, {"server": "s2"}]}, {"name": "b", "windows": []}],
    }

    fast, django, compiled = both(source, values, html=False)

    assert compiled.is_fast
    assert fast == django == "b:none;a:s1!s2!;Eouter"


# --- any template of the subset, any values ---------------------------------------------------

NAMES = ("a", "b", "c")
text = st.text(alphabet=st.sampled_from(list("xy <>&\"'\n{}%#")), max_size=6).filter(
    lambda s: "{{" not in s and "{%" not in s and "{#" not in s and not s.endswith("{")
)
value = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab<&'\" ")), max_size=4),
    st.booleans(),
    st.builds(SafeString, st.text(alphabet="<>x", max_size=3)),
)
name = st.sampled_from(NAMES)


def condition():
    return st.recursive(
        name,
        lambda inner: st.one_of(
            st.builds(lambda c: f"not {c}", inner),
            st.builds(lambda left, right: f"{left} and {right}", inner, inner),
            st.builds(lambda left, right: f"{left} or {right}", inner, inner),
        ),
        max_leaves=3,
    )


source = st.recursive(
    st.one_of(text, st.builds(lambda n: f"{{{{ {n} }}}}", name), st.just("{# note #}")),
    lambda inner: st.one_of(
        st.builds(lambda a, b: a + b, inner, inner),
        st.builds(lambda c, a: f"{{% if {c} %}}{a}{{% endif %}}", condition(), inner),
        st.builds(lambda c, a, b: f"{{% if {c} %}}{a}{{% else %}}{b}{{% endif %}}", condition(), inner, inner),
        st.builds(
            lambda c, d, a, b: f"{{% if {c} %}}{a}{{% elif {d} %}}{b}{{% endif %}}",
            condition(),
            condition(),
            inner,
            inner,
        ),  # fmt: skip
        st.builds(lambda a: f"{{% for a in items %}}{a}{{% endfor %}}", inner),
        st.builds(lambda a, b: f"{{% for b in items reversed %}}{a}{{% empty %}}{b}{{% endfor %}}", inner, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=source,
    values=st.fixed_dictionaries(dict.fromkeys(NAMES, value)),
    items=st.lists(value, max_size=3),
    html=st.booleans(),
)
def test_any_template_of_the_subset_renders_like_django(source, values, items, html):
    values = dict(values, items=items)

    fast, django, compiled = both(source, values, html=html)

    assert compiled.is_fast
    assert fast == django
