"""How the agreement pages show a figure: its value coloured by Krippendorff's thresholds, or "—"
with the reason it is undefined, never 0 or 1 in its place."""

from django import template
from django.utils import formats
from django.utils.html import format_html

from agreement import comparison
from agreement.figures import REASONS, Figure, band

register = template.Library()


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{formats.number_format(value * 100, 1, use_l10n=True)} %"
    return formats.number_format(value, 3, use_l10n=True)


@register.filter
def figure(value: Figure, kind: str = "") -> str:
    """`{{ row.kappa|figure }}`; `{{ row.percent|figure:"percent" }}` for a share, which is not
    coloured (it is not corrected for chance)."""
    percent = kind == "percent"
    if value.value is None:
        reason = REASONS.get(value.reason, value.reason or "")
        return format_html(
            '<span class="figure undefined">—<span class="reason">{}</span></span>', reason
        )
    shown = _number(value.value, percent)
    if percent:
        return format_html('<span class="figure share">{}</span>', shown)
    return format_html('<span class="figure {}">{}</span>', band(value.value), shown)


@register.filter
def share(value: float | None) -> str:
    return "—" if value is None else _number(value, True)


@register.filter
def of(mapping: dict, key):
    """`{{ counts|of:coder.pk }}`: a mapping's value (templates cannot subscript with a variable)."""
    return mapping.get(key, 0)


@register.filter
def lane(index: int) -> str:
    """`{{ version.lane|lane }}`: the class colouring the coder's stripe."""
    return comparison.lane_class(index)
