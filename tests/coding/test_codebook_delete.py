"""Deleting a code from the codebook sidebar, after a confirmation that says what goes with it."""

import pytest

from coding.codebook import DeletionSummary, deletion_summary
from coding.models import Code, Coding, CodingEvent, Memo
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "Accept-Language": "en"}


@pytest.fixture
def branch(project, interview, rita, sam):
    """« Proximité » with 3 codings in 2 interviews, one sub-code with 2 of them, and 3 memos."""
    second = make_interview(project, TRANSCRIPT + "\n\nFin.", "Entretien 2")
    code = make_code(project, "Proximité")
    child = make_code(project, "Sur le banc", code)
    make_code(project, "Ailleurs")  # not part of it
    make_coding(interview, code, rita, 0, 10)
    on_child = make_coding(interview, child, sam, 20, 30)
    make_coding(second, child, rita, 0, 10)
    Memo.objects.create(project=project, code=code, body="Le code", author=rita)
    Memo.objects.create(project=project, code=child, body="Le sous-code", author=rita)
    Memo.objects.create(project=project, coding=on_child, body="Le passage", author=sam)
    return code


def test_the_summary_counts_what_goes_with_the_code(branch):
    assert deletion_summary(branch) == DeletionSummary(
        codings=3, interviews=2, subcodes=1, subcode_codings=2, memos=3
    )


def test_the_confirmation_says_what_will_be_removed(client, project, branch, rita):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codebook/{branch.pk}/delete/", headers=HTMX)
    page = response.content.decode()
    assert "<html" not in page and "Delete “Proximité”?" in page
    assert "3 codings in 2 interviews" in page
    assert "1 sub-code, with 2 of these codings" in page
    assert "3 memos" in page
    assert Code.objects.filter(pk=branch.pk).exists()  # asking changes nothing


def test_an_unused_code_is_said_to_be_unused(client, project, rita):
    code = make_code(project)
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/codebook/{code.pk}/delete/", headers=HTMX
    ).content.decode()
    assert "No codings, sub-codes or memos use it." in page


def test_deleting_removes_the_code_its_sub_codes_codings_and_memos(
    client, project, branch, interview, sam
):
    client.force_login(sam)
    response = client.post(f"/projects/{project.pk}/codebook/{branch.pk}/delete/", headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "codes-changed" in response["HX-Trigger"] and response["HX-Retarget"] == "#codebook"
    assert list(Code.objects.values_list("name", flat=True)) == ["Ailleurs"]
    assert not Coding.objects.exists() and not Memo.objects.exists()
    assert f'id="code-{branch.pk}"' not in page and "Ailleurs" in page
    deletions = CodingEvent.objects.filter(action=CodingEvent.Action.DELETE)
    assert deletions.count() == 3 and {event.actor for event in deletions} == {sam}


def test_without_htmx_deleting_returns_to_the_codebook_page(client, project, rita):
    code = make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/{code.pk}/delete/").content.decode()
    assert "<html" in page and "hx-post" not in page
    response = client.post(f"/projects/{project.pk}/codebook/{code.pk}/delete/")
    assert response.status_code == 302 and not Code.objects.exists()


def test_outsiders_cannot_delete(client, project, olga):
    code = make_code(project)
    client.force_login(olga)
    assert client.post(f"/projects/{project.pk}/codebook/{code.pk}/delete/").status_code == 404
    assert Code.objects.filter(pk=code.pk).exists()
