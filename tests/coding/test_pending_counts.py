"""Each interview's count of pending codings (coding.PendingCount), kept by triggers (migration
coding 0018) through every way a coding is written, and the review queue's count read from it."""

import re

import pytest
from django.db import connection
from django.db.models import Count, F
from django.http import QueryDict
from django.urls import reverse

from coding.models import Code, Coding, PendingCount
from excerpts import queries
from excerpts.filters import read_filters
from interviews.models import Interview, Membership
from review import workflow
from tests.factories import insert_coding_sql, make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db

Status = Coding.Status


def kept() -> dict[int, int]:
    """The counts the triggers kept, interviews at zero left out."""
    return {row.interview_id: row.pending for row in PendingCount.objects.all() if row.pending}


def counted() -> dict[int, int]:
    """The same counted from the codings themselves."""
    rows = (
        Coding.objects.filter(status=Status.PENDING).values("interview_id").annotate(n=Count("id"))
    )
    return {row["interview_id"]: row["n"] for row in rows}


def test_the_counts_follow_every_kind_of_write(project, interview, code, rita, sam):
    other = make_interview(project, interview.text + " Fin.", title="Entretien 2")
    codings = [make_coding(interview, code, rita, i * 3, i * 3 + 2) for i in range(6)]
    codings += [make_coding(other, code, rita, i * 3, i * 3 + 2) for i in range(3)]
    assert kept() == counted() == {interview.pk: 6, other.pk: 3}

    supervisor = Membership.objects.get(user=sam, project=project)
    workflow.approve(codings[0], supervisor)
    workflow.send_back(codings[1], supervisor, "Trop large")
    assert kept() == counted() == {interview.pk: 4, other.pk: 3}
    workflow.resubmit(codings[1], Membership.objects.get(user=rita, project=project), "Voilà")
    assert kept() == counted() == {interview.pk: 5, other.pk: 3}

    # A bulk update, a coding moved between interviews, one deleted, a plain SQL insert.
    Coding.objects.filter(pk__in=[codings[2].pk, codings[3].pk]).update(status=Status.APPROVED)
    Coding.objects.filter(pk=codings[6].pk).update(interview=interview)
    codings[4].delete()
    insert_coding_sql(other, code, rita, 40, 44)
    # An approved coding saved again unchanged, and one whose state goes back and forth.
    codings[0].save()
    Coding.objects.filter(pk=codings[5].pk).update(status=Status.NEEDS_CHANGE)
    Coding.objects.filter(pk=codings[5].pk).update(status=Status.PENDING)
    assert kept() == counted() == {interview.pk: 3, other.pk: 3}
    # An approved coding whose words change goes back to review by a BEFORE trigger
    # (coding_review_on_change), though the UPDATE names neither status nor interview.
    Coding.objects.filter(pk=codings[0].pk).update(end=F("end") + 1)
    assert Coding.objects.get(pk=codings[0].pk).status == Status.PENDING
    assert kept() == counted() == {interview.pk: 4, other.pk: 3}


def test_the_workspace_apply_and_deleting_codes_and_interviews_keep_them(
    project, interview, code, rita
):
    with connection.cursor() as cursor:  # what the workspace calls (coding/migrations 0010)
        cursor.execute(
            "SELECT * FROM coding_apply(%s, %s, %s, %s, 0, 14)",
            [rita.pk, project.pk, interview.pk, code.pk],
        )
        cursor.execute(
            "SELECT * FROM coding_apply(%s, %s, %s, %s, 10, 30)",  # merges with the first
            [rita.pk, project.pk, interview.pk, code.pk],
        )
    assert kept() == counted() == {interview.pk: 1}
    other_code = make_code(project, "Suggestion légitime")
    make_coding(interview, other_code, rita, 40, 50)
    assert kept() == counted() == {interview.pk: 2}
    Code.objects.filter(pk=other_code.pk).delete()
    assert kept() == counted() == {interview.pk: 1}
    Interview.objects.filter(pk=interview.pk).delete()
    assert kept() == counted() == {}
    assert not PendingCount.objects.exists()  # the interview's row went with it


def test_the_queue_count_is_the_sum_and_only_for_the_whole_queue(
    project, other_project, interview, code, rita, sam, olga
):
    for i in range(7):
        make_coding(interview, code, rita, i * 3, i * 3 + 2)
    elsewhere = make_interview(other_project, title="Ailleurs")
    make_coding(elsewhere, make_code(other_project), olga, 0, 5)
    Coding.objects.filter(pk=Coding.objects.filter(interview=interview).first().pk).update(
        status=Status.APPROVED
    )
    supervisor = Membership.objects.get(user=sam, project=project)

    def count_of(query: str, limit: int | None = 10_000):
        filters = read_filters(project, QueryDict(query), member=supervisor)
        sql, _ = queries.count_query(filters, limit)
        return queries.count(filters, limit), "coding_pendingcount" in sql

    assert count_of("status=pending") == (6, True)
    assert count_of("status=pending", limit=3) == (4, True)  # at most limit + 1, as counting
    assert count_of("status=pending", limit=None) == (6, True)
    # Any other filter, or another state, counts the codings themselves.
    assert count_of(f"status=pending&coder={rita.pk}") == (6, False)
    assert count_of("status=approved") == (1, False)
    assert count_of("status=pending&status=approved") == (7, False)
    assert count_of(f"status=pending&code={code.pk}") == (6, False)


def test_a_blind_coder_never_gets_the_sum(project, interview, code, rita, ada):
    """A researcher in a blind round counts only the codings they may see, the slow way."""
    theirs = Membership.objects.get(user=rita, project=project)
    make_coding(interview, code, rita, 0, 5)
    make_coding(interview, code, ada, 10, 15)
    round_ = project.coding_rounds.create(name="Aveugle", created_by=ada)
    round_.coders.add(rita)
    round_.interviews.add(interview)
    filters = read_filters(project, QueryDict("status=pending"), member=theirs)
    sql, _ = queries.count_query(filters, 10_000)
    assert "coding_pendingcount" not in sql and queries.count(filters, 10_000) == 1


def test_the_queue_page_shows_the_kept_count(client, project, interview, code, rita, sam):
    for i in range(3):
        make_coding(interview, code, rita, i * 3, i * 3 + 2)
    client.force_login(sam)
    url = reverse("review:queue", args=[project.pk])
    page = client.get(url, headers={"Accept-Language": "en"})
    assert re.search(r"<strong>3 excerpts</strong>", page.content.decode())
