"""Deleting a code from the codebook sidebar, after a confirmation that says what goes with it and
whose work it is; a researcher may delete only a code that holds nobody else's work."""

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


def test_the_summary_counts_what_goes_with_the_code_and_whose_it_is(branch, rita, sam):
    assert deletion_summary(branch, rita) == DeletionSummary(
        codings=3,
        interviews=2,
        subcodes=1,
        subcode_codings=2,
        memos=3,
        coders=[("rita", 2), ("sam", 1)],
        authors=[("rita", 2), ("sam", 1)],
        others_work=True,
    )


def test_only_the_users_own_work_is_not_others_work(project, interview, rita, sam):
    code = make_code(project, "À moi")
    make_coding(interview, code, rita, 0, 10)
    Memo.objects.create(project=project, code=code, body="Le mien", author=rita)
    assert not deletion_summary(code, rita).others_work
    assert deletion_summary(code, sam).others_work


def test_the_confirmation_says_what_will_be_removed_and_whose_work_it_is(
    client, project, branch, sam
):
    client.force_login(sam)
    response = client.get(f"/projects/{project.pk}/codebook/{branch.pk}/delete/", headers=HTMX)
    page = response.content.decode()
    assert "<html" not in page and "Delete “Proximité”?" in page
    assert "3 codings in 2 interviews" in page
    assert "rita: 2 codings" in page and "sam: 1 coding" in page
    assert "1 sub-code, with 2 of these codings" in page
    assert "3 memos" in page and "rita: 2 memos" in page and "sam: 1 memo<" in page
    assert "trash</a> for 30 days" in page and ">Delete</button>" in page
    assert Code.objects.filter(pk=branch.pk).exists()  # asking changes nothing


def test_a_researcher_is_told_only_a_supervisor_may_delete_others_work(
    client, project, branch, rita
):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codebook/{branch.pk}/delete/", headers=HTMX)
    page = response.content.decode()
    assert "only a supervisor or an admin can delete it" in page
    assert ">Delete</button>" not in page


def test_a_researcher_cannot_delete_a_code_others_used(client, project, branch, rita):
    client.force_login(rita)
    response = client.post(f"/projects/{project.pk}/codebook/{branch.pk}/delete/", headers=HTMX)
    assert response.status_code == 403
    assert Code.objects.filter(pk=branch.pk).exists() and Coding.objects.count() == 3


def test_a_researcher_deletes_a_code_only_they_used(client, project, interview, rita):
    code = make_code(project, "À moi")
    make_coding(interview, code, rita, 0, 10)
    client.force_login(rita)
    response = client.post(f"/projects/{project.pk}/codebook/{code.pk}/delete/", headers=HTMX)
    assert response.status_code == 200
    assert not Code.objects.filter(pk=code.pk).exists()


@pytest.mark.parametrize("member", ["sam", "ada"])
def test_supervisors_and_admins_delete_a_code_others_used(client, project, branch, member, request):
    client.force_login(request.getfixturevalue(member))
    response = client.post(f"/projects/{project.pk}/codebook/{branch.pk}/delete/", headers=HTMX)
    assert response.status_code == 200
    assert not Code.objects.filter(pk=branch.pk).exists()


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
