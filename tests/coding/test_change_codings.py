"""Changing, removing and undoing codings; polling; the inspector; whose codings the page shows."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from coding.models import Coding, CodingEvent, Memo, ReviewEvent
from interviews.models import Membership
from tests.factories import TRANSCRIPT, make_code, make_coding, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "Accept-Language": "en"}


def base(interview):
    return f"/projects/{interview.project_id}/interviews/{interview.pk}/codings/"


def test_a_coder_removes_her_coding(client, interview, rita):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    client.force_login(rita)
    response = client.post(f"{base(interview)}{coding.pk}/delete/", {"since": 0}, headers=HTMX)
    assert not Coding.objects.exists()
    assert f'id="coding-card-{coding.pk}" hx-swap-oob="delete"' in response.content.decode()


def test_a_researcher_cannot_remove_or_change_someone_elses_coding(client, interview, rita, sam):
    coding = make_coding(interview, make_code(interview.project), sam, 20, 30)
    client.force_login(rita)
    assert client.post(f"{base(interview)}{coding.pk}/delete/", headers=HTMX).status_code == 403
    assert client.post(f"{base(interview)}{coding.pk}/", {"start": 0, "end": 9}).status_code == 403
    assert Coding.objects.get().end == 30


def test_an_admin_may_correct_anyones_coding(client, interview, rita, ada):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    client.force_login(ada)
    client.post(f"{base(interview)}{coding.pk}/delete/", headers=HTMX)
    assert not Coding.objects.exists()


def test_a_coding_of_another_interview_answers_404(client, project, interview, rita):
    from tests.factories import make_interview

    other = make_interview(project, text=TRANSCRIPT + " Fin.", title="Autre")
    elsewhere = make_coding(other, make_code(project), rita, 0, 5)
    client.force_login(rita)
    assert client.post(f"{base(interview)}{elsewhere.pk}/delete/").status_code == 404


def test_changing_the_code_of_an_approved_coding_sends_it_back_to_review(client, interview, rita):
    first, second = make_code(interview.project), make_code(interview.project, "Autre")
    coding = make_coding(interview, first, rita, 20, 30)
    Coding.objects.filter(pk=coding.pk).update(status=Coding.Status.APPROVED)
    client.force_login(rita)

    response = client.post(f"{base(interview)}{coding.pk}/", {"code": second.pk}, headers=HTMX)

    coding.refresh_from_db()
    assert (coding.code, coding.status) == (second, Coding.Status.PENDING)
    page = response.content.decode()
    assert f'id="code-count-{first.pk}" hx-swap-oob="true">0 / 0<' in page
    assert f'id="code-count-{second.pk}" hx-swap-oob="true">1 / 1<' in page


def test_resizing_a_coding_sent_back_returns_it_to_review_with_a_history_line(
    client, interview, rita
):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    Coding.objects.filter(pk=coding.pk).update(status=Coding.Status.NEEDS_CHANGE)
    client.force_login(rita)

    client.post(f"{base(interview)}{coding.pk}/", {"start": 16, "end": 40}, headers=HTMX)

    coding.refresh_from_db()
    assert coding.status == Coding.Status.PENDING
    last = coding.reviews.last()
    assert (last.reviewer, last.status) == (rita, Coding.Status.PENDING)


def test_coding_a_touching_passage_returns_an_approved_coding_to_review(client, interview, rita):
    code = make_code(interview.project)
    coding = make_coding(interview, code, rita, 20, 30)
    Coding.objects.filter(pk=coding.pk).update(status=Coding.Status.APPROVED)
    client.force_login(rita)

    client.post(base(interview), {"start": 30, "end": 40, "code": code.pk}, headers=HTMX)

    coding.refresh_from_db()
    assert (coding.start, coding.end, coding.status) == (20, 40, Coding.Status.PENDING)
    assert coding.reviews.count() == 1


def test_new_boundaries_take_the_new_text(client, interview, rita):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    client.force_login(rita)
    client.post(f"{base(interview)}{coding.pk}/", {"start": 16, "end": 40}, headers=HTMX)
    coding.refresh_from_db()
    assert coding.text == TRANSCRIPT[16:40]


@pytest.mark.parametrize(("start", "end"), [(30, 20), (0, 100000), (5, "")])
def test_bad_boundaries_are_refused(client, interview, rita, start, end):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    client.force_login(rita)
    response = client.post(
        f"{base(interview)}{coding.pk}/", {"start": start, "end": end}, headers=HTMX
    )
    assert 'class="status error"' in response.content.decode()
    coding.refresh_from_db()
    assert (coding.start, coding.end) == (20, 30)


def test_the_inspector_offers_one_word_steps_for_each_boundary(client, interview, rita):
    start = TRANSCRIPT.index("même banc")
    coding = make_coding(interview, make_code(interview.project), rita, start, start + 4)
    client.force_login(rita)
    page = client.get(f"{base(interview)}inspect/?ids={coding.pk},x", headers=HTMX).content.decode()
    assert "même" in page
    later_end = start + len("même banc")
    assert f'"start": "{start}", "end": "{later_end}"' in page
    assert f'"start": "{TRANSCRIPT.index("le même")}", "end": "{start + 4}"' in page


def test_the_inspector_shows_who_coded_and_the_review_comment(client, interview, rita, sam):
    from coding.models import ReviewEvent

    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    ReviewEvent.objects.create(
        coding=coding, reviewer=sam, status="needs_change", comment="Trop court"
    )
    client.force_login(sam)
    page = client.get(f"{base(interview)}inspect/?ids={coding.pk}", headers=HTMX).content.decode()
    assert "rita" in page and "Trop court" in page
    assert "coding:remove" not in page and "/delete/" not in page  # not sam's to change


def test_undo_reverts_my_last_actions_one_by_one(client, interview, rita):
    code = make_code(interview.project)
    client.force_login(rita)
    client.post(base(interview), {"start": 20, "end": 30, "code": code.pk}, headers=HTMX)
    client.post(base(interview), {"start": 25, "end": 40, "code": code.pk}, headers=HTMX)  # merges
    assert list(Coding.objects.values_list("start", "end")) == [(20, 40)]

    client.post(f"{base(interview)}undo/", headers=HTMX)
    assert list(Coding.objects.values_list("start", "end")) == [(20, 30)]
    client.post(f"{base(interview)}undo/", headers=HTMX)
    assert not Coding.objects.exists()
    response = client.post(f"{base(interview)}undo/", headers=HTMX)
    assert "Nothing to undo" in response.content.decode()


def test_undo_brings_back_a_removed_coding_with_its_id(client, interview, rita):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    client.force_login(rita)
    client.post(f"{base(interview)}{coding.pk}/delete/", headers=HTMX)
    client.post(f"{base(interview)}undo/", headers=HTMX)
    restored = Coding.objects.get()
    assert (restored.pk, restored.text, restored.coder) == (coding.pk, TRANSCRIPT[20:30], rita)


def test_undo_of_a_removal_brings_back_the_codings_memos_as_they_were(client, interview, rita, sam):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    written = timezone.now() - timedelta(days=3)
    for author, body in ((rita, "Trop court ?"), (sam, "D’accord avec Rita.")):
        memo = Memo.objects.create(
            project=interview.project, coding=coding, author=author, body=body
        )
        Memo.objects.filter(pk=memo.pk).update(created_at=written, updated_at=written)
    before = list(Memo.objects.order_by("pk").values())
    client.force_login(rita)

    response = client.post(f"{base(interview)}{coding.pk}/delete/", headers=HTMX)
    assert "and its 2 memos removed" in response.content.decode()
    assert not Memo.objects.exists()

    client.post(f"{base(interview)}undo/", headers=HTMX)
    assert list(Memo.objects.order_by("pk").values()) == before


def test_a_removal_and_its_redraw_take_two_round_trips(
    client, interview, rita, django_assert_max_num_queries
):
    """The session with its user, the interview, its blind rounds and the coding (read along with
    the session: coding.visibility.ReadAhead, reads_along), then in one
    batch the removal in one transaction (settings and lock, the delete, its memos kept on its
    event), what changed since the page's event, and the paragraph's codings with the code's
    count (coding.workspace.expect)."""
    code = make_code(interview.project)
    kept, gone = (
        make_coding(interview, code, rita, 0, 14),
        make_coding(interview, code, rita, 20, 30),
    )
    Memo.objects.create(project=interview.project, coding=gone, author=rita, body="À garder")
    client.force_login(rita)
    client.post(f"{base(interview)}{kept.pk}/delete/", {"since": 0}, headers=HTMX)  # a first one
    with django_assert_max_num_queries(2):
        response = client.post(f"{base(interview)}{gone.pk}/delete/", {"since": 0}, headers=HTMX)
    assert "and its memo removed" in response.content.decode()
    redrawn = re.search(r'<p id="p-16"[^>]*hx-swap-oob="true">.*?</p>', response.content.decode())
    assert redrawn and "data-codings" not in redrawn.group(0)
    assert f'id="code-count-{code.pk}"' in response.content.decode()
    client.post(f"{base(interview)}undo/", headers=HTMX)
    assert Memo.objects.get().body == "À garder" and Coding.objects.get().pk == gone.pk


def test_memos_on_passages_that_merge_stay_with_the_merged_coding(client, interview, rita):
    code = make_code(interview.project)
    first, second = (
        make_coding(interview, code, rita, 20, 30),
        make_coding(interview, code, rita, 40, 50),
    )
    for coding in (first, second):
        Memo.objects.create(project=interview.project, coding=coding, author=rita, body="Note")
    client.force_login(rita)

    client.post(base(interview), {"start": 28, "end": 42, "code": code.pk}, headers=HTMX)

    merged = Coding.objects.get()
    assert (merged.start, merged.end) == (20, 50)
    assert merged.memos.count() == 2


def test_undoing_a_change_that_sent_an_approved_coding_back_to_review_says_so(
    client, interview, rita, sam
):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    Coding.objects.filter(pk=coding.pk).update(status=Coding.Status.APPROVED)
    ReviewEvent.objects.create(coding=coding, reviewer=sam, status=Coding.Status.APPROVED)
    client.force_login(rita)
    client.post(f"{base(interview)}{coding.pk}/", {"start": 16, "end": 40}, headers=HTMX)

    client.post(f"{base(interview)}undo/", headers=HTMX)

    coding.refresh_from_db()
    assert (coding.start, coding.end, coding.status) == (20, 30, Coding.Status.APPROVED)
    history = list(coding.reviews.values_list("reviewer__username", "status", "undo"))
    assert history == [
        ("sam", "approved", False),
        ("rita", "pending", False),  # back to review by the change
        ("rita", "approved", True),  # and approved again by its undo
    ]
    page = client.get(f"/projects/{interview.project_id}/review/{coding.pk}/history/", headers=HTMX)
    assert "Approved again: rita undid the change" in page.content.decode()


def test_undo_of_a_removal_brings_back_the_review_history(client, interview, rita, sam):
    coding = make_coding(interview, make_code(interview.project), rita, 20, 30)
    Coding.objects.filter(pk=coding.pk).update(status=Coding.Status.NEEDS_CHANGE)
    ReviewEvent.objects.create(
        coding=coding, reviewer=sam, status=Coding.Status.NEEDS_CHANGE, comment="Trop court."
    )
    before = list(ReviewEvent.objects.values())
    client.force_login(rita)

    client.post(f"{base(interview)}{coding.pk}/delete/", headers=HTMX)
    assert not ReviewEvent.objects.exists()
    client.post(f"{base(interview)}undo/", headers=HTMX)

    assert list(ReviewEvent.objects.values()) == before
    assert Coding.objects.get().status == Coding.Status.NEEDS_CHANGE


def test_undo_never_touches_someone_elses_actions(client, interview, rita, sam):
    code = make_code(interview.project)
    client.force_login(sam)
    client.post(base(interview), {"start": 20, "end": 30, "code": code.pk}, headers=HTMX)
    client.force_login(rita)
    client.post(f"{base(interview)}undo/", headers=HTMX)
    assert Coding.objects.filter(coder=sam).exists()


def test_polling_brings_others_new_codings_and_is_empty_otherwise(client, interview, rita, sam):
    code = make_code(interview.project)
    client.force_login(rita)
    since = CodingEvent.objects.count()
    assert client.get(f"{base(interview)}changes/?since={since}").status_code == 204

    theirs = make_coding(interview, code, sam, 20, 30)
    page = client.get(f"{base(interview)}changes/?since=0", headers=HTMX).content.decode()
    assert f'data-codings="{theirs.pk}"' in page and 'hx-swap-oob="true"' in page


def test_the_page_can_show_only_my_codings_or_one_coders(client, interview, rita, sam):
    code = make_code(interview.project)
    mine, theirs = (
        make_coding(interview, code, rita, 20, 30),
        make_coding(interview, code, sam, 40, 50),
    )
    client.force_login(rita)
    page_url = f"/projects/{interview.project_id}/interviews/{interview.pk}/"

    everyone = client.get(page_url).content.decode()
    only_mine = client.get(page_url + "?coders=mine").content.decode()
    only_sam = client.get(page_url + f"?coders={sam.pk}", headers=HTMX).content.decode()

    assert f'data-codings="{mine.pk}"' in everyone and f'data-codings="{theirs.pk}"' in everyone
    assert (
        f'data-codings="{mine.pk}"' in only_mine and f'data-codings="{theirs.pk}"' not in only_mine
    )
    assert f'data-codings="{theirs.pk}"' in only_sam and "<html" not in only_sam


def test_opening_an_interview_costs_the_same_queries_with_10_or_200_codings(
    client, interview, rita, django_assert_max_num_queries
):
    code = make_code(interview.project)
    others = [
        make_user(f"coder{i}", interview.project, Membership.Role.RESEARCHER) for i in range(3)
    ]
    client.force_login(rita)
    page_url = f"/projects/{interview.project_id}/interviews/{interview.pk}/"
    for n in range(10):
        make_coding(interview, code, others[n % 3], n, n + 20)
    with django_assert_max_num_queries(13) as few:  # one reads the transcript, not yet kept
        client.get(page_url)
    Coding.objects.bulk_create(
        Coding(interview=interview, code=code, coder=others[n % 3], start=n, end=n + 30)
        for n in range(200)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(page_url)
