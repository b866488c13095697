"""The navigation of a project's pages (templates/project_nav.html), kept per process.

It is the same HTML on every page of a project for one role and one language: nine links, each a
reversed URL and a translated label, 0.4–0.5 ms of every page through the template engine. It is
kept (`functools.lru_cache`) under everything it shows: the project's id and name, what the member
may do (review, code), the language and the site's URL prefix. A renamed project or another role or
language is another key: nothing to invalidate, nothing stale (tests/test_navigation.py).
"""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from interviews.models import Project

register = template.Library()


@register.simple_tag(takes_context=True)
def project_nav(context) -> SafeString:
    project = context["project"]
    return _nav(
        project.pk,
        project.name,
        bool(context.get("can_review")),
        bool(context.get("can_code")),
        get_language(),
        get_script_prefix(),
    )


@lru_cache(maxsize=1024)
def _nav(
    project_id: int, name: str, can_review: bool, can_code: bool, language: str, prefix: str
) -> SafeString:
    """A pure function of its arguments (`language` and `prefix` are the active ones it renders
    with)."""
    context = {"project": Project(pk=project_id, name=name), "can_review": can_review}
    return render_to_string("project_nav.html", {**context, "can_code": can_code})
