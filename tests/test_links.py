"""verbatim/links.py: `link` gives what `reverse()` gives, under any prefix and language."""

import pytest
from django.template import engines
from django.urls import reverse, set_script_prefix
from django.utils import translation

from verbatim.links import link, pattern

NAMES = [
    ("interviews:project-list", 0),
    ("login", 0),
    ("set_language", 0),
    ("excerpts:list", 1),
    ("review:queue", 1),
    ("coding:memo-panel", 1),
    ("coding:workspace", 2),
    ("coding:apply-code", 2),
    ("corrections:versions", 2),
    ("coding:remove-coding", 3),
    ("review:decide", 2),
]


@pytest.mark.parametrize("prefix", ["/", "/verbatim/"])
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("ids", [(1, 12, 7), (987654321001, 5, 987654321000), (10**15, 3, 40)])
def test_link_is_reverse(prefix, language, ids):
    set_script_prefix(prefix)
    try:
        with translation.override(language):
            for name, arity in NAMES:
                args = list(ids[:arity])
                assert link(name, *args) == reverse(name, args=args), name
    finally:
        set_script_prefix("/")


def test_the_template_tag_links_and_names_its_result():
    template = engines["django"].from_string(
        "{% link 'coding:workspace' 3 44 %} {% link 'review:queue' 3 as queue %}<{{ queue }}>"
    )
    workspace, queue = reverse("coding:workspace", args=[3, 44]), reverse("review:queue", args=[3])
    assert template.render({}) == f"{workspace} <{queue}>"


def test_a_pattern_found_once_keeps_the_prefix_it_was_found_under():
    """A page of cards finds its links' patterns once (review/cards.py `Shared`)."""
    set_script_prefix("/verbatim/")
    try:
        workspace = pattern("coding:workspace", 2)
        assert workspace.format(3, 44) == reverse("coding:workspace", args=[3, 44])
    finally:
        set_script_prefix("/")
    assert workspace.format(3, 44) == "/verbatim" + reverse("coding:workspace", args=[3, 44])
