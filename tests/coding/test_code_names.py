"""A code name must show something (coding.models.validate_code_name), on every path that names one."""

import pytest
from django.core.exceptions import ValidationError

from coding.models import Code, Coding, validate_code_name
from tests.factories import TRANSCRIPT, make_code

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true", **EN}

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u2060\u2060",  # word joiners
    "\ufeff",  # byte order mark
    "\u200e\u200f",  # bidi marks
    "\u0301\u0308",  # combining accents with nothing under them
    "\u3164",  # Hangul filler
    "\u2800",  # blank Braille pattern
    "\u00a0\u2003\u3000",  # no-break, em and ideographic spaces
    " \u200b ",
]
VISIBLE = ["é", "e\u0301", "A\u200bB", "😊", "?", "P1", "中文", "\u0915\u093f"]


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_name_of_invisible_characters_is_refused(name, english):
    with pytest.raises(ValidationError, match="at least one visible"):
        validate_code_name(name)


@pytest.mark.parametrize("name", ["a\x00b", "\x07cloche", "tab\there"])
def test_a_name_with_control_characters_is_refused(name, english):
    with pytest.raises(ValidationError, match="control characters"):
        validate_code_name(name)


@pytest.mark.parametrize("name", VISIBLE)
def test_a_name_with_something_to_see_is_accepted(name):
    validate_code_name(name)


@pytest.mark.parametrize("name", ["\u200b", "\u2060", "\ufeff\u0301"])
def test_the_codebook_form_refuses_an_invisible_name(client, project, rita, name):
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/codebook/new/",
        {"name": name, "color": "#4e79a7", "parent": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "at least one visible letter" in response.content.decode()
    assert not Code.objects.exists()


def test_renaming_a_code_to_an_invisible_name_is_refused(client, project, rita):
    code = make_code(project, "Écoute")
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/codebook/{code.pk}/edit/",
        {"name": "\u200b\u200b", "color": code.color, "parent": ""},
        headers=HTMX,
    )
    assert "at least one visible letter" in response.content.decode()
    code.refresh_from_db()
    assert code.name == "Écoute"


@pytest.mark.parametrize("name", ["\u200b", " \u2060 ", "\u0301"])
def test_the_workspace_refuses_an_invisible_new_code(client, interview, rita, name):
    start = TRANSCRIPT.index("juste un café")
    client.force_login(rita)
    response = client.post(
        f"/projects/{interview.project_id}/interviews/{interview.pk}/codings/",
        {"since": "0", "start": start, "end": start + 13, "new_code": name},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "at least one visible letter" in response.content.decode()
    assert not Code.objects.exists() and not Coding.objects.exists()
