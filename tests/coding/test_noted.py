"""Coding.noted: whether a coding may have a review comment or a memo (migration coding 0026),
which the exports read before looking for them. Set by PostgreSQL whatever writes them, never
cleared, never in the audit trail."""

import pytest

from coding import actions
from coding.audit import recorded_as
from coding.models import Coding, CodingEvent, Memo, ReviewEvent
from interviews.models import Membership
from review import workflow
from tests.factories import make_code, make_coding

pytestmark = pytest.mark.django_db


def noted(coding) -> bool:
    return Coding.objects.values_list("noted", flat=True).get(pk=coding.pk)


def test_a_comment_or_a_memo_notes_a_coding_a_bare_decision_does_not(interview, rita, sam):
    code = make_code(interview.project)
    decided, commented, memo = (make_coding(interview, code, rita, n, n + 5) for n in (0, 10, 20))
    assert not any(noted(coding) for coding in (decided, commented, memo))
    supervisor = Membership.objects.get(user=sam, project=interview.project)

    workflow.approve(decided, supervisor)
    workflow.send_back(commented, supervisor, "Trop large : « voisinage » suffit.")
    Memo.objects.create(project=interview.project, coding=memo, author=rita, body="À revoir")
    assert (noted(decided), noted(commented), noted(memo)) == (False, True, True)
    # A comment written into a decision later (no page does, a script might) notes it too.
    ReviewEvent.objects.filter(coding=decided).update(comment="Bien vu.")
    assert noted(decided)


def test_memos_moved_by_a_merge_note_the_coding_that_keeps_them(interview, code, rita):
    actions.apply(interview, code.pk, rita, 0, 10)
    second = actions.apply(interview, code.pk, rita, 20, 30).coding_id
    Memo.objects.create(project=interview.project, coding_id=second, author=rita, body="Note")

    kept = actions.apply(interview, code.pk, rita, 5, 25)

    assert kept.outcome == "merged"
    merged = Coding.objects.get()
    assert merged.memos.count() == 1 and noted(merged)


def test_nothing_clears_it_not_even_a_save_of_an_older_copy(interview, code, rita):
    coding = make_coding(interview, code, rita, 0, 10)
    older = Coding.objects.get(pk=coding.pk)
    Memo.objects.create(project=interview.project, coding=coding, author=rita, body="Note")
    Memo.objects.filter(coding=coding).delete()

    older.save()  # every field, noted=False among them
    Coding.objects.filter(pk=coding.pk).update(noted=False)

    assert noted(coding)


def test_the_flag_writes_no_audit_event(interview, code, rita):
    with recorded_as(rita, interview_id=interview.pk):
        coding = make_coding(interview, code, rita, 0, 10)
    events = CodingEvent.objects.count()
    Memo.objects.create(project=interview.project, coding=coding, author=rita, body="Note")
    assert noted(coding) and CodingEvent.objects.count() == events
    assert "noted" not in CodingEvent.objects.get(coding_id=coding.pk).after


def test_a_reviewed_coding_changed_goes_back_to_review_whether_noted_or_not(
    interview, code, rita, sam
):
    """Its return to review writes an event (without a comment) while the coding is being
    updated, where updating the coding again would be refused."""
    supervisor = Membership.objects.get(user=sam, project=interview.project)
    plain, commented = (
        make_coding(interview, code, rita, 0, 10),
        make_coding(interview, code, rita, 20, 30),
    )
    workflow.approve(plain, supervisor)
    workflow.approve(commented, supervisor, "Juste.")
    for coding in (plain, commented):
        Coding.objects.filter(pk=coding.pk).update(end=coding.end + 2)
    assert list(Coding.objects.order_by("start").values_list("status", "noted")) == [
        (Coding.Status.PENDING, False),
        (Coding.Status.PENDING, True),
    ]
    assert ReviewEvent.objects.filter(status=Coding.Status.PENDING, comment="").count() == 2
