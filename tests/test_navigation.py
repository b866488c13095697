"""A project's navigation is kept per process under all it shows (verbatim/navigation.py): the same
HTML as the template renders, and another for another name, role or language."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from verbatim.navigation import _nav

pytestmark = pytest.mark.django_db


def nav_of(client, url) -> str:
    page = client.get(url).content.decode()
    return page[page.index('<nav class="crumbs"') : page.index("</nav>")]


def test_the_kept_navigation_is_what_the_template_writes(project, rita):
    for language in ("fr", "en"):
        for can_review in (False, True):
            with translation.override(language):
                kept = _nav(project.pk, project.name, can_review, True, language, "/")
                written = render_to_string(
                    "project_nav.html",
                    {"project": project, "can_review": can_review, "can_code": True},
                )
            assert kept == written


def test_each_page_shows_the_navigation_of_its_project_role_and_language(
    client, project, rita, sam
):
    client.force_login(rita)
    url = f"/projects/{project.pk}/excerpts/"
    researcher = nav_of(client, url)
    assert project.name in researcher and "/review/" not in researcher
    project.name = "Proximité, deuxième vague"
    project.save()
    renamed = nav_of(client, url)
    assert "Proximité, deuxième vague" in renamed
    client.force_login(sam)
    supervisor = nav_of(client, url)
    assert f"/projects/{project.pk}/review/" in supervisor
    labels = {}
    for language in ("fr", "en"):
        client.cookies["django_language"] = language
        labels[language] = nav_of(client, url)
    assert ">Extraits<" in labels["fr"] and ">Excerpts<" in labels["en"]
