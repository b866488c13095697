"""Applying a code to a passage: POST /projects/P/interviews/I/codings/ (coding.views.apply_code)."""

import re

import pytest

from coding.models import Code, Coding, CodingEvent
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(interview):
    return f"/projects/{interview.project_id}/interviews/{interview.pk}/codings/"


def passage(text, words):
    start = text.index(words)
    return start, start + len(words)


def post(client, interview, **data):
    return client.post(url(interview), {"since": "0", **data}, headers=HTMX)


def test_it_codes_exactly_the_selected_passage_and_redraws_its_paragraph(client, interview, rita):
    code = make_code(interview.project)
    start, end = passage(TRANSCRIPT, "sur le même banc")
    client.force_login(rita)

    response = post(client, interview, start=start, end=end, code=code.pk)

    coding = Coding.objects.get()
    assert (coding.text, coding.coder, coding.code) == ("sur le même banc", rita, code)
    page = response.content.decode()
    assert "<html" not in page
    paragraph = re.search(r'<p id="p-(\d+)" data-start="\d+" hx-swap-oob="true">(.*?)</p>', page)
    assert paragraph and int(paragraph[1]) <= start
    assert f'data-codings="{coding.pk}"' in paragraph[2]
    assert (
        f'<span class="code-count" id="code-count-{code.pk}" hx-swap-oob="true">1 / 1</span>'
        in page
    )


def test_it_counts_code_points_like_the_stored_text(client, project, rita):
    text = "Intervieweuse : Et alors ?\n\nMartine : Un café 😊 «\u00a0e\u0301te\u0301\u00a0» ok\r\nfin."
    interview = make_interview(project, text=text)
    code = make_code(project)
    start, end = passage(text, "😊 «\u00a0e\u0301te\u0301\u00a0» ok\r\nfin")
    client.force_login(rita)

    post(client, interview, start=start, end=end, code=code.pk)

    assert Coding.objects.get().text == "😊 «\u00a0e\u0301te\u0301\u00a0» ok\r\nfin"


def test_a_new_in_vivo_code_is_created_and_applied(client, interview, rita):
    start, end = passage(TRANSCRIPT, "juste un café")
    client.force_login(rita)

    response = post(client, interview, start=start, end=end, new_code="  juste un   café ")

    code = Code.objects.get(project=interview.project)
    assert (code.name, code.parent, code.created_by) == ("juste un café", None, rita)
    assert Coding.objects.get().code == code
    assert "codebook-stale" in response["HX-Trigger"]
    # Its colour: the code stylesheet's link comes again, out of band, and names it.
    assert 'id="code-colors"' in response.content.decode()
    colors = client.get(f"/projects/{interview.project_id}/codebook/colors.css")
    assert f".c-{code.pk}{{--code-color:{code.color}}}" in colors.content.decode()
    assert (
        client.get(
            f"/projects/{interview.project_id}/codebook/colors.css",
            headers={"If-None-Match": colors["ETag"]},
        ).status_code
        == 304
    )


def test_an_in_vivo_name_that_exists_reuses_the_code(client, interview, rita):
    existing = make_code(interview.project, "Juste un café")
    start, end = passage(TRANSCRIPT, "juste un café")
    client.force_login(rita)

    response = post(client, interview, start=start, end=end, new_code="juste un café")

    assert Code.objects.filter(project=interview.project).count() == 1
    assert Coding.objects.get().code == existing
    assert "codebook-stale" not in response.get("HX-Trigger", "")


def test_an_overlapping_or_touching_passage_with_the_same_code_merges(client, interview, rita):
    code = make_code(interview.project)
    make_coding(interview, code, rita, 20, 30)
    make_coding(interview, code, rita, 40, 50)
    client.force_login(rita)

    post(client, interview, start=25, end=40, code=code.pk)

    coding = Coding.objects.get()
    assert (coding.start, coding.end, coding.text) == (20, 50, TRANSCRIPT[20:50])


def test_other_coders_and_other_codes_keep_their_own_codings(client, interview, rita, sam):
    code, other = make_code(interview.project), make_code(interview.project, "Autre")
    make_coding(interview, code, sam, 20, 30)
    make_coding(interview, other, rita, 20, 30)
    client.force_login(rita)

    post(client, interview, start=25, end=40, code=code.pk)

    assert Coding.objects.count() == 3


def test_coding_an_already_coded_passage_changes_nothing(client, interview, rita):
    code = make_code(interview.project)
    make_coding(interview, code, rita, 20, 40)
    events = CodingEvent.objects.count()
    client.force_login(rita)

    response = client.post(
        url(interview),
        {"since": "0", "start": 25, "end": 30, "code": code.pk},
        headers={**HTMX, "Accept-Language": "en"},
    )

    assert "Already coded" in response.content.decode()
    assert CodingEvent.objects.count() == events
    assert Coding.objects.get().end == 40


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": 30, "end": 20}, "empty or reversed"),
        ({"start": 20, "end": 20}, "empty or reversed"),
        ({"start": 20, "end": 100000}, "outside this transcript"),
        ({"start": -1, "end": 5}, "Select a passage"),
        ({"start": "vingt", "end": 5}, "Select a passage"),
        ({"end": 5}, "Select a passage"),
        ({"start": 86, "end": 88}, "not only spaces"),
    ],
)
def test_a_bad_selection_is_refused_with_a_message_and_nothing_is_written(
    client, interview, rita, data, message
):
    code = make_code(interview.project)
    client.force_login(rita)

    response = client.post(
        url(interview),
        {"since": "0", "code": code.pk, **data},
        headers={**HTMX, "Accept-Language": "en"},
    )

    assert response.status_code == 200
    assert 'class="status error"' in response.content.decode()
    assert message in response.content.decode()
    assert not Coding.objects.exists() and not CodingEvent.objects.exists()


def test_a_deleted_code_or_another_projects_code_is_refused(client, interview, rita, other_project):
    gone = make_code(interview.project, "Supprimé")
    gone_id = gone.pk
    gone.delete()
    foreign = make_code(other_project, "Ailleurs")
    client.force_login(rita)

    for code_id in (gone_id, foreign.pk, 10**20, -1):
        response = client.post(
            url(interview),
            {"since": "0", "start": 20, "end": 30, "code": code_id},
            headers={**HTMX, "Accept-Language": "en"},
        )
        assert "no longer exists" in response.content.decode()
    assert not Coding.objects.exists()


def test_neither_a_code_nor_a_name_is_refused(client, interview, rita):
    client.force_login(rita)
    response = client.post(
        url(interview),
        {"since": "0", "start": 20, "end": 30, "new_code": "   "},
        headers={**HTMX, "Accept-Language": "en"},
    )
    assert "Choose a code" in response.content.decode()
    assert not Coding.objects.exists()


def test_a_stale_interview_id_answers_404_and_writes_nothing(client, project, rita):
    code = make_code(project)
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/interviews/999999/codings/",
        {"start": 0, "end": 5, "code": code.pk},
        headers=HTMX,
    )
    assert response.status_code == 404
    assert not Coding.objects.exists()


def test_get_is_not_allowed(client, interview, rita):
    client.force_login(rita)
    assert client.get(url(interview)).status_code == 405


def test_the_audit_trail_credits_the_coder(client, interview, rita):
    code = make_code(interview.project)
    client.force_login(rita)
    post(client, interview, start=20, end=30, code=code.pk)
    event = CodingEvent.objects.get()
    assert (event.actor, event.action, event.interview_id) == (rita, "create", interview.pk)


def test_an_apply_and_its_redraw_take_two_round_trips(
    client, interview, rita, django_assert_max_num_queries
):
    """The session with its user, the interview and the blind rounds (read along with the
    session: coding.visibility.ReadAhead), then the apply with what changed since the page's
    event, the paragraph it touches and its code's counts, in one batch (workspace.expect): the
    redraw is whole (paragraph and count) with nothing read twice."""
    code = make_code(interview.project)
    start, end = passage(TRANSCRIPT, "sur le même banc")
    client.force_login(rita)
    # A first action: this process then knows the session's user, and keeps the transcript and
    # its paragraphs.
    first, last = passage(TRANSCRIPT, "café")
    post(client, interview, start=first, end=last, code=code.pk)
    since = CodingEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with django_assert_max_num_queries(2):
        page = post(client, interview, since=since, start=start, end=end, code=code.pk)
        page = page.content.decode()
    assert 'hx-swap-oob="true">' in page and f'id="code-count-{code.pk}"' in page
    assert f'data-codings="{Coding.objects.latest("pk").pk}"' in page


def test_a_change_by_someone_else_since_the_page_is_redrawn_with_the_apply(
    client, interview, rita, sam, django_assert_max_num_queries
):
    """Sam coded another paragraph since rita's page last heard: her apply's answer redraws it too,
    and counts his code, reading what the apply did not expect in one more round trip."""
    mine, his = make_code(interview.project, "Mien"), make_code(interview.project, "Sien")
    client.force_login(rita)
    first, last = passage(TRANSCRIPT, "café")
    post(client, interview, start=first, end=last, code=mine.pk)
    since = CodingEvent.objects.order_by("-id").values_list("id", flat=True).first()
    start, end = passage(TRANSCRIPT, "sur le même banc")
    other = make_coding(interview, his, sam, *passage(TRANSCRIPT, "Et quand il vous parle"))
    with django_assert_max_num_queries(4):
        page = post(client, interview, since=since, start=start, end=end, code=mine.pk)
        page = page.content.decode()
    ours = Coding.objects.latest("pk")
    assert ours.pk != other.pk
    assert f'data-codings="{ours.pk}"' in page and f'data-codings="{other.pk}"' in page
    assert f'id="code-count-{mine.pk}"' in page and f'id="code-count-{his.pk}"' in page


def test_the_expected_reads_redraw_what_reading_afterwards_redraws(interview, rita, sam):
    """workspace.changes_since gives the same paragraphs and counts from the reads an apply sent
    along (workspace.expect) as from its own, whether they cover the changes or not."""
    from coding import actions, workspace
    from coding.visibility import EVERYTHING

    code = make_code(interview.project)
    everyone = workspace.CoderFilter()
    for who, words in [(rita, "sur le même banc"), (sam, "quelqu'un")]:
        start, end = passage(TRANSCRIPT, words)
        expected = workspace.expect(
            interview, rita, everyone, seen=EVERYTHING, ranges=[(start, end)], code_ids=[code.pk]
        )
        since = CodingEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if who == sam:  # a change the apply below does not expect
            make_coding(interview, code, sam, *passage(TRANSCRIPT, "café"))
        outcome = actions.apply_code(
            interview,
            rita,
            code_id=code.pk,
            new_code="",
            start=start,
            end=end,
            then=[workspace.events_query(interview, since), *expected.statements],
        )
        expected.rows = outcome.then_rows[1:]
        arguments = (interview, since, rita, everyone)
        events = outcome.then_rows[0]
        along = workspace.changes_since(
            *arguments, seen=EVERYTHING, events=events, expected=expected
        )
        after = workspace.changes_since(*arguments, seen=EVERYTHING, events=events)
        assert along.paragraphs == after.paragraphs and len(after.paragraphs) == (
            1 if who == rita else 2
        )
        assert along.since == after.since
        counts = {count.pk: count for count in after.counts}
        assert {count.pk: count for count in along.counts} == counts
