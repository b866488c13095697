"""The review screens: the queue and its decisions, bulk approval, "to revise", a coding's history."""

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from coding.models import Coding, Memo, ReviewEvent
from interviews.models import Membership
from review import workflow
from tests.factories import make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}
HTMX_EN = {**HTMX, **EN}
Status = Coding.Status


def member(user, project):
    return Membership.objects.select_related("user").get(user=user, project=project)


def card_ids(html: str) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'<li class="card review-card [a-z_]+" id="review-(\d+)"', html)
    ]


def queue(project):
    return f"/projects/{project.pk}/review/"


def decide(project, coding):
    return f"/projects/{project.pk}/review/{coding.pk}/"


# The queue


def test_the_queue_lists_pending_excerpts_oldest_first(client, project, interview, code, rita, sam):
    first = make_coding(interview, code, rita, 30, 40)
    second = make_coding(interview, code, rita, 0, 14)
    approved = make_coding(interview, code, rita, 50, 60)
    workflow.approve(approved, member(sam, project))
    client.force_login(sam)
    response = client.get(queue(project))
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert card_ids(page) == [first.pk, second.pk]
    assert "Intervieweuse" in page and interview.title in page
    assert f"/interviews/{interview.pk}/?at=0-14" in page


@pytest.mark.parametrize(
    ("asked", "shown"), [("", 0), ("2", 1), ("99", 1), ("abc", 0), ("²", 0), ("9" * 30, 1)]
)
def test_the_queue_pages_through_every_pending_excerpt_once(
    client, project, interview, code, rita, sam, asked, shown
):
    """25 cards a page, oldest first: the page asked for, the last one past the end, the first
    for a page number that is none (the count and the page's ids are read together)."""
    codings = [make_coding(interview, code, rita, n, n + 5) for n in range(30)]
    client.force_login(sam)
    address = queue(project) + (f"?page={asked}" if asked else "")
    page = client.get(address, headers=EN).content.decode()
    pages = [[c.pk for c in codings[:25]], [c.pk for c in codings[25:]]]
    assert card_ids(page) == pages[shown]
    assert '<p class="review-count"><strong>30 excerpts</strong>' in page
    assert f"Page {shown + 1} of 2" in page
    assert page_link(page, ("next", "prev")[shown]) == {
        "status": ["pending"],
        "page": [str(2 - shown)],
    }


def test_the_queues_page_links_keep_its_filters(client, project, interview, code, rita, sam):
    for n in range(30):
        make_coding(interview, code, rita, n, n + 5)
    client.force_login(sam)
    page = client.get(queue(project), {"code": code.pk, "page": 2}).content.decode()
    assert page_link(page, "prev") == {"code": [str(code.pk)], "status": ["pending"], "page": ["1"]}


def page_link(page: str, rel: str) -> dict:
    """The parameters of the page's link to its previous or next page."""
    (href,) = re.findall(rf'<a href="([^"]*)" rel="{rel}"', page)
    return parse_qs(urlsplit(html.unescape(href)).query)


def test_a_card_escapes_what_members_typed_and_speaks_the_readers_language(
    client, project, interview, rita, sam
):
    """The cards are written in Python (review/cards.py): nothing typed becomes markup, and the
    sentences are the translated ones the templates used."""
    interview.title = "<b>Entretien</b>"
    interview.save(update_fields=["title"])
    code = make_code(project, "<i>Banc</i>")
    coding = make_coding(interview, code, rita, 0, 14)
    ReviewEvent.objects.create(coding=coding, reviewer=sam, status="pending", comment="a\n<b>")
    Memo.objects.create(project=project, coding=coding, author=rita, body="Note")
    client.force_login(sam)
    page = client.get(queue(project)).content.decode()  # French, the default
    card = page[page.index(f'id="review-{coding.pk}"') :]
    card = card[: card.index("</div>\n</li>")]
    assert "<b>" not in card and "<i>" not in card
    assert "&lt;b&gt;Entretien&lt;/b&gt;" in card and "&lt;i&gt;Banc&lt;/i&gt;" in card
    assert '<div class="review-comment">a<br>&lt;b&gt;</div>' in card
    assert "Codé par rita" in card and "1 mémo" in card
    assert card.count('name="csrfmiddlewaretoken"') == 2  # approve, send back
    assert 'aria-label="Sélectionner' in card


def test_a_card_dates_its_coding_and_each_decision_in_the_sites_time_zone(
    client, project, coding, sam
):
    """A card's moments, as the `date` filter wrote them: ISO 8601 and the language's short date
    and time, in the site's time zone (Montreal), whatever the hour in UTC."""
    coded = datetime.datetime(2026, 3, 1, 2, 30, tzinfo=datetime.UTC)  # 28 February, 21:30 (EST)
    Coding.objects.filter(pk=coding.pk).update(created_at=coded)
    event = ReviewEvent.objects.create(coding=coding, reviewer=sam, status="pending", comment="")
    decided = datetime.datetime(2026, 7, 1, 3, 5, tzinfo=datetime.UTC)  # 30 June, 23:05 (EDT)
    ReviewEvent.objects.filter(pk=event.pk).update(created_at=decided)
    client.force_login(sam)
    page = client.get(queue(project)).content.decode()  # French, the default
    card = page[page.index(f'id="review-{coding.pk}"') :]
    assert card.count('<time datetime="2026-02-28T21:30:00-05:00">28/02/2026 21:30</time>') == 2
    assert '<time datetime="2026-06-30T23:05:00-04:00">30/06/2026 23:05</time>' in card


def test_the_queue_for_htmx_is_the_results_fragment(client, project, coding, sam):
    client.force_login(sam)
    response = client.get(queue(project), headers=HTMX)
    page = response.content.decode()
    assert "<html" not in page and 'id="review-results"' in page
    assert card_ids(page) == [coding.pk]
    assert "HX-Request" in response["Vary"]


def test_a_researcher_gets_403_on_the_review_screens(client, project, coding, rita):
    client.force_login(rita)
    assert client.get(queue(project)).status_code == 403
    response = client.post(decide(project, coding), {"decision": "approve"})
    assert response.status_code == 403
    assert (
        client.post(f"/projects/{project.pk}/review/bulk/", {"coding": coding.pk}).status_code
        == 403
    )
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING


def test_the_queue_takes_the_excerpt_filters(client, project, interview, code, rita, sam):
    other_code = make_code(project, "Suggestion légitime")
    wanted = make_coding(interview, code, rita, 0, 14)
    make_coding(interview, other_code, rita, 20, 30)
    client.force_login(sam)
    page = client.get(queue(project), {"code": code.pk}).content.decode()
    assert card_ids(page) == [wanted.pk]


def test_the_queue_shows_another_state_when_asked(client, project, interview, code, rita, sam):
    pending = make_coding(interview, code, rita, 0, 14)
    sent_back = make_coding(interview, code, rita, 20, 30)
    workflow.send_back(sent_back, member(sam, project), "Revoir")
    client.force_login(sam)
    assert card_ids(client.get(queue(project), {"status": "needs_change"}).content.decode()) == [
        sent_back.pk
    ]
    assert card_ids(client.get(queue(project)).content.decode()) == [pending.pk]


@pytest.mark.parametrize(
    "params", [{"code": "abc"}, {"status": "maybe"}, {"from": "2024-13-45"}, {"coder": "x"}]
)
def test_malformed_filters_say_what_is_wrong_and_list_nothing(client, project, coding, sam, params):
    client.force_login(sam)
    response = client.get(queue(project), params, headers=EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="errorlist" role="alert"' in page and card_ids(page) == []


def test_another_projects_code_in_the_filters_is_unknown(
    client, project, other_project, coding, sam
):
    foreign = make_code(other_project, "Ailleurs")
    client.force_login(sam)
    page = client.get(queue(project), {"code": foreign.pk}, headers=EN).content.decode()
    assert f"Unknown code {foreign.pk}" in page and card_ids(page) == []


def test_a_reviewers_own_codings_are_listed_without_decisions(
    client, project, interview, code, sam
):
    own = make_coding(interview, code, sam, 0, 14)
    client.force_login(sam)
    page = client.get(queue(project), headers=EN).content.decode()
    assert card_ids(page) == [own.pk]
    assert "Your own coding" in page
    assert decide(project, own) not in page and 'form="review-bulk"' not in page


def test_the_queue_query_count_does_not_grow_with_its_rows(
    client, project, interview, code, rita, sam, django_assert_max_num_queries
):
    def add(count):
        for i in range(count):
            coding = make_coding(interview, code, rita, i * 3, i * 3 + 2)
            workflow.send_back(coding, member(sam, project), "Revoir")
            workflow.resubmit(coding, member(rita, project), "Voilà")
            Memo.objects.create(project=project, coding=coding, body="Note", author=rita)

    add(2)
    client.force_login(sam)
    with django_assert_max_num_queries(13) as few:  # one reads the transcript, not yet kept
        assert len(card_ids(client.get(queue(project)).content.decode())) == 2
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(card_ids(client.get(queue(project)).content.decode())) == 12


# Decisions


def test_a_supervisor_approves_an_excerpt_and_gets_its_card_back(client, project, coding, sam):
    client.force_login(sam)
    response = client.post(decide(project, coding), {"decision": "approve"}, headers=HTMX_EN)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert card_ids(page) == [coding.pk] and "Approved." in page
    assert 'class="card review-card approved"' in page and "autofocus" in page
    assert Coding.objects.get(pk=coding.pk).status == Status.APPROVED
    assert ReviewEvent.objects.get().reviewer == sam


def test_a_supervisor_sends_an_excerpt_back_with_a_comment(client, project, coding, sam):
    client.force_login(sam)
    response = client.post(
        decide(project, coding),
        {"decision": "send_back", "comment": "Garder seulement la question"},
        headers=HTMX_EN,
    )
    page = response.content.decode()
    assert "Sent back to rita" in page and "Garder seulement la question" in page
    assert Coding.objects.get(pk=coding.pk).status == Status.NEEDS_CHANGE


def test_sending_back_without_a_comment_asks_for_one(client, project, coding, sam):
    client.force_login(sam)
    response = client.post(
        decide(project, coding), {"decision": "send_back", "comment": "  "}, headers=HTMX_EN
    )
    assert response.status_code == 200
    assert "a comment is required" in response.content.decode()
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING


def test_an_unknown_decision_gets_a_clear_message(client, project, coding, sam):
    client.force_login(sam)
    response = client.post(decide(project, coding), {"decision": "delete"}, headers=HTMX_EN)
    assert response.status_code == 200
    assert "Unknown decision" in response.content.decode()
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING


def test_approving_ones_own_coding_is_refused(client, project, interview, code, sam):
    own = make_coding(interview, code, sam, 0, 14)
    client.force_login(sam)
    response = client.post(decide(project, own), {"decision": "approve"}, headers=HTMX_EN)
    assert response.status_code == 200 and "your own coding" in response.content.decode()
    assert client.post(decide(project, own), {"decision": "approve"}).status_code == 403
    assert Coding.objects.get(pk=own.pk).status == Status.PENDING


def test_a_decision_already_taken_by_someone_else_is_named(client, project, coding, sam, ada):
    workflow.approve(coding, member(ada, project))
    client.force_login(sam)
    response = client.post(decide(project, coding), {"decision": "approve"}, headers=HTMX_EN)
    assert response.status_code == 200
    assert "already approved by ada" in response.content.decode()
    assert ReviewEvent.objects.count() == 1


def test_a_decision_on_another_projects_coding_is_404(client, project, other_project, rita, sam):
    foreign_interview = make_interview(other_project, title="Ailleurs")
    foreign = make_coding(foreign_interview, make_code(other_project), rita, 0, 5)
    client.force_login(sam)
    assert client.post(decide(project, foreign), {"decision": "approve"}).status_code == 404
    assert (
        client.post(f"/projects/{project.pk}/review/999999/", {"decision": "approve"}).status_code
        == 404
    )
    assert Coding.objects.get(pk=foreign.pk).status == Status.PENDING


def test_deciding_takes_a_post(client, project, coding, sam):
    client.force_login(sam)
    assert client.get(decide(project, coding)).status_code == 405


def test_without_htmx_a_decision_returns_to_the_queue_page_it_came_from(
    client, project, coding, sam
):
    client.force_login(sam)
    back = f"{queue(project)}?code={coding.code_id}"
    response = client.post(decide(project, coding), {"decision": "approve", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    response = client.post(
        decide(project, coding),
        {"decision": "approve", "next": "https://evil.example/"},
        headers=EN,  # the message is translated when it is stored
    )
    assert response["Location"] == queue(project)
    page = client.get(queue(project), headers=EN).content.decode()
    assert "already approved by sam" in page


# Bulk approval


def test_approve_selected_approves_them_and_reports_what_it_skipped(
    client, project, interview, code, rita, sam
):
    codings = [make_coding(interview, code, rita, s, s + 5) for s in (0, 10, 20)]
    own = make_coding(interview, code, sam, 40, 45)
    client.force_login(sam)
    response = client.post(
        f"/projects/{project.pk}/review/bulk/",
        {"coding": [codings[0].pk, codings[2].pk, own.pk, "abc"]},
        headers=HTMX_EN,
    )
    page = response.content.decode()
    assert "2 excerpts approved." in page and "your own coding (1)" in page
    assert 'id="review-bulk-status" role="status" hx-swap-oob="true"' in page
    assert sorted(card_ids(page)) == sorted([codings[0].pk, codings[2].pk, own.pk])
    assert page.count('hx-swap-oob="true"') == 4
    statuses = dict(Coding.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in codings] == ["approved", "pending", "approved"]
    assert statuses[own.pk] == "pending"


def test_approve_selected_with_nothing_selected_says_so(client, project, coding, sam):
    client.force_login(sam)
    response = client.post(f"/projects/{project.pk}/review/bulk/", {}, headers=HTMX_EN)
    assert "Select the excerpts to approve first." in response.content.decode()
    assert not ReviewEvent.objects.exists()


def test_approve_selected_ignores_another_projects_codings(
    client, project, other_project, rita, sam
):
    foreign_interview = make_interview(other_project, title="Ailleurs")
    foreign = make_coding(foreign_interview, make_code(other_project), rita, 0, 5)
    client.force_login(sam)
    response = client.post(
        f"/projects/{project.pk}/review/bulk/", {"coding": foreign.pk}, headers=HTMX_EN
    )
    page = response.content.decode()
    assert "0 excerpts approved." in page and "Ailleurs" not in page and card_ids(page) == []
    assert Coding.objects.get(pk=foreign.pk).status == Status.PENDING


# History


def test_the_history_shows_who_decided_what_with_comments(client, project, coding, rita, sam):
    workflow.send_back(coding, member(sam, project), "Trop court")
    workflow.resubmit(coding, member(rita, project), "Je le garde ainsi")
    client.force_login(rita)  # any member may read it
    url = f"/projects/{project.pk}/review/{coding.pk}/history/"
    response = client.get(url, headers=HTMX_EN)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.index("Coded by rita") < page.index("Sent back by sam") < page.index("Trop court")
    assert page.index("Trop court") < page.index("Back to review by rita")
    assert "Je le garde ainsi" in page
    assert "<html" in client.get(url).content.decode()


def test_the_history_of_another_projects_coding_is_404(client, project, other_project, rita, sam):
    foreign_interview = make_interview(other_project, title="Ailleurs")
    foreign = make_coding(foreign_interview, make_code(other_project), rita, 0, 5)
    client.force_login(sam)
    assert client.get(f"/projects/{project.pk}/review/{foreign.pk}/history/").status_code == 404


# To revise


def revise(project):
    return f"/projects/{project.pk}/revise/"


def test_the_researcher_sees_what_came_back_with_the_comment(
    client, project, interview, code, rita, sam
):
    sent_back = make_coding(interview, code, rita, 0, 14)
    workflow.send_back(sent_back, member(sam, project), "Le passage commence trop tôt")
    make_coding(interview, code, rita, 20, 30)  # pending: not to revise
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    not_hers = make_coding(interview, code, remi, 40, 50)
    workflow.send_back(not_hers, member(sam, project), "Pour Rémi")
    client.force_login(rita)
    page = client.get(revise(project), headers=EN).content.decode()
    assert re.findall(r'id="revise-(\d+)"', page) == [str(sent_back.pk)]
    assert "Le passage commence trop tôt" in page and "Pour Rémi" not in page
    assert f"/interviews/{interview.pk}/?at=0-14" in page
    assert '<span class="count" id="revise-count">1</span>' in page


def test_the_researcher_resubmits_with_an_answer_and_it_is_back_in_the_queue(
    client, project, coding, rita, sam
):
    workflow.send_back(coding, member(sam, project), "Trop court")
    client.force_login(rita)
    response = client.post(
        f"{revise(project)}{coding.pk}/", {"answer": "Le contexte suffit"}, headers=HTMX_EN
    )
    page = response.content.decode()
    assert "Back in the review queue." in page and "Le contexte suffit" in page
    assert 'id="revise-count" hx-swap-oob="true">0<' in page
    assert '<form class="resubmit"' not in page
    assert Coding.objects.get(pk=coding.pk).status == Status.PENDING
    client.force_login(sam)
    assert card_ids(client.get(queue(project)).content.decode()) == [coding.pk]


def test_resubmitting_what_was_not_sent_back_gets_a_message(client, project, coding, rita):
    client.force_login(rita)
    response = client.post(f"{revise(project)}{coding.pk}/", {}, headers=HTMX_EN)
    assert response.status_code == 200 and "back in review" in response.content.decode()


def test_another_researcher_cannot_resubmit_a_coding(client, project, coding, sam):
    workflow.send_back(coding, member(sam, project), "Trop court")
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    client.force_login(remi)
    response = client.post(f"{revise(project)}{coding.pk}/", {}, headers=HTMX_EN)
    assert "Only the coder" in response.content.decode()
    assert client.post(f"{revise(project)}{coding.pk}/", {}).status_code == 403
    assert Coding.objects.get(pk=coding.pk).status == Status.NEEDS_CHANGE


def test_the_badge_counts_the_users_codings_to_revise(client, project, coding, rita, sam):
    client.force_login(rita)
    assert client.get(f"{revise(project)}badge/").content.decode().strip() == ""
    workflow.send_back(coding, member(sam, project), "Trop court")
    badge = client.get(f"{revise(project)}badge/").content.decode()
    assert '<span class="badge revise-badge"' in badge and ">1</span>" in badge


def test_the_queue_links_to_the_excerpts_page_with_the_same_filters(
    client, project, coding, code, sam
):
    client.force_login(sam)
    page = client.get(queue(project), {"code": code.pk}).content.decode()
    assert f'href="/projects/{project.pk}/excerpts/?code={code.pk}&amp;status=pending"' in page


@pytest.mark.parametrize("path", ["review/bulk/", "revise/{coding}/"])
def test_bulk_approval_and_resubmitting_take_a_post(client, project, coding, sam, path):
    client.force_login(sam)
    url = f"/projects/{project.pk}/" + path.format(coding=coding.pk)
    assert client.get(url).status_code == 405


def test_the_queue_menus_list_interviews_and_coders_escaped_with_the_chosen_ones_selected(
    client, project, interview, coding, sam
):
    other = make_interview(project, "Bonjour.", title='<b>"Deux"</b>')
    parent = make_code(project, "<i>Lieux</i>")
    child = make_code(project, "Banc", parent=parent)
    client.force_login(sam)
    chosen = f"?interview={other.pk}&code={child.pk}"
    page = client.get(queue(project) + chosen).content.decode()
    title = "&lt;b&gt;&quot;Deux&quot;&lt;/b&gt;"
    assert f'<option value="{other.pk}" selected title="{title}">{title}</option>' in page
    assert f'<option value="{sam.pk}">sam</option>' in page
    assert f'<option value="{child.pk}" selected>&lt;i&gt;Lieux&lt;/i&gt; › Banc</option>' in page
    assert f'<option value="{parent.pk}">&lt;i&gt;Lieux&lt;/i&gt;</option>' in page


def _interview_list(client, url: str) -> list[tuple[str, str, str]]:
    """The queue's interview list as its htmx request loads it: (id, " selected" or "", title)."""
    headers = {**HTMX, "HX-Target": "interview-select"}
    options = client.get(url, headers=headers).content.decode()
    return re.findall(r'<option value="(\d+)"( selected)? title="[^"]*">([^<]*)</option>', options)


def test_the_queue_menus_offer_the_projects_coders_and_interviews(
    client, project, other_project, interview, sam, rita, olga
):
    rita.first_name = "Rita"
    rita.save()
    second = make_interview(project, text="Autre : texte.", title="A <premier>")
    make_interview(other_project, title="Ailleurs")
    client.force_login(sam)
    url = queue(project) + f"?interview={second.pk}"
    page = client.get(url, headers=EN).content.decode()
    coders = page.split('<select name="coder"')[1].split("</select>")[0]
    interviews = page.split('<select name="interview"')[1].split("</select>")[0]
    # Members by username, named in full when they have a name; never another project's.
    assert re.findall(r'<option value="(\d+)">([^<]*)</option>', coders) == [
        (str(rita.pk), "Rita"),
        (str(sam.pk), "sam"),
    ]
    # The page holds the chosen interview alone, and says how many there are; opening the list
    # loads them all, by title, the chosen one selected; never another project's.
    assert re.findall(r'<option value="(\d+)"', interviews) == [str(second.pk)]
    assert "Interviews (2)" in page
    assert _interview_list(client, url) == [
        (str(second.pk), " selected", "A &lt;premier&gt;"),
        (str(interview.pk), "", "Entretien 1"),
    ]


def test_the_queues_interview_list_is_a_supervisors_like_the_page(
    client, project, other_project, interview, rita, sam
):
    """The list's request is the page's: a researcher gets the page's 403, a non-member its 404."""
    headers = {**HTMX, "HX-Target": "interview-select"}
    client.force_login(rita)  # a researcher of `project`
    assert client.get(queue(project), headers=headers).status_code == 403
    client.force_login(sam)
    assert client.get(queue(other_project), headers=headers).status_code == 404


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "results-fragment"])
def test_the_review_queue_reads_in_three_round_trips(
    client, project, interview, coding, sam, fragment, django_assert_max_num_queries
):
    """The session with its user; the membership, codebook and (whole page) the form's menus in
    one batch (coding.visibility.project_for); the page's ids, the cards with their histories and
    their count in another (plain_sql.paged)."""
    client.force_login(sam)
    headers = HTMX if fragment else {}
    client.get(queue(project), headers=headers)  # this process then knows the session's user
    with django_assert_max_num_queries(3):
        page = client.get(queue(project), headers=headers).content.decode()
    assert f'id="review-{coding.pk}"' in page
    if not fragment:
        assert f'<option value="{coding.code_id}">' in page
        assert 'id="interview-select"' in page  # its options come when it is opened


def test_the_cards_speak_each_requests_language_one_after_the_other(client, project, coding, sam):
    """review/cards.py translates what every card repeats once per language, not once per process:
    a page in French, then one in English, then French again."""
    client.force_login(sam)
    french = client.get(queue(project), headers={"Accept-Language": "fr"}).content.decode()
    english = client.get(queue(project), headers=EN).content.decode()
    again = client.get(queue(project), headers={"Accept-Language": "fr"}).content.decode()
    assert '<span class="review-state pending">En attente de révision</span>' in french
    assert '<button type="submit" class="primary">Approuver</button>' in french
    assert '<span class="review-state pending">Pending review</span>' in english
    assert '<button type="submit" class="primary">Approve</button>' in english
    assert "Pending review" not in again and "En attente de révision" in again
