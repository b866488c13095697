"""Access rules: decided in interviews/permissions.py, enforced on every URL."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from analysis.models import SavedQuery
from coding import trash
from coding.models import Memo
from interviews.models import Membership
from interviews.permissions import Action, can
from tests.factories import make_code, make_coding

Role = Membership.Role

EXPECTED = {
    Role.RESEARCHER: {"view", "code", "export"},
    Role.SUPERVISOR: {"view", "code", "review", "export", "exchange"},
    Role.ADMIN: {"view", "code", "review", "export", "import", "manage", "exchange"},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_each_role_may_do_exactly_its_actions(role, action):
    membership = Membership(role=role)
    assert can(membership, action) == (action in EXPECTED[role])


def test_a_non_member_may_do_nothing():
    assert not any(can(None, action) for action in Action)


def project_urls():
    """Every app URL that names a project, with its parameter names."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in ("interviews", "coding", "exchange", "analysis"):
                    yield from walk(entry.url_patterns, f"{entry.namespace}:")
            elif isinstance(entry, URLPattern) and "project_id" in entry.pattern.converters:
                yield prefix + entry.name, list(entry.pattern.converters)

    return sorted(walk(get_resolver().url_patterns))


def fill(params, project, interview, membership, coding):
    memo = Memo.objects.create(
        project=project, interview=interview, body="Note", author=coding.coder
    )
    entry = trash.delete(make_code(project, "Dans la corbeille"), coding.coder)
    values = {
        "entry_id": entry.pk,
        "project_id": project.pk,
        "interview_id": interview.pk,
        "membership_id": membership.pk,
        "coding_id": coding.pk,
        "code_id": coding.code_id,
        "memo_id": memo.pk,
        "query_id": SavedQuery.objects.create(project=project, name="Q", query="a=1").pk,
    }
    return {name: values[name] for name in params}


def test_every_project_url_is_checked_here():
    names = [name for name, _ in project_urls()]
    assert "interviews:project-detail" in names and "coding:codebook" in names
    assert len(names) >= 5


@pytest.mark.parametrize(("name", "params"), project_urls())
def test_an_outsider_gets_404_on_every_url_of_the_project(
    client, name, params, project, interview, rita, olga
):
    from django.urls import reverse

    coding = make_coding(interview, make_code(project), rita, 0, 5)
    membership = project.memberships.get(user=rita)
    url = reverse(name, kwargs=fill(params, project, interview, membership, coding))
    client.force_login(olga)
    assert client.get(url).status_code in (404, 405)
    # 405 (wrong method) is decided before any lookup, whatever the ids: it reveals nothing.
    assert client.post(url, {"role": "admin", "remove": "1", "name": "x"}).status_code in (404, 405)
    assert client.get(url, headers={"HX-Request": "true"}).status_code in (404, 405)
    # Nothing changed for the members of the project.
    assert project.memberships.get(user=rita).role == Role.RESEARCHER


def test_an_object_of_another_project_answers_404_to_its_own_members(
    client, project, other_project, interview, olga
):
    """Olga is admin of other_project: its id with this project's interview id reveals nothing."""
    client.force_login(olga)
    url = f"/projects/{other_project.pk}/interviews/{interview.pk}/"
    assert client.get(url).status_code == 404
    assert (
        client.get(f"/projects/{other_project.pk}/codebook/?interview={interview.pk}").status_code
        == 404
    )


def test_anonymous_visitors_are_sent_to_the_login_page(client, project):
    response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_an_expired_session_in_htmx_answers_401_with_the_page_as_next(client, project):
    # The page stays, and asks for the password (static/verbatim.js): nothing typed is lost.
    page = f"http://testserver/projects/{project.pk}/interviews/3/?coders=mine"
    response = client.post(
        f"/projects/{project.pk}/interviews/3/codings/",
        headers={"HX-Request": "true", "HX-Current-URL": page},
    )
    assert response.status_code == 401
    assert response["X-Login-URL"] == (
        f"/login/?next=%2Fprojects%2F{project.pk}%2Finterviews%2F3%2F%3Fcoders%3Dmine"
    )


def test_an_expired_session_on_a_plain_post_returns_to_the_page_not_the_post_url(client, project):
    page = f"http://testserver/projects/{project.pk}/memos/"
    response = client.post(f"/projects/{project.pk}/memos/", headers={"Referer": page})
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=%2Fprojects%2F{project.pk}%2Fmemos%2F"
    elsewhere = client.post(
        f"/projects/{project.pk}/memos/", headers={"Referer": "https://evil.example/x"}
    )
    assert elsewhere["Location"] == "/login/"
