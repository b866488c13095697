"""A project's page reads the member's role with the session, in one round trip
(coding.visibility.ReadAhead, verbatim.sessions.SessionStore.read_along, interviews.permissions
read_ahead): never for another user than the session's, never kept from one request to the next."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from coding.models import CodingRound
from interviews import permissions
from interviews.models import Membership
from tests.factories import make_code, make_coding, make_interview, make_project, make_user
from verbatim import sessions
from verbatim.sessions import session_statement

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
WITHOUT_READ_AHEAD = [m for m in settings.MIDDLEWARE if m != "coding.visibility.ReadAhead"]


def _statements(client, url: str, **headers):
    """The SQL the request sent, each round trip one string, and the response."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
        b"".join(getattr(response, "streaming_content", ()))  # a download reads as it goes
    return [query["sql"] for query in queries.captured_queries], response


def _hint(client, user) -> None:
    """Make this process believe the client's session signed `user` in (verbatim.sessions)."""
    sessions._users[client.cookies[settings.SESSION_COOKIE_NAME].value] = user.pk


def _with_session(sqls: list[str], statement) -> list[bool]:
    """Of the round trips that sent `statement` (by name once prepared, else as its text), whether
    the session's statement went with it."""
    text = statement.splitlines()[1].strip()  # its first line, as sent with parameters
    return [session_statement().key in sql for sql in sqls if statement.key in sql or text in sql]


@pytest.mark.parametrize(
    ("page", "statement"),
    [
        ("/projects/{project}/interviews/{interview}/", permissions._INTERVIEW_FOR),
        ("/projects/{project}/", permissions._MEMBERSHIP_FOR),
        ("/projects/{project}/codebook/", permissions._MEMBERSHIP_FOR),
    ],
)
def test_a_project_page_reads_the_role_with_the_session_once_the_process_knows_its_user(
    client, project, interview, rita, page, statement
):
    url = page.format(project=project.pk, interview=interview.pk)
    client.force_login(rita)
    sqls, response = _statements(client, url)  # the first request of the session, here
    assert response.status_code == 200
    assert _with_session(sqls, statement) == [False]  # read by the view, after the session
    sqls, response = _statements(client, url)
    assert response.status_code == 200
    assert _with_session(sqls, statement) == [True]  # read with the session, and only there
    with override_settings(MIDDLEWARE=WITHOUT_READ_AHEAD):
        plain = Client()  # a client loads its middleware once
        plain.force_login(rita)
        plain.get(url)
        without, response = _statements(plain, url)
    assert response.status_code == 200
    assert len(without) == len(sqls) + 1  # one round trip fewer


@pytest.mark.parametrize(
    ("page", "headers", "who"),
    [
        ("/projects/{project}/excerpts/", {}, "rita"),
        ("/projects/{project}/excerpts/?page=1", {"HX-Request": "true"}, "rita"),
        ("/projects/{project}/review/", {}, "sam"),
        ("/projects/{project}/review/", {"HX-Request": "true"}, "sam"),
        ("/projects/{project}/excerpts/export/?format=csv", {}, "rita"),
    ],
)
def test_a_page_reads_what_it_declared_with_the_session_too(
    client, project, interview, rita, sam, page, headers, who
):
    """The excerpts, the queue and the export read the codebook and their form's lists with the
    membership (visibility.reads_along): all of it with the session, once the process knows it."""
    user = {"rita": rita, "sam": sam}[who]
    make_coding(interview, make_code(project), rita, 20, 30)
    url = page.format(project=project.pk)
    client.force_login(user)
    client.get("/")
    sqls, response = _statements(client, url, **headers)
    assert response.status_code == 200
    assert _with_session(sqls, permissions._MEMBERSHIP_FOR) == [True]
    with override_settings(MIDDLEWARE=WITHOUT_READ_AHEAD):
        plain = Client()
        plain.force_login(user)
        plain.get("/")
        without, response = _statements(plain, url, **headers)
    assert response.status_code == 200
    assert len(without) == len(sqls) + 1


def test_an_action_on_a_coding_reads_the_coding_with_the_session(client, project, interview, rita):
    code = make_code(project)
    first, gone = (
        make_coding(interview, code, rita, 20, 30),
        make_coding(interview, code, rita, 40, 50),
    )
    client.force_login(rita)
    base = f"/projects/{project.pk}/interviews/{interview.pk}/codings/"
    client.post(f"{base}{first.pk}/delete/", {"since": 0}, headers=HTMX)  # the transcript kept
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{base}{gone.pk}/delete/", {"since": 0}, headers=HTMX)
    assert response.status_code == 200 and not type(gone).objects.filter(pk=gone.pk).exists()
    sqls = [query["sql"] for query in queries.captured_queries]
    assert _with_session(sqls, permissions._INTERVIEW_FOR) == [True]
    assert len(sqls) == 2, sqls  # the session with the interview and the coding; the removal
    # Another project's coding id, read along, still answers 404 and changes nothing.
    elsewhere = make_project("Autre")
    other = make_coding(make_interview(elsewhere, "Autre texte"), make_code(elsewhere), rita, 1, 3)
    url = f"{base}{other.pk}/delete/"
    assert client.post(url, {"since": 0}, headers=HTMX).status_code == 404
    assert type(other).objects.filter(pk=other.pk).exists()


def test_rows_read_for_another_user_than_the_sessions_serve_nobody(
    client, project, interview, rita, sam, olga
):
    """A wrong hint (the process thought the session was another user's) reads that user's role:
    the rows stay on that user's row, and the request, as its own user, reads its own."""
    ada = make_user("ada", project, Membership.Role.ADMIN)
    client.force_login(olga)  # a member of another project only
    client.get("/")
    for url in (f"/projects/{project.pk}/", f"/projects/{project.pk}/interviews/{interview.pk}/"):
        _hint(client, ada)
        sqls, response = _statements(client, url)
        assert response.status_code == 404
        assert response.wsgi_request.user == olga
    client.force_login(rita)  # a researcher, hinted as the project's supervisor
    client.get("/")
    _hint(client, sam)
    assert client.get(f"/projects/{project.pk}/review/").status_code == 403
    _hint(client, olga)  # the other way round: an outsider's rows, for a member
    assert client.get(f"/projects/{project.pk}/interviews/{interview.pk}/").status_code == 200


def test_a_role_changed_between_two_requests_counts_at_the_next(client, project, interview, sam):
    """Nothing is kept between requests: the rows are read with each request's session."""
    client.force_login(sam)
    review = f"/projects/{project.pk}/review/"
    assert client.get(review).status_code == 200
    assert client.get(review).status_code == 200  # read ahead, now
    Membership.objects.filter(user=sam).update(role=Membership.Role.RESEARCHER)
    assert client.get(review).status_code == 403
    Membership.objects.filter(user=sam).delete()
    assert client.get(f"/projects/{project.pk}/interviews/{interview.pk}/").status_code == 404


def test_an_interview_of_another_project_answers_404_when_read_ahead(
    client, project, other_project, interview, olga
):
    """Olga is admin of other_project: its id with this project's interview id reveals nothing."""
    client.force_login(olga)
    client.get("/")
    sqls, response = _statements(client, f"/projects/{other_project.pk}/interviews/{interview.pk}/")
    assert response.status_code == 404
    assert _with_session(sqls, permissions._INTERVIEW_FOR) == [True]


def test_a_blind_coder_sees_only_their_own_codings_when_read_ahead(
    client, project, interview, rita
):
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    code = make_code(project, "Voisinage courtois")
    theirs = make_coding(interview, code, remi, 40, 50)
    mine = make_coding(interview, code, rita, 20, 30)
    round_ = CodingRound.objects.create(project=project, name="Aveugle")
    round_.coders.set([rita, remi])
    round_.interviews.set([interview])
    client.force_login(rita)
    client.get("/")
    url = f"/projects/{project.pk}/interviews/{interview.pk}/?coders=all"
    sqls, response = _statements(client, url)
    assert _with_session(sqls, permissions._INTERVIEW_FOR) == [True]
    page = response.content.decode()
    assert f'data-codings="{mine.pk}"' in page
    assert f'data-codings="{theirs.pk}"' not in page
    round_.closed_at = timezone.now()  # the round closed: everyone's codings show again
    round_.save()
    assert f'data-codings="{theirs.pk}"' in client.get(url).content.decode()


def test_rows_read_ahead_are_taken_once_for_their_project_and_interview():
    user = SimpleNamespace(read_along={permissions.ahead_key(1, 2, ()): [["row"], []]})
    assert permissions.read_ahead(user, 1) is None  # another key: the project alone
    assert permissions.read_ahead(user, 1, 2) == [["row"], []]
    assert permissions.read_ahead(user, 1, 2) is None  # a second look reads afresh
    assert permissions.read_ahead(SimpleNamespace(), 1, 2) is None
