"""One view serves a page and its htmx fragment (verbatim/fragments.py): htmx restoring a page from
its history gets the whole page, as a visit does."""

import pytest
from django_htmx.middleware import HtmxDetails

from verbatim import fragments

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("headers", "whole"),
    [
        ({}, True),
        ({"HX-Request": "true"}, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, True),
    ],
)
def test_the_excerpts_page_is_whole_unless_htmx_asks_for_its_results(
    client, project, rita, headers, whole
):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/excerpts/", headers=headers).content.decode()
    assert ("<!doctype html>" in page.lower()) == whole


@pytest.mark.parametrize(
    ("headers", "rendered"),
    [
        ({}, "review/queue.html"),
        ({"HX-Request": "true"}, "review/queue.html#queue-results"),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, "review/queue.html"),
    ],
)
def test_the_template_is_the_partial_only_when_a_fragment_is_asked(rf, headers, rendered):
    request = rf.get("/", headers=headers)
    request.htmx = HtmxDetails(request)
    assert fragments.template(request, "review/queue.html", "queue-results") == rendered
