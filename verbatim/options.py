"""`<option>` lists written in Python: a select of a project's 2,000 interviews cost 10–20 ms as a
template loop, about a millisecond this way. Values and labels are escaped (format_html_join)."""

from collections.abc import Iterable

from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe


def option_list(choices: Iterable[tuple], selected) -> SafeString:
    """`<option>`s from (value, label, title) triples, those whose value is in `selected` chosen."""
    return format_html_join(
        "",
        '<option value="{}"{} title="{}">{}</option>',
        (
            (pk, mark_safe(" selected") if pk in selected else "", title, label)
            for pk, label, title in choices
        ),
    )
