"""verbatim/translations.py: `{% load translations %}` is Django's i18n, constants kept per language."""

import re

from django.template import engines
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from verbatim.translations import KeptTranslation


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return engines["django"].from_string("{% load translations %}" + source).render(context)


def test_a_constant_follows_the_language_of_each_render():
    template = engines["django"].from_string(
        "{% load translations %}{% translate 'More context' %}"
    )
    for language, expected in [("fr", "Plus de contexte"), ("en", "More context")] * 2:
        with translation.override(language):
            assert template.render({}) == expected
    assert isinstance(template.template.nodelist[-1], KeptTranslation)


def test_as_a_variable_too():
    source = "{% translate 'Approve' as label %}[{{ label }}]"
    assert render(source, "fr") == "[Approuver]"
    assert render(source, "en") == "[Approve]"


def test_variables_filters_and_contexts_render_as_django_renders_them():
    template = engines["django"].from_string("{% load translations %}{% translate word %}")
    assert isinstance(template.template.nodelist[-1], TranslateNode)
    with translation.override("fr"):
        assert template.render({"word": "Approve"}) == "Approuver"
        assert template.render({"word": "More context"}) == "Plus de contexte"
        assert template.render({"word": "<b>"}) == "&lt;b&gt;"  # a variable is escaped
    assert render("{% translate 'Approve'|upper %}", "fr") == "APPROUVER"
    assert render("{% translate 'Approve' noop %}", "fr") == "Approve"
    assert render("{% translate 'Approve' context 'nothing' %}", "fr") == "Approve"


def test_the_rest_of_the_library_is_djangos():
    source = (
        "{% get_current_language as code %}{{ code }}: "
        "{% blocktranslate %}Approve{% endblocktranslate %}"
    )
    assert render(source, "fr") == "fr: Approuver"


def test_the_projects_templates_load_it_rather_than_djangos():
    """Django's `i18n` under its own name would bring back its per-render cost, silently."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    templates = [p for p in root.glob("*/templates/**/*.html") if ".venv" not in p.parts]
    templates += list(root.glob("templates/**/*.html"))
    assert templates
    loading_i18n = [
        str(path.relative_to(root))
        for path in templates
        if re.search(r"\{% load [^%]*\bi18n\b", path.read_text())
    ]
    assert loading_i18n == []
