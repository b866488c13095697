"""Django's `i18n` template library, whose `{% translate "…" %}` of a constant keeps its result.

A page's constant sentences (labels, buttons, the interview page's 55 messages for its script) went
through gettext, a context-local lookup and autoescaping on every render: 19 µs a tag on the
machines we measure on, a millisecond of the interview page. A constant's translation depends on
the language alone (catalogues are read once per process), so each tag keeps it per language after
its first render: 4 µs. Anything else (a variable, a filter, a context, `noop`) renders as Django
renders it. Templates load it as `{% load translations %}` (settings name the library) instead of
`i18n`; every other tag and filter is Django's own. tests/test_translations.py.
"""

from django import template
from django.templatetags import i18n
from django.utils.translation import get_language

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class KeptTranslation(template.Node):
    """A `TranslateNode` of a constant, rendered once per language."""

    child_nodelists = ()

    def __init__(self, node: i18n.TranslateNode):
        self.node = node
        self.kept: dict[str | None, str] = {}

    def render(self, context):
        language = get_language()
        value = self.kept.get(language)
        if value is None:
            output = self.node.render(context)
            value = self.kept[language] = context[self.node.asvar] if self.node.asvar else output
        if self.node.asvar:
            context[self.node.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def translate(parser, token):
    node = i18n.do_translate(parser, token)
    expression = node.filter_expression
    constant = expression.var.literal is not None and not expression.filters
    if constant and not node.noop and node.message_context is None:
        return KeptTranslation(node)
    return node
