"""The review state machine (review/workflow.py): every transition, allowed and forbidden."""

import pytest

from coding.audit import recorded_as, undo_last
from coding.models import Coding, CodingEvent, ReviewEvent
from interviews.models import Membership
from review import workflow
from tests.factories import make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db

Status = Coding.Status


def member(user, project):
    return Membership.objects.select_related("user").get(user=user, project=project)


def set_status(coding, status):
    Coding.objects.filter(pk=coding.pk).update(status=status)
    coding.refresh_from_db()


def history(coding):
    return list(
        coding.reviews.order_by("id").values_list("reviewer__username", "status", "comment")
    )


# Approve


@pytest.mark.parametrize("start", [Status.PENDING, Status.NEEDS_CHANGE])
def test_a_supervisor_approves_a_pending_or_sent_back_coding(project, coding, sam, start):
    set_status(coding, start)
    event = workflow.approve(coding, member(sam, project), "Très juste")
    coding.refresh_from_db()
    assert coding.status == Status.APPROVED
    assert (event.reviewer, event.status, event.comment) == (sam, Status.APPROVED, "Très juste")
    assert history(coding) == [("sam", "approved", "Très juste")]


def test_an_admin_approves_a_coding(project, coding, ada):
    workflow.approve(coding, member(ada, project))
    assert Coding.objects.get(pk=coding.pk).status == Status.APPROVED


def test_approving_an_approved_coding_is_refused_and_names_who_approved_it(
    project, coding, sam, ada, english
):
    workflow.approve(coding, member(sam, project))
    stale = Coding.objects.get(pk=coding.pk)
    stale.status = Status.PENDING  # what ada's page still shows
    with pytest.raises(workflow.StaleState, match="already approved by sam"):
        workflow.approve(stale, member(ada, project))
    assert history(coding) == [("sam", "approved", "")]


def test_a_researcher_cannot_approve(project, interview, code, rita, sam):
    someone_elses = make_coding(interview, code, sam, 20, 30)
    with pytest.raises(workflow.NotAllowed):
        workflow.approve(someone_elses, member(rita, project))
    assert Coding.objects.get(pk=someone_elses.pk).status == Status.PENDING
    assert not ReviewEvent.objects.exists()


@pytest.mark.parametrize("reviewer", ["sam", "ada"])
def test_nobody_approves_their_own_coding_even_a_supervisor_or_an_admin(
    project, interview, code, sam, ada, reviewer, english
):
    user = {"sam": sam, "ada": ada}[reviewer]
    own = make_coding(interview, code, user, 0, 14)
    with pytest.raises(workflow.NotAllowed, match="your own coding"):
        workflow.approve(own, member(user, project))
    with pytest.raises(workflow.NotAllowed):
        workflow.send_back(own, member(user, project), "Je me relis")
    assert Coding.objects.get(pk=own.pk).status == Status.PENDING
    assert not ReviewEvent.objects.exists()


# Send back


@pytest.mark.parametrize("start", [Status.PENDING, Status.APPROVED])
def test_a_supervisor_sends_back_a_pending_or_approved_coding_with_a_comment(
    project, coding, sam, start
):
    set_status(coding, start)
    workflow.send_back(coding, member(sam, project), "  Trop large : garder la 2e phrase.  ")
    coding.refresh_from_db()
    assert coding.status == Status.NEEDS_CHANGE
    assert history(coding) == [("sam", "needs_change", "Trop large : garder la 2e phrase.")]


@pytest.mark.parametrize("comment", ["", "   \n ", None])
def test_sending_back_without_a_comment_is_refused(project, coding, sam, comment, english):
    with pytest.raises(workflow.CommentRequired, match="comment is required"):
        workflow.send_back(coding, member(sam, project), comment)
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING
    assert not ReviewEvent.objects.exists()


def test_sending_back_a_coding_already_sent_back_is_refused(project, coding, sam, ada, english):
    workflow.send_back(coding, member(sam, project), "Revoir")
    stale = Coding.objects.get(pk=coding.pk)
    stale.status = Status.PENDING
    with pytest.raises(workflow.StaleState, match="already sent back by sam"):
        workflow.send_back(stale, member(ada, project), "Moi aussi")
    assert len(history(coding)) == 1


def test_a_researcher_cannot_send_back(project, interview, code, rita, sam):
    someone_elses = make_coding(interview, code, sam, 20, 30)
    with pytest.raises(workflow.NotAllowed):
        workflow.send_back(someone_elses, member(rita, project), "Non")
    assert Coding.objects.get(pk=someone_elses.pk).status == Status.PENDING


# Resubmit


def test_the_coder_resubmits_a_coding_sent_back_with_an_answer(project, coding, rita, sam):
    workflow.send_back(coding, member(sam, project), "Trop large")
    workflow.resubmit(coding, member(rita, project), "Je garde : le contexte compte")
    coding.refresh_from_db()
    assert coding.status == Status.PENDING
    assert history(coding) == [
        ("sam", "needs_change", "Trop large"),
        ("rita", "pending", "Je garde : le contexte compte"),
    ]


def test_resubmitting_needs_no_answer(project, coding, rita, sam):
    workflow.send_back(coding, member(sam, project), "Trop large")
    workflow.resubmit(coding, member(rita, project))
    assert history(coding)[-1] == ("rita", "pending", "")


@pytest.mark.parametrize("start", [Status.PENDING, Status.APPROVED])
def test_only_a_coding_sent_back_can_be_resubmitted(project, coding, rita, start):
    set_status(coding, start)
    with pytest.raises(workflow.StaleState):
        workflow.resubmit(coding, member(rita, project), "Voilà")
    assert Coding.objects.get(pk=coding.pk).status == start
    assert not ReviewEvent.objects.exists()


def test_only_the_coder_resubmits_not_another_researcher_nor_the_reviewer(
    project, coding, rita, sam
):
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    workflow.send_back(coding, member(sam, project), "Trop large")
    for user in (remi, sam):
        with pytest.raises(workflow.NotAllowed):
            workflow.resubmit(coding, member(user, project))
    assert Coding.objects.get(pk=coding.pk).status == Status.NEEDS_CHANGE


def test_an_admin_may_resubmit_anyones_coding_as_they_may_correct_it(project, coding, sam, ada):
    workflow.send_back(coding, member(sam, project), "Trop large")
    workflow.resubmit(coding, member(ada, project), "Corrigé pour Rita")
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING


# Changing a reviewed coding


@pytest.mark.parametrize("start", [Status.APPROVED, Status.NEEDS_CHANGE])
@pytest.mark.parametrize("change", ["start", "code"])
def test_changing_a_reviewed_coding_sends_it_back_to_the_queue(
    project, interview, coding, rita, start, change
):
    # Whoever changes it and however: the rule is the database's (migration coding 0010).
    set_status(coding, start)
    with recorded_as(rita, interview_id=interview.pk):
        if change == "start":
            coding.start = 1
        else:
            coding.code = make_code(project, "Autre")
        coding.save(update_fields=[change])
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING
    event = coding.reviews.order_by("id").last()
    assert (event.reviewer, event.status, event.undo) == (rita, Status.PENDING, False)


def test_changing_a_pending_coding_writes_no_review_history(interview, coding, rita):
    with recorded_as(rita, interview_id=interview.pk):
        coding.start = 1
        coding.save(update_fields=["start"])
    assert not coding.reviews.exists()


def test_a_review_decision_is_not_a_change_of_the_passage(project, coding, sam):
    workflow.approve(coding, member(sam, project))
    assert Coding.objects.get(pk=coding.pk).status == Status.APPROVED


# Stale and vanished codings


def test_a_decision_on_a_coding_removed_meanwhile_is_refused(project, coding, sam, english):
    Coding.objects.filter(pk=coding.pk).delete()
    with pytest.raises(workflow.StaleState, match="no longer exists"):
        workflow.approve(coding, member(sam, project))
    assert not ReviewEvent.objects.exists()


def test_each_decision_is_audited_as_the_reviewers_action(project, interview, coding, sam):
    workflow.approve(coding, member(sam, project))
    event = CodingEvent.objects.filter(coding_id=coding.pk, action="update").get()
    assert event.actor_id == sam.pk and event.interview_id == interview.pk
    assert (event.before["status"], event.after["status"]) == ("pending", "approved")


def test_undo_in_the_interview_never_reverts_a_review_decision(project, interview, coding, sam):
    workflow.approve(coding, member(sam, project))
    workflow.send_back(coding, member(sam, project), "Trop large")

    assert undo_last(sam, interview.pk) is None  # decisions live in the review history instead
    coding.refresh_from_db()
    assert coding.status == Status.NEEDS_CHANGE


# Bulk approve


def test_bulk_approve_approves_what_it_may_and_reports_the_rest(
    project, other_project, interview, code, rita, sam, english
):
    second = make_interview(project, text="Une autre histoire, tout autre.", title="Entretien 2")
    pending = make_coding(interview, code, rita, 0, 14)
    sent_back = make_coding(second, code, rita, 0, 3)
    set_status(sent_back, Status.NEEDS_CHANGE)
    approved = make_coding(interview, code, rita, 20, 30)
    set_status(approved, Status.APPROVED)
    own = make_coding(interview, code, sam, 40, 50)
    foreign_interview = make_interview(other_project, title="Ailleurs")
    foreign = make_coding(foreign_interview, make_code(other_project), rita, 0, 5)
    ids = [pending.pk, sent_back.pk, approved.pk, own.pk, foreign.pk, 999_999]
    before = CodingEvent.objects.order_by("-id").values_list("id", flat=True).first()

    result = workflow.bulk_approve(member(sam, project), ids)

    assert sorted(result.approved) == sorted([pending.pk, sent_back.pk])
    assert result.skipped == {approved.pk: "already approved", own.pk: "your own coding"}
    assert result.missing == 2
    statuses = dict(Coding.objects.values_list("pk", "status"))
    assert statuses[pending.pk] == statuses[sent_back.pk] == Status.APPROVED
    assert statuses[own.pk] == Status.PENDING and statuses[foreign.pk] == Status.PENDING
    assert sorted(ReviewEvent.objects.values_list("coding_id", "reviewer__username")) == sorted(
        [(pending.pk, "sam"), (sent_back.pk, "sam")]
    )
    # One action in the audit trail, credited to sam.
    events = CodingEvent.objects.filter(id__gt=before)
    assert len(events) == 2 and {e.actor_id for e in events} == {sam.pk}
    assert len({e.group for e in events}) == 1


def test_a_researcher_cannot_bulk_approve(project, coding, rita, sam):
    with pytest.raises(workflow.NotAllowed):
        workflow.bulk_approve(member(rita, project), [coding.pk])
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING


def test_bulk_approve_of_nothing_approves_nothing(project, sam):
    result = workflow.bulk_approve(member(sam, project), [])
    assert (result.approved, result.skipped, result.missing) == ([], {}, 0)


# Counts


def test_revise_count_counts_the_users_codings_sent_back_in_this_project(
    project, other_project, interview, code, rita, sam
):
    mine = [make_coding(interview, code, rita, s, s + 5) for s in (0, 10, 20)]
    for coding in mine[:2]:
        workflow.send_back(coding, member(sam, project), "Revoir")
    not_mine = make_coding(interview, code, sam, 40, 45)
    set_status(not_mine, Status.NEEDS_CHANGE)
    assert workflow.revise_count(rita, project.pk) == 2
    assert workflow.revise_count(rita, other_project.pk) == 0
