"""Links to the site's pages by their ids, made without a full `reverse()` each time.

Django's `reverse()` costs 50–70 µs on the machines we measure on (most of it finding the active
language three times, through asgiref's context-local storage), and `{% url %}` as much: the
interview page has seventeen, 1 ms of it. A page's URL differs from the next only by its ids, so
each URL name is reversed once, with stand-in ids, under everything that can change it (the number
of ids, the site's URL prefix), and its ids are put in place after
(tests/test_links.py holds it to `reverse()`). `{% link 'name' id … %}` does it in templates (a
builtin, as `{% url %}` is) for URLs whose arguments are ids.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

STAND_IN = 987_654_321_000  # the first id's stand-in, the second's one more: no table reaches them


def link(name: str, *ids: int) -> str:
    """reverse(name, args=ids) for integer ids."""
    return pattern(name, len(ids)).format(*(int(pk) for pk in ids))


def pattern(name: str, arity: int) -> str:
    """The `str.format` pattern `link` fills, under the current URL prefix: for a page writing
    many links of one name, found once (the prefix is a context-local lookup, a few µs)."""
    return _pattern(name, arity, get_script_prefix())


@lru_cache(maxsize=512)
def _pattern(name: str, arity: int, prefix: str) -> str:
    """The URL as a `str.format` pattern, {0} where the first id goes. `prefix`, which reverse()
    reads for itself, keys the cache. The language does not: no URL of the site depends on it (no
    i18n_patterns; tests/test_links.py compares French and English with reverse())."""
    url = reverse(name, args=[STAND_IN + place for place in range(arity)])
    url = url.replace("{", "{{").replace("}", "}}")
    for place in range(arity):
        url = url.replace(str(STAND_IN + place), f"{{{place}}}")
    return url


register.simple_tag(link, name="link")
