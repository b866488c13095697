"""The search page and "code all results" (search/views.py)."""

import re

import pytest

from coding.audit import undo_last
from coding.models import Coding, CodingEvent
from interviews.models import Interview
from tests.factories import make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}


def interview_with(project, text, title="E"):
    return Interview.objects.create(project=project, title=title, text=text)


def search_url(project, query="", **params):
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return f"/projects/{project.pk}/search/?q={query}{extra}"


def code_all_url(project):
    return f"/projects/{project.pk}/search/code-all/"


# The search page


def test_a_first_visit_shows_the_form_and_no_results(client, project, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/search/", headers=EN).content.decode()
    assert 'name="q"' in page
    assert "search-count" not in page and "search-problem" not in page


def test_it_shows_each_hit_under_its_interview_with_its_words_marked(client, project, rita):
    second = interview_with(project, "Une trousse de naloxone.\nDe la NALOXONE encore.", "B")
    first = interview_with(project, "Rien ici.\nLa naloxone sauve.", "A")
    client.force_login(rita)
    page = client.get(search_url(project, "naloxone"), headers=EN).content.decode()
    assert "3 paragraphs found" in page and "in 2 interviews" in page
    assert page.index(">A</a>") < page.index(">B</a>")
    assert page.count("<mark>") == 3 and "<mark>NALOXONE</mark>" in page
    start = second.text.index("NALOXONE")
    link = f"/projects/{project.pk}/interviews/{second.pk}/?at={start}-{start + 8}"
    assert link in page
    assert f"/projects/{project.pk}/interviews/{first.pk}/?at=" in page


def test_a_hit_shows_its_speaker(client, interview, rita):
    client.force_login(rita)
    page = client.get(search_url(interview.project, "semaines")).content.decode()
    assert re.search(r'class="speaker">Martine<', page)


def test_the_form_swaps_the_results_without_the_page(client, project, rita):
    interview_with(project, "La naloxone.")
    client.force_login(rita)
    response = client.get(search_url(project, "naloxone"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<section class="search-results"')
    assert "HX-Request" in response["Vary"]


def test_results_come_a_page_at_a_time(client, project, rita):
    interview_with(project, "\n".join(f"Ligne {n} : un café." for n in range(45)))
    client.force_login(rita)
    page = client.get(search_url(project, "café", page=3), headers=EN).content.decode()
    assert "45 paragraphs found" in page
    assert page.count("<mark>") == 5  # 20 + 20 + 5
    assert "Page 3 of 3" in page and 'rel="prev"' in page and 'rel="next"' not in page
    assert "page=2" in page


def test_a_page_number_out_of_range_shows_a_page_that_exists(client, project, rita):
    interview_with(project, "Un café.")
    client.force_login(rita)
    for page_number in ("99", "abc", "-1"):
        response = client.get(search_url(project, "café", page=page_number))
        assert response.status_code == 200 and response.content.decode().count("<mark>") == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word"),
        ("%22%22", "punctuation alone"),
        ("%3F%21%21", "punctuation alone"),
        ("de+la+et", "too common"),
        ("-police", "not only what to leave out"),
        ("mot+" * 60, "at most 200 characters"),
        # A NUL is refused before any view (tests/test_hostile_input.py).
    ],
)
def test_a_query_that_cannot_be_searched_says_why(client, project, rita, query, message):
    interview_with(project, "La police.")
    client.force_login(rita)
    response = client.get(search_url(project, query), headers=EN)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_nothing_found_says_so(client, project, rita):
    interview_with(project, "La police.")
    client.force_login(rita)
    page = client.get(search_url(project, "naloxone"), headers=EN).content.decode()
    assert "0 paragraphs found" in page and "Nothing found" in page
    assert 'id="code-all"' not in page


def test_another_projects_interviews_never_appear(client, project, other_project, rita):
    make_interview(other_project, text="Martine : La naloxone.\nMartine : Encore.")
    client.force_login(rita)
    page = client.get(search_url(project, "naloxone"), headers=EN).content.decode()
    assert "0 paragraphs found" in page


def test_an_outsider_gets_404(client, project, olga):
    client.force_login(olga)
    assert client.get(search_url(project, "naloxone")).status_code == 404
    assert client.get(code_all_url(project)).status_code == 404


# Code all results


@pytest.fixture
def corpus(project):
    """Two interviews; « naloxone » three times in three paragraphs."""
    return [
        interview_with(project, "La naloxone, toujours.\nPis un café.\nEncore la naloxone.", "A"),
        interview_with(project, "Une trousse de naloxone.", "B"),
    ]


def preview(client, project, code, unit="words", query="naloxone"):
    params = {"q": query, "code": code.pk, "unit": unit}
    return client.get(code_all_url(project), params, headers=HTMX | EN)


def counts(response) -> dict:
    page = response.content.decode()
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def test_a_researcher_sees_the_code_all_panel_with_the_projects_codes(
    client, project, corpus, rita, other_project
):
    code = make_code(project, "Matériel")
    make_code(other_project, "Ailleurs")
    client.force_login(rita)
    page = client.get(search_url(project, "naloxone"), headers=EN).content.decode()
    assert 'id="code-all"' in page
    assert f'<option value="{code.pk}">Matériel</option>' in page and "Ailleurs" not in page


def test_the_preview_counts_new_extended_and_already_coded_passages(
    client, project, corpus, rita, sam
):
    code = make_code(project)
    a, _b = corpus
    make_coding(a, code, rita, 3, 7)  # inside « naloxone »: extended
    start = a.text.index("naloxone", 10)
    make_coding(a, code, rita, start - 3, start + 8)  # covers the second one: already coded
    make_coding(a, code, sam, 0, 20)  # someone else's coding changes nothing for rita
    client.force_login(rita)
    response = preview(client, project, code)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert counts(response) == {"new": 1, "extend": 1, "already": 1}
    assert Coding.objects.filter(coder=rita).count() == 2  # a preview writes nothing


def test_applying_codes_every_hit_as_one_action(client, project, corpus, rita):
    code = make_code(project)
    client.force_login(rita)
    data = {"q": "naloxone", "code": code.pk, "unit": "sentence"}
    response = client.post(code_all_url(project), data, headers=HTMX | EN)
    assert response.status_code == 200
    assert "3 passages coded with “Voisinage courtois”." in response.content.decode()
    codings = Coding.objects.filter(code=code, coder=rita).order_by("interview__title", "start")
    assert [c.text for c in codings] == [
        "La naloxone, toujours.",
        "Encore la naloxone.",
        "Une trousse de naloxone.",
    ]
    groups = set(CodingEvent.objects.filter(coding_id__in=codings).values_list("group", flat=True))
    assert len(groups) == 1


def test_applying_merges_with_the_coders_own_codings(client, project, corpus, rita):
    code = make_code(project)
    a, _b = corpus
    existing = make_coding(a, code, rita, 0, 5)  # « La na »
    client.force_login(rita)
    data = {"q": "naloxone", "code": code.pk, "unit": "words"}
    client.post(code_all_url(project), data, headers=HTMX)
    existing.refresh_from_db()
    assert existing.text == "La naloxone"
    assert Coding.objects.filter(code=code, coder=rita).count() == 3


def test_one_undo_in_any_interview_reverts_the_whole_action(client, project, corpus, rita):
    code = make_code(project)
    a, b = corpus
    kept = make_coding(a, code, rita, 0, 5)
    client.force_login(rita)
    client.post(code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "words"})
    assert Coding.objects.filter(code=code).count() == 3
    response = client.post(f"/projects/{project.pk}/interviews/{b.pk}/codings/undo/", headers=HTMX)
    assert response.status_code == 200
    kept.refresh_from_db()
    assert (kept.start, kept.end) == (0, 5)  # its extension is reverted, not the coding
    assert list(Coding.objects.filter(code=code).values_list("pk", flat=True)) == [kept.pk]


def test_the_undo_button_reverts_the_action(client, project, corpus, rita):
    code = make_code(project)
    client.force_login(rita)
    response = client.post(
        code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "words"}, headers=HTMX
    )
    group = re.search(r'name="group" value="(\d+)"', response.content.decode())[1]
    response = client.post(
        f"/projects/{project.pk}/search/code-all/undo/",
        {"group": group, "q": "naloxone"},
        headers=HTMX | EN,
    )
    assert "Undone: 3 changes reverted." in response.content.decode()
    assert not Coding.objects.filter(code=code).exists()
    again = client.post(
        f"/projects/{project.pk}/search/code-all/undo/", {"group": group}, headers=HTMX | EN
    )
    assert "Nothing to undo here" in again.content.decode()


def test_the_undo_button_leaves_a_later_action_alone(client, project, corpus, rita):
    code = make_code(project)
    a, b = corpus
    client.force_login(rita)
    response = client.post(
        code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "words"}, headers=HTMX
    )
    group = re.search(r'name="group" value="(\d+)"', response.content.decode())[1]
    for interview in (a, b):  # a later action in every interview of the code-all
        client.post(
            f"/projects/{project.pk}/interviews/{interview.pk}/codings/",
            {"start": 0, "end": 2, "code": make_code(project, f"Autre {interview.pk}").pk},
            headers=HTMX,
        )
    response = client.post(
        f"/projects/{project.pk}/search/code-all/undo/", {"group": group}, headers=HTMX | EN
    )
    assert "Nothing to undo here" in response.content.decode()
    assert Coding.objects.filter(code=code).count() == 3


def test_another_users_action_cannot_be_undone(client, project, corpus, rita, sam):
    code = make_code(project)
    client.force_login(rita)
    response = client.post(
        code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "words"}, headers=HTMX
    )
    group = re.search(r'name="group" value="(\d+)"', response.content.decode())[1]
    client.force_login(sam)
    client.post(f"/projects/{project.pk}/search/code-all/undo/", {"group": group}, headers=HTMX)
    assert Coding.objects.filter(code=code).count() == 3


def test_without_htmx_applying_redirects_to_the_search_with_a_message(
    client, project, corpus, rita
):
    code = make_code(project)
    client.force_login(rita)
    response = client.post(
        code_all_url(project),
        {"q": "naloxone", "code": code.pk, "unit": "paragraph"},
        headers=EN,  # the message is translated when it is stored
    )
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/search/?q=naloxone"
    page = client.get(response["Location"], headers=EN).content.decode()
    assert "3 passages coded" in page


def test_without_htmx_the_preview_is_shown_in_the_search_page(client, project, corpus, rita):
    code = make_code(project)
    client.force_login(rita)
    response = client.get(code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "turn"})
    page = response.content.decode()
    assert "<html" in page and "<mark>naloxone</mark>" in page
    assert counts(response) == {"new": 3, "extend": 0, "already": 0}


def test_a_code_of_another_project_is_refused(client, project, other_project, corpus, rita):
    foreign = make_code(other_project, "Ailleurs")
    client.force_login(rita)
    data = {"q": "naloxone", "code": foreign.pk, "unit": "words"}
    response = client.post(code_all_url(project), data, headers=HTMX | EN)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Coding.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"q": "naloxone", "unit": "words"},
        {"q": "naloxone", "code": "x", "unit": "words"},
        {"q": "naloxone", "code": "CODE", "unit": "everything"},
        {"q": "", "code": "CODE", "unit": "words"},
        {"q": "?!", "code": "CODE", "unit": "words"},
    ],
)
def test_bad_code_all_input_answers_the_form_with_its_errors(client, project, corpus, rita, data):
    code = make_code(project)
    data = {k: (code.pk if v == "CODE" else v) for k, v in data.items()}
    client.force_login(rita)
    for send in (client.get, client.post):
        response = send(code_all_url(project), data, headers=HTMX | EN)
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
    assert not Coding.objects.exists()


def test_code_all_answers_get_and_post_only(client, project, rita):
    client.force_login(rita)
    assert client.put(code_all_url(project)).status_code == 405
    assert client.get(f"/projects/{project.pk}/search/code-all/undo/").status_code == 405


def test_the_undo_button_refuses_a_malformed_group(client, project, rita):
    client.force_login(rita)
    response = client.post(f"/projects/{project.pk}/search/code-all/undo/", {"group": "x"})
    assert response.status_code == 400


def test_too_many_results_ask_for_a_narrower_search(client, project, rita, monkeypatch):
    from search import views as search_views

    monkeypatch.setattr(search_views, "MAX_CODE_ALL", 2)
    code = make_code(project)
    interview_with(project, "Un café.\nDeux cafés.\nTrois cafés.")
    client.force_login(rita)
    response = preview(client, project, code, query="café")
    assert "3 paragraphs found: narrow the search" in response.content.decode()
    client.post(
        code_all_url(project), {"q": "café", "code": code.pk, "unit": "words"}, headers=HTMX
    )
    assert not Coding.objects.exists()


def test_five_hundred_hits_are_coded_at_once(client, project, rita):
    code = make_code(project)
    for n in range(5):
        text = "\n".join(f"Ligne {n}.{k} : la naloxone." for k in range(100))
        interview_with(project, text, f"{n}")
    client.force_login(rita)
    client.post(code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "words"})
    assert Coding.objects.filter(code=code).count() == 500


def test_the_audit_trail_names_the_researcher(client, project, corpus, rita):
    code = make_code(project)
    client.force_login(rita)
    client.post(code_all_url(project), {"q": "naloxone", "code": code.pk, "unit": "words"})
    assert set(CodingEvent.objects.values_list("actor_id", flat=True)) == {rita.pk}
    assert set(CodingEvent.objects.values_list("interview_id", flat=True)) == {i.pk for i in corpus}
    assert undo_last(rita, corpus[0].pk) is not None
    assert not Coding.objects.exists()


def test_a_supervisor_and_an_admin_may_code_all_too(client, project, corpus, sam, ada):
    code = make_code(project)
    for user in (sam, ada):
        client.force_login(user)
        assert preview(client, project, code).status_code == 200


def test_a_member_is_never_shown_another_members_codings_count(client, project, corpus, rita):
    code = make_code(project)
    other = make_user("remi", project, "researcher")
    make_coding(corpus[1], code, other, 0, 24)
    client.force_login(rita)
    assert counts(preview(client, project, code)) == {"new": 3, "extend": 0, "already": 0}
