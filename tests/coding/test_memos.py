"""Memos: the panel of one target, creating, editing and deleting in place, the project memo list."""

import pytest

from coding.models import Memo
from interviews.models import Membership
from interviews.permissions import can_edit_memo
from tests.factories import make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def targets(project, interview, code, coding):
    """Each kind of target: its request parameter and the memo fields naming it."""
    return {
        "project": ({}, {}),
        "interview": ({"interview": interview.pk}, {"interview": interview}),
        "code": ({"code": code.pk}, {"code": code}),
        "coding": ({"coding": coding.pk}, {"coding": coding}),
    }


def memo(project, author, body="Une note", **target):
    return Memo.objects.create(project=project, author=author, body=body, **target)


# The panel


@pytest.mark.parametrize("kind", ["project", "interview", "code", "coding"])
def test_the_panel_lists_the_memos_of_its_target_only(client, project, rita, targets, kind):
    params, fields = targets[kind]
    memo(project, rita, "Sur la cible", **fields)
    other_kind = "interview" if kind != "interview" else "code"
    memo(project, rita, "Ailleurs", **targets[other_kind][1])
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/memos/panel/", params, headers=HTMX)
    page = response.content.decode()
    target_id = next(iter(params.values()), project.pk)
    assert f'<section class="card memos" id="memos-{kind}-{target_id}"' in page
    assert "Sur la cible" in page and "Ailleurs" not in page
    assert "<html" not in page and "HX-Request" in response["Vary"]


def test_the_panel_outside_htmx_is_a_full_page(client, project, interview, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/memos/panel/?interview={interview.pk}")
    assert "<html" in page.content.decode() and interview.title in page.content.decode()


@pytest.mark.parametrize("kind", ["interview", "code", "coding"])
def test_a_target_of_another_project_answers_404(client, project, other_project, rita, kind):
    foreign_interview = make_interview(other_project, title="Ailleurs")
    foreign_code = make_code(other_project)
    foreign = {
        "interview": foreign_interview.pk,
        "code": foreign_code.pk,
        "coding": make_coding(foreign_interview, foreign_code, rita, 0, 5).pk,
    }[kind]
    client.force_login(rita)
    url = f"/projects/{project.pk}/memos/panel/?{kind}={foreign}"
    assert client.get(url).status_code == 404
    response = client.post(f"/projects/{project.pk}/memos/", {kind: foreign, "body": "x"})
    assert response.status_code == 404
    assert not Memo.objects.exists()


@pytest.mark.parametrize("query", ["interview=abc", "code=1.5", "coding=-", "interview=1&code=1"])
def test_a_malformed_target_answers_404(client, project, rita, query):
    client.force_login(rita)
    assert client.get(f"/projects/{project.pk}/memos/panel/?{query}").status_code == 404


def test_a_memo_body_is_shown_escaped_with_its_line_breaks(client, project, interview, rita):
    memo(project, rita, "<script>alert(1)</script>\nDeuxième ligne", interview=interview)
    client.force_login(rita)
    url = f"/projects/{project.pk}/memos/panel/?interview={interview.pk}"
    page = client.get(url, headers=HTMX).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Deuxième ligne" in page


# Creating


@pytest.mark.parametrize("kind", ["project", "interview", "code", "coding"])
def test_a_researcher_adds_a_memo_to_each_kind_of_target(client, project, rita, targets, kind):
    params, fields = targets[kind]
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/memos/", {**params, "body": "Piste à creuser"}, headers=HTMX
    )
    created = Memo.objects.get()
    assert created.author == rita and created.body == "Piste à creuser"
    assert {name: getattr(created, name) for name in fields} == fields
    page = response.content.decode()
    assert "<html" not in page and f'id="memo-{created.pk}"' in page
    assert f'id="memos-{kind}-' in page  # the refreshed panel


def test_outside_htmx_adding_a_memo_redirects_to_its_panel(client, project, interview, rita):
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/memos/", {"interview": interview.pk, "body": "Note"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/memos/panel/?interview={interview.pk}"


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_memo_is_refused_in_the_panel(client, project, interview, rita, body):
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/memos/",
        {"interview": interview.pk, "body": body},
        headers={**HTMX, **EN},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert f'id="memos-interview-{interview.pk}"' in response.content.decode()
    assert not Memo.objects.exists()


def test_a_memo_written_from_the_list_page_answers_with_the_list(client, project, rita, ada):
    memo(project, ada, "Plus ancien")
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/memos/",
        {"body": "Nouveau", "from_list": "1", "kind": "project", "author": ""},
        headers=HTMX,
    )
    page = response.content.decode()
    assert 'id="memo-results"' in page and "<html" not in page
    assert page.index("Nouveau") < page.index("Plus ancien")


# Editing and deleting


@pytest.mark.parametrize("kind", ["project", "interview", "code", "coding"])
def test_the_author_edits_a_memo_in_place(client, project, rita, targets, kind):
    note = memo(project, rita, "Premier jet", **targets[kind][1])
    client.force_login(rita)
    url = f"/projects/{project.pk}/memos/{note.pk}/edit/"
    form = client.get(url, headers=HTMX).content.decode()
    assert "<textarea" in form and "Premier jet" in form and f'id="memo-{note.pk}"' in form
    response = client.post(url, {"body": "Version revue"}, headers=HTMX)
    page = response.content.decode()
    assert "Version revue" in page and "<textarea" not in page and "<html" not in page
    note.refresh_from_db()
    assert note.body == "Version revue" and note.updated_at > note.created_at


def test_an_edit_with_an_empty_body_keeps_the_form_and_the_memo(client, project, rita):
    note = memo(project, rita, "Garde-moi")
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/memos/{note.pk}/edit/", {"body": " "}, headers={**HTMX, **EN}
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    note.refresh_from_db()
    assert note.body == "Garde-moi"


def test_cancelling_an_edit_brings_the_memo_back(client, project, rita):
    note = memo(project, rita, "Intact")
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/memos/{note.pk}/", headers=HTMX).content.decode()
    assert page.strip().startswith(f'<li class="memo" id="memo-{note.pk}">') and "Intact" in page


@pytest.mark.parametrize("kind", ["project", "interview", "code", "coding"])
def test_the_author_deletes_a_memo(client, project, rita, targets, kind):
    note = memo(project, rita, **targets[kind][1])
    client.force_login(rita)
    response = client.post(f"/projects/{project.pk}/memos/{note.pk}/delete/", headers=HTMX)
    assert response.status_code == 200 and response.content == b""
    assert not Memo.objects.exists()


def test_deleting_on_the_list_page_also_updates_its_count(client, project, rita, sam):
    note = memo(project, rita, "À jeter")
    memo(project, rita, "À garder")
    memo(project, sam, "De Sam")
    client.force_login(rita)
    page_url = f"http://testserver/projects/{project.pk}/memos/?author={rita.pk}"
    response = client.post(
        f"/projects/{project.pk}/memos/{note.pk}/delete/",
        headers={**HTMX, **EN, "HX-Current-URL": page_url},
    )
    assert response.content.decode().strip() == (
        '<p class="memo-count" id="memo-count" hx-swap-oob="true">1 memo</p>'
    )


def test_deleting_needs_a_post(client, project, rita):
    note = memo(project, rita)
    client.force_login(rita)
    assert client.get(f"/projects/{project.pk}/memos/{note.pk}/delete/").status_code == 405
    assert Memo.objects.filter(pk=note.pk).exists()


def test_a_researcher_cannot_change_someone_elses_memo(client, project, rita, sam):
    note = memo(project, sam, "De Sam")
    client.force_login(rita)
    base = f"/projects/{project.pk}/memos/{note.pk}"
    assert client.get(f"{base}/edit/").status_code == 403
    assert client.post(f"{base}/edit/", {"body": "Réécrit"}).status_code == 403
    assert client.post(f"{base}/delete/").status_code == 403
    note.refresh_from_db()
    assert note.body == "De Sam"
    # Nor is she offered to.
    page = client.get(f"/projects/{project.pk}/memos/").content.decode()
    assert "De Sam" in page and f"{base}/edit/" not in page


def test_an_admin_may_change_and_delete_anyones_memo(client, project, rita, ada):
    note = memo(project, rita, "De Rita")
    client.force_login(ada)
    base = f"/projects/{project.pk}/memos/{note.pk}"
    assert client.post(f"{base}/edit/", {"body": "Corrigé"}).status_code == 302
    note.refresh_from_db()
    assert note.body == "Corrigé" and note.author == rita  # the author stays the author
    assert client.post(f"{base}/delete/").status_code == 302
    assert not Memo.objects.exists()


def test_a_memo_of_another_project_answers_404(client, project, other_project, rita, olga):
    foreign = memo(other_project, olga, "Ailleurs")
    client.force_login(rita)
    for url in (f"/memos/{foreign.pk}/", f"/memos/{foreign.pk}/edit/"):
        assert client.get(f"/projects/{project.pk}{url}").status_code == 404
    assert client.post(f"/projects/{project.pk}/memos/{foreign.pk}/delete/").status_code == 404
    assert Memo.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize(
    ("role", "own", "allowed"),
    [
        (Membership.Role.RESEARCHER, True, True),
        (Membership.Role.RESEARCHER, False, False),
        (Membership.Role.SUPERVISOR, True, True),
        (Membership.Role.SUPERVISOR, False, False),
        (Membership.Role.ADMIN, False, True),
    ],
)
def test_who_may_edit_a_memo(role, own, allowed):
    membership = Membership(role=role, user_id=1)
    assert can_edit_memo(membership, Memo(author_id=1 if own else 2)) == allowed
    assert not can_edit_memo(None, Memo(author_id=1))


# The project memo list


def test_the_list_shows_every_memo_newest_first_with_what_it_is_about(
    client, project, interview, code, coding, rita
):
    memo(project, rita, "Note projet")
    memo(project, rita, "Note entretien", interview=interview)
    memo(project, rita, "Note code", code=code)
    memo(project, rita, "Note passage", coding=coding)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/memos/", headers=EN).content.decode()
    assert "4 memos" in page
    order = [page.index(body) for body in ("Note passage", "Note code", "Note entretien")]
    assert order == sorted(order) and page.index("Note entretien") < page.index("Note projet")
    interview_url = f"/projects/{project.pk}/interviews/{interview.pk}/"
    assert f'href="{interview_url}"' in page
    assert f'href="{interview_url}#coding-{coding.pk}"' in page and "<q>Intervieweuse </q>" in page
    assert f"c-{code.pk}" in page and code.name in page


@pytest.mark.parametrize(
    ("query", "bodies"),
    [
        ("", {"P", "I", "C", "X", "S"}),
        ("kind=project", {"P", "S"}),
        ("kind=interview", {"I"}),
        ("kind=code", {"C"}),
        ("kind=passage", {"X"}),
        ("kind=nonsense", {"P", "I", "C", "X", "S"}),
    ],
)
def test_the_list_filters_by_kind(
    client, project, interview, code, coding, rita, sam, query, bodies
):
    for body, fields in [
        ("P", {}),
        ("I", {"interview": interview}),
        ("C", {"code": code}),
        ("X", {"coding": coding}),
    ]:
        memo(project, rita, f"«{body}»", **fields)
    memo(project, sam, "«S»")
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/memos/?{query}", headers=EN).content.decode()
    shown = {body for body in "PICXS" if f"«{body}»" in page}
    assert shown == bodies
    word = "memo" if len(bodies) == 1 else "memos"
    assert f"{len(bodies)} {word}" in page


def test_the_list_filters_by_author_and_keeps_the_filter_in_the_form(
    client, project, interview, rita, sam
):
    memo(project, rita, "De Rita", interview=interview)
    memo(project, sam, "De Sam")
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/memos/?author={sam.pk}", headers=HTMX)
    page = response.content.decode()
    assert "De Sam" in page and "De Rita" not in page
    assert "<html" not in page and 'id="memo-results"' in page
    full = client.get(f"/projects/{project.pk}/memos/?author={sam.pk}").content.decode()
    assert f'<option value="{sam.pk}" selected>' in full


def test_the_list_runs_the_same_queries_for_any_number_of_memos(
    client, project, interview, code, coding, rita, django_assert_max_num_queries
):
    def fill(count):
        for i in range(count):
            memo(project, rita, f"n{i}", interview=interview)
            memo(project, rita, f"c{i}", code=code)
            memo(project, rita, f"x{i}", coding=coding)
            memo(project, make_user(f"u{count}-{i}", project, "researcher"), f"p{i}")

    client.force_login(rita)
    fill(1)
    with django_assert_max_num_queries(8) as few:
        client.get(f"/projects/{project.pk}/memos/")
    fill(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/projects/{project.pk}/memos/").content.count(b'class="memo"') == 44


def test_the_list_is_paginated_at_50(client, project, rita):
    Memo.objects.bulk_create(
        Memo(project=project, author=rita, body=f"note {i:03}") for i in range(51)
    )
    client.force_login(rita)
    first = client.get(f"/projects/{project.pk}/memos/?kind=project", headers=EN).content.decode()
    assert first.count('class="memo"') == 50 and "51 memos" in first
    assert f"/projects/{project.pk}/memos/?kind=project&amp;page=2" in first
    second = client.get(f"/projects/{project.pk}/memos/?kind=project&page=2").content.decode()
    assert second.count('class="memo"') == 1


def test_the_project_navigation_links_to_the_memo_list(client, project, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert f'href="/projects/{project.pk}/memos/"' in page


def test_the_list_offers_the_project_memo_form_only_where_the_new_memo_would_show(
    client, project, rita, sam
):
    client.force_login(rita)
    base = f"/projects/{project.pk}/memos/"
    assert 'class="memo-add"' in client.get(base).content.decode()
    assert (
        'class="memo-add"' in client.get(f"{base}?kind=project&author={rita.pk}").content.decode()
    )
    assert 'class="memo-add"' not in client.get(f"{base}?kind=interview").content.decode()
    assert 'class="memo-add"' not in client.get(f"{base}?author={sam.pk}").content.decode()


def test_outside_htmx_the_list_form_returns_to_the_filtered_list(client, project, rita):
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/memos/",
        {"body": "Sans JavaScript", "from_list": "1", "kind": "project", "author": ""},
    )
    assert response["Location"] == f"/projects/{project.pk}/memos/?kind=project&author="
    assert Memo.objects.get().body == "Sans JavaScript"


def test_outside_htmx_the_edit_form_is_a_full_page(client, project, rita):
    note = memo(project, rita, "Texte")
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/memos/{note.pk}/edit/").content.decode()
    assert "<html" in page and "<textarea" in page and "autofocus" in page
