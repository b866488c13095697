"""The excerpts page: filters in the address, counts, pages, each excerpt's facts, bad input."""

import re
from datetime import UTC, datetime

import pytest

from coding.models import Coding, Memo, ReviewEvent
from interviews.models import Membership
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def code(project):
    return make_code(project, "Banc")


@pytest.fixture
def coding(interview, code, rita):
    start = interview.text.index("sur le même banc")
    return make_coding(interview, code, rita, start, start + len("sur le même banc"))


def url(project, query=""):
    return f"/projects/{project.pk}/excerpts/" + (f"?{query}" if query else "")


def excerpt_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="excerpt-(\d+)"', page)]


def test_a_researcher_reads_the_excerpts_of_a_code(client, project, interview, code, coding, rita):
    client.force_login(rita)
    response = client.get(url(project, f"code={code.pk}"), headers=EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert excerpt_ids(page) == [coding.pk]
    assert "<mark>sur le même banc</mark>" in page
    assert "1 excerpt" in page and "Entretien 1" in page and "Martine" in page
    assert (
        f"/projects/{project.pk}/interviews/{interview.pk}/?at={coding.start}-{coding.end}" in page
    )
    assert "Pending review" in page


def test_each_excerpt_shows_speaker_coder_review_comment_and_memos(
    client, project, code, coding, rita, sam
):
    coding.status = Coding.Status.NEEDS_CHANGE
    coding.save(update_fields=["status"])
    ReviewEvent.objects.create(coding=coding, reviewer=sam, status="approved", comment="Bien")
    ReviewEvent.objects.create(
        coding=coding, reviewer=sam, status="needs_change", comment="Trop court"
    )
    Memo.objects.create(project=project, coding=coding, author=rita, body="Note")
    client.force_login(sam)
    page = client.get(url(project, f"code={code.pk}"), headers=EN).content.decode()
    assert "said by Martine" in page
    assert "rita" in page and "Needs change" in page
    assert "Trop court" in page and "Bien" not in page  # the last comment only
    assert "1 memo" in page


def test_every_word_of_an_excerpt_row_is_escaped_and_dated(client, project, interview, rita):
    """The rows are written in Python (excerpts/rows.py): nothing a member typed becomes markup."""
    interview.title = "<b>Entretien</b>"
    interview.participant = 'Martine "M" & co'
    interview.save(update_fields=["title", "participant"])
    code = make_code(project, "<i>Banc</i>")
    start = interview.text.index("sur le même banc")
    coding = make_coding(interview, code, rita, start, start + 5)
    coding.created_at = datetime(2024, 3, 10, 2, 30, tzinfo=UTC)
    coding.save(update_fields=["created_at"])
    ReviewEvent.objects.create(coding=coding, reviewer=rita, status="approved", comment="<script>")
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}"), headers=EN).content.decode()
    row = page[page.index(f'id="excerpt-{coding.pk}"') :]
    row = row[: row.index("</li>")]
    assert "&lt;b&gt;Entretien&lt;/b&gt;" in row and "<b>" not in row
    assert "Martine &quot;M&quot; &amp; co" in row
    assert "&lt;i&gt;Banc&lt;/i&gt;" in row and "<i>" not in row
    assert '<q class="review-comment">&lt;script&gt;</q>' in row
    # In the site's time zone (Montreal), as the template's date filter showed it.
    assert '<time datetime="2024-03-09T21:30:00-05:00">' in row


def test_the_code_path_and_its_colour_mark_the_excerpt(client, project, interview, rita):
    parent = make_code(project, "Lien")
    child = make_code(project, "Premier contact", parent=parent)
    make_coding(interview, child, rita, 16, 30)
    client.force_login(rita)
    page = client.get(url(project, f"code={parent.pk}&subcodes=1"), headers=EN).content.decode()
    assert "Lien › Premier contact" in page
    assert f"c-{child.pk}" in page  # its colour: a class of the code stylesheet


def test_a_long_context_can_be_expanded(client, project, rita):
    words = " ".join(f"mot{n:03d}" for n in range(300))
    item = make_interview(project, words, title="Long")
    code = make_code(project, "Milieu")
    start = words.index("mot150")
    make_coding(item, code, rita, start, start + 6)
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}"), headers=EN).content.decode()
    assert '<details class="excerpt-more">' in page
    assert " </span>mot140 mot141" in page  # the ten nearest words, outside the folded part
    assert re.search(r'<span class="far">[^<]*mot125[^<]*</span>', page)  # farther: unfolded


def test_the_form_shows_the_current_filters(client, project, code, coding, rita):
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}&status=pending&from=2024-01-02")).content
    page = page.decode()
    assert f'name="code" value="{code.pk}" checked> Banc</label>' in page
    assert 'value="pending" checked' in page
    assert 'name="from" value="2024-01-02"' in page


def test_the_interview_list_holds_the_chosen_ones_and_loads_the_rest_when_opened(
    client, project, interview, code, coding, rita
):
    second = make_interview(project, TRANSCRIPT.replace("café", "thé"), title="Entretien 2")
    client.force_login(rita)
    page = client.get(url(project, f"interview={second.pk}")).content.decode()
    assert f'<option value="{second.pk}" selected title="Entretien 2">' in page
    # (Its id alone could match another list's option: ids of users and interviews can coincide.)
    assert f'<option value="{interview.pk}" title="Entretien 1">' not in page
    options = client.get(
        url(project, f"interview={second.pk}"),
        headers={**HTMX, "HX-Target": "interview-select"},
    ).content.decode()
    assert options == (
        f'<option value="{interview.pk}" title="Entretien 1">Entretien 1</option>'
        f'<option value="{second.pk}" selected title="Entretien 2">Entretien 2</option>'
    )


def test_htmx_gets_the_results_alone(client, project, code, coding, rita):
    client.force_login(rita)
    response = client.get(url(project, f"code={code.pk}"), headers=HTMX)
    page = response.content.decode()
    assert "<html" not in page and 'id="excerpt-results"' in page
    assert excerpt_ids(page) == [coding.pk]
    assert "HX-Request" in response["Vary"]


def test_htmx_pushes_the_filters_address_without_empty_fields(client, project, code, coding, rita):
    client.force_login(rita)
    query = f"code={code.pk}&match=any&speaker=&attribute=&value=&status=pending&from=&to="
    response = client.get(url(project, query), headers=HTMX)
    assert response["HX-Push-Url"] == url(project, f"code={code.pk}&status=pending")


def test_active_filters_show_as_chips_that_remove_them(client, project, code, coding, rita):
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}&coder={rita.pk}"), headers=EN).content
    page = page.decode()
    assert f'href="/projects/{project.pk}/excerpts/?coder={rita.pk}"' in page
    assert f'href="/projects/{project.pk}/excerpts/?code={code.pk}"' in page


# Pages and counts


@pytest.fixture
def many(project, interview, code, rita):
    """55 one-word codings of the same code, in text order."""
    starts = [m.start() for m in re.finditer(r"\S+", interview.text)][:55]
    return [make_coding(interview, code, rita, s, s + 1) for s in starts]


def test_excerpts_come_fifty_to_a_page(client, project, code, many, rita):
    client.force_login(rita)
    first = client.get(url(project, f"code={code.pk}"), headers=EN).content.decode()
    second = client.get(url(project, f"code={code.pk}&page=2"), headers=EN).content.decode()
    assert excerpt_ids(first) == [c.pk for c in many[:50]]
    assert excerpt_ids(second) == [c.pk for c in many[50:]]
    assert "55 excerpts" in first and "Page 1 of 2" in first
    assert f"?code={code.pk}&amp;page=2" in first and 'rel="next"' in first
    assert f'href="/projects/{project.pk}/excerpts/?code={code.pk}"' in second  # page 1


@pytest.mark.parametrize("number", ["abc", "0", "-2", "١"])
def test_a_bad_page_number_gives_the_first_page(client, project, code, many, rita, number):
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}&page={number}")).content.decode()
    assert excerpt_ids(page) == [c.pk for c in many[:50]]


def test_a_page_past_the_end_gives_the_last_one(client, project, code, many, rita):
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}&page=40")).content.decode()
    assert excerpt_ids(page) == [c.pk for c in many[50:]]


def test_the_count_stops_at_its_limit(client, project, code, many, rita, monkeypatch):
    monkeypatch.setattr("excerpts.views.COUNT_LIMIT", 52)
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}"), headers=EN).content.decode()
    assert "More than 52 excerpts" in page and "Page 1</span>" in page


def test_queries_do_not_grow_with_the_excerpts_shown(
    client, project, interview, code, rita, sam, django_assert_max_num_queries
):
    make_coding(interview, code, rita, 0, 5)
    client.force_login(rita)
    with django_assert_max_num_queries(20) as few:
        client.get(url(project, f"code={code.pk}"))
    second = make_interview(project, TRANSCRIPT.replace("café", "thé"), title="Entretien 2")
    other = make_code(project, "Autre")
    for n in range(30):
        coder = rita if n % 2 else sam
        make_coding(second if n % 3 else interview, other if n % 5 else code, coder, n, n + 3)
        Memo.objects.create(project=project, coding=Coding.objects.last(), author=rita, body="M")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url(project, "")).content.decode()
    assert len(excerpt_ids(page)) == 31


# Empty and error states


def test_no_match_says_so(client, project, code, coding, rita):
    client.force_login(rita)
    page = client.get(url(project, f"code={code.pk}&status=approved"), headers=EN).content
    assert "No excerpt matches these filters." in page.decode()


def test_a_project_without_codings_says_nothing_is_coded_yet(client, project, rita):
    client.force_login(rita)
    page = client.get(url(project), headers=EN).content.decode()
    assert "Nothing has been coded in this project yet" in page


@pytest.mark.parametrize(
    "query",
    [
        "code=abc",
        "code=424242",
        "interview=x",
        "coder=-1",
        "from=2024-99-01",
        "status=?",
        "attribute=1&value=",
        "page=2&code=1e200000",  # (a NUL is refused before any view: tests/test_hostile_input.py)
        "match=both",
    ],
)
def test_bad_filters_answer_200_with_a_message_and_no_excerpts(
    client, project, coding, rita, query
):
    client.force_login(rita)
    response = client.get(url(project, query), headers=EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert "These filters cannot be applied:" in page and 'role="alert"' in page
    assert excerpt_ids(page) == []


def test_another_projects_ids_show_nothing_of_it(
    client, project, coding, rita, other_project, olga
):
    foreign = make_interview(other_project, TRANSCRIPT, title="Secret")
    foreign_code = make_code(other_project, "Confidentiel")
    secret = make_coding(foreign, foreign_code, olga, 0, 14)
    client.force_login(rita)
    for query in [f"code={foreign_code.pk}", f"interview={foreign.pk}", f"coder={olga.pk}"]:
        page = client.get(url(project, query), headers=EN).content.decode()
        assert "Unknown" in page
        assert "Secret" not in page and "Confidentiel" not in page
        assert secret.pk not in excerpt_ids(page)


def test_an_outsider_gets_404(client, project, coding, olga):
    client.force_login(olga)
    assert client.get(url(project)).status_code == 404
    assert client.get(url(project), headers=HTMX).status_code == 404


def test_a_member_of_any_role_may_read_excerpts(client, project, coding, sam, ada):
    viewer = make_user("vera", project, Membership.Role.RESEARCHER)
    for user in (viewer, sam, ada):
        client.force_login(user)
        assert excerpt_ids(client.get(url(project)).content.decode()) == [coding.pk]


def test_post_is_not_allowed(client, project, rita):
    client.force_login(rita)
    assert client.post(url(project)).status_code == 405


def test_the_filter_form_offers_the_members_attributes_and_interviews(
    client, project, other_project, interview, rita, sam, olga
):
    from coding.models import ConsensusCoder
    from interviews.models import Attribute, AttributeValue

    rita.first_name, rita.last_name = "Rita", "Z"
    rita.save()
    consensus = ConsensusCoder.user_for(project)
    make_interview(project, text="Autre : texte.", title="Entretien 2")
    make_interview(other_project, title="Ailleurs")
    role = Attribute.objects.create(project=project, name="Rôle", position=1)
    AttributeValue.objects.create(interview=interview, attribute=role, text="pair-aidant")
    level = Attribute.objects.create(
        project=project, name="Niveau", position=0, choices=["bas", "haut"]
    )
    Attribute.objects.create(project=other_project, name="Secret")
    client.force_login(sam)
    page = client.get(url(project), headers=EN).content.decode()
    coders = page.split('id="coder-picks"')[1].split("</ul>")[0]
    offered = re.findall(r'name="coder" value="(\d+)"> ([^<]*)</label>', coders)
    # The members and the consensus identity, by full name (else username); never olga.
    assert offered == [
        (str(sam.pk), "sam"),  # no first name: first
        (str(consensus.pk), consensus.get_full_name()),
        (str(rita.pk), "Rita Z"),
    ]
    assert "olga" not in coders
    assert "Interviews (2)" in page
    values = page.split('id="attribute-values"')[1].split("</datalist>")[0]
    # The attributes in their order; the values interviews have, else the attribute's choices.
    assert re.findall(r'<option value="([^"]*)">([^<]*)</option>', values) == [
        ("bas", "Niveau"),
        ("haut", "Niveau"),
        ("pair-aidant", "Rôle"),
    ]
    assert f'<option value="{level.pk}">Niveau</option>' in page and "Secret" not in page


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "results-fragment"])
def test_the_excerpts_page_reads_in_three_round_trips(
    client, project, interview, code, coding, rita, fragment, django_assert_max_num_queries
):
    """The session with its user; the membership, blind rounds, codebook and (whole page) the
    form's lists in one batch (coding.visibility.project_for); the page's ids, their rows and
    their count in another (plain_sql.paged). Each answer in its place."""
    from interviews.models import Attribute, AttributeValue

    attribute = Attribute.objects.create(project=project, name="Organisme")
    AttributeValue.objects.create(interview=interview, attribute=attribute, text="Cactus")
    client.force_login(rita)
    headers = {**EN, **(HTMX if fragment else {})}
    client.get(url(project), headers=headers)  # this process then knows the session's user
    with django_assert_max_num_queries(3):
        page = client.get(url(project, f"code={code.pk}"), headers=headers).content.decode()
    assert excerpt_ids(page) == [coding.pk]
    assert "1 excerpt" in page
    if not fragment:
        assert f'name="code" value="{code.pk}" checked> Banc</label>' in page
        assert f'name="coder" value="{rita.pk}">' in page
        assert '<option value="Cactus">Organisme</option>' in page
