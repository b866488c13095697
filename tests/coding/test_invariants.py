"""What PostgreSQL itself guarantees about codes and codings, whatever code writes to it."""

import pytest
from django.db import IntegrityError, transaction

from coding.audit import recorded_as
from coding.models import Code, Coding, CodingEvent, Memo
from tests.factories import (
    insert_coding_sql,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start,end", [(-1, 4), (4, 4), (10, 2)])
def test_the_database_refuses_empty_reversed_or_negative_ranges(interview, rita, start, end):
    code = make_code(interview.project)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_coding_sql(interview, code, rita, start, end)
    assert not Coding.objects.exists()


def test_the_database_refuses_a_coding_past_the_end_of_the_text(interview, rita):
    code = make_code(interview.project)
    with pytest.raises(IntegrityError, match="beyond the end"), transaction.atomic():
        insert_coding_sql(interview, code, rita, 0, interview.text_length + 1)
    coding = make_coding(interview, code, rita, 0, interview.text_length)
    assert coding.text == interview.text


def test_the_database_refuses_a_code_of_another_project(interview, rita):
    foreign = make_code(make_project("Autre"))
    with pytest.raises(IntegrityError, match="another project"), transaction.atomic():
        insert_coding_sql(interview, foreign, rita, 0, 5)


def test_moving_a_coding_to_another_projects_code_is_refused(interview, rita):
    coding = make_coding(interview, make_code(interview.project), rita, 0, 5)
    foreign = make_code(make_project("Autre"))
    with pytest.raises(IntegrityError, match="another project"), transaction.atomic():
        Coding.objects.filter(pk=coding.pk).update(code=foreign)


def test_the_snapshot_is_exactly_the_code_points_covered(project, rita):
    text = "I : 😊 «\u00a0e\u0301coute\u00a0»\r\nfin\n\nP : x\n\nI : y\n\nP : z"
    interview = make_interview(project, text=text)
    start, end = text.index("😊"), text.index("fin") + 3
    coding = make_coding(interview, make_code(project), rita, start, end)
    assert coding.text == text[start:end] == "😊 «\u00a0e\u0301coute\u00a0»\r\nfin"
    coding.refresh_from_db()
    assert coding.text == text[start:end]


def test_changing_boundaries_refreshes_the_snapshot(interview, rita):
    coding = make_coding(interview, make_code(interview.project), rita, 0, 5)
    Coding.objects.filter(pk=coding.pk).update(start=16, end=23)
    coding.refresh_from_db()
    assert coding.text == interview.text[16:23] == "Comment"


def test_codings_may_overlap_and_coincide(interview, rita, sam):
    code, other = make_code(interview.project), make_code(interview.project, "Bonne distance")
    make_coding(interview, code, rita, 0, 20)
    make_coding(interview, other, rita, 10, 30)
    make_coding(interview, code, sam, 0, 20)
    assert interview.codings.count() == 3


def test_code_names_are_unique_among_siblings_whatever_the_case(project):
    parent = make_code(project, "Proximité")
    make_code(project, "Voisinage courtois", parent)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_code(project, "voisinage COURTOIS", parent)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_code(project, "PROXIMITÉ")  # two roots too: NULL parents are not distinct
    assert make_code(project, "Voisinage courtois").parent is None  # another level is fine


def test_a_code_cannot_have_a_parent_in_another_project(project):
    foreign = make_code(make_project("Autre"), "Ailleurs")
    with pytest.raises(IntegrityError, match="another project"), transaction.atomic():
        make_code(project, "Ici", parent=foreign)


def test_the_codebook_stays_a_tree(project):
    root = make_code(project, "A")
    child = make_code(project, "B", root)
    grandchild = make_code(project, "C", child)
    with pytest.raises(IntegrityError, match="under itself"), transaction.atomic():
        Code.objects.filter(pk=root.pk).update(parent=grandchild)
    with pytest.raises(IntegrityError, match="under itself"), transaction.atomic():
        Code.objects.filter(pk=root.pk).update(parent=root)


def test_a_bad_colour_is_refused_by_the_database(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Code.objects.create(project=project, name="Rouge", color="red")


def test_a_memo_attaches_to_one_thing_of_its_own_project(interview, rita):
    code = make_code(interview.project)
    Memo.objects.create(project=interview.project, author=rita, body="projet")
    Memo.objects.create(project=interview.project, author=rita, code=code, body="code")
    with pytest.raises(IntegrityError), transaction.atomic():
        Memo.objects.create(project=interview.project, code=code, interview=interview, body="deux")
    with pytest.raises(IntegrityError, match="its own project"), transaction.atomic():
        Memo.objects.create(project=make_project("Autre"), interview=interview, body="ailleurs")


def test_every_change_to_a_coding_is_recorded_with_its_actor(interview, rita, sam):
    code = make_coding(interview, make_code(interview.project), rita, 0, 5).code
    coding = interview.codings.get()
    with recorded_as(sam):
        coding.status = Coding.Status.APPROVED
        coding.save(update_fields=["status", "updated_at"])
    with recorded_as(rita):
        coding.delete()
    events = list(CodingEvent.objects.order_by("id").values_list("action", "actor__username"))
    assert events == [("create", "rita"), ("update", "sam"), ("delete", "rita")]
    created, updated, deleted = CodingEvent.objects.order_by("id")
    assert created.after["code_id"] == code.pk and created.before is None
    assert updated.before["status"] == "pending" and updated.after["status"] == "approved"
    assert deleted.after is None and deleted.before["start"] == 0
    assert {e.project_id for e in (created, updated, deleted)} == {interview.project_id}


def test_a_coder_with_codings_cannot_be_deleted(interview, rita):
    make_coding(interview, make_code(interview.project), rita, 0, 5)
    with pytest.raises(Exception, match="protected"):
        rita.delete()
    assert make_user("nouvelle").delete()
