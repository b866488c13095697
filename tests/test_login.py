"""Login throttling (django-axes, verbatim/login.py): lockout, its message, resets, no enumeration."""

import re
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from verbatim.login import client_ip
from verbatim.sessions import session_statement

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("rita", "rita@example.org", PASSWORD)


def log_in(client, username, password, address="127.0.0.1", language="en"):
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers={"Accept-Language": language},
    )


def fail(client, username, times, address="127.0.0.1"):
    return [log_in(client, username, "wrong", address).status_code for _ in range(times)]


def comparable(response, username: str) -> str:
    """The page without what differs between any two renderings: the CSRF token, the username."""
    page = response.content.decode()
    page = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF-TOKEN", page)  # in the form and in hx-headers
    return page.replace(username, "USERNAME")


def test_a_right_password_logs_in(client, user):
    response = log_in(client, "rita", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_session_opens_doors_until_it_expires_or_is_ended(client, user):
    """The session store (verbatim/sessions.py) reads a session only while it is valid."""
    log_in(client, "rita", PASSWORD)
    assert client.get("/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    assert client.get("/")["Location"].startswith("/login/")  # expired: signed out
    log_in(client, "rita", PASSWORD)
    client.post("/logout/")
    assert client.get("/")["Location"].startswith("/login/")


def test_a_signed_in_user_is_read_afresh_on_each_request(client, user):
    """The user's lookup (verbatim.login.Accounts): deactivated, deleted or with a new password,
    the next request is signed out; otherwise it is the user as stored."""
    log_in(client, "rita", PASSWORD)
    get_user_model().objects.filter(pk=user.pk).update(first_name="Rita")
    response = client.get("/")
    assert response.status_code == 200 and response.wsgi_request.user.first_name == "Rita"
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/")["Location"].startswith("/login/")
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    log_in(client, "rita", PASSWORD)
    user.set_password("another-password")
    user.save()
    assert client.get("/")["Location"].startswith("/login/")  # the session's hash no longer holds
    log_in(client, "rita", "another-password")
    get_user_model().objects.filter(pk=user.pk).delete()
    assert client.get("/")["Location"].startswith("/login/")


def _reads(client, path="/"):
    """The request's statements that read the session or the signed-in user (verbatim/sessions.py,
    verbatim.login.Accounts), and the user the request ran as."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    sqls = [q["sql"] for q in queries.captured_queries]
    key = session_statement().key  # sent by name once prepared
    sessions = [sql for sql in sqls if "django_session" in sql or key in sql]
    users = [sql for sql in sqls if "FROM auth_user t WHERE t.id =" in sql]
    return sessions, users, response.wsgi_request.user


def test_a_session_and_its_user_are_read_together_once_the_process_knows_them(client, user):
    log_in(client, "rita", PASSWORD)
    sessions, users, signed_in = _reads(client)  # the first request of the session, here
    assert (len(sessions), len(users), signed_in) == (1, 1, user)
    sessions, users, signed_in = _reads(client)
    assert (len(sessions), len(users), signed_in) == (1, 0, user)
    assert "auth_user" in session_statement() and session_statement().key in sessions[0]
    # Read with the session, the row is as fresh: a new password signs the session out.
    user.set_password("another-password")
    user.save()
    assert client.get("/")["Location"].startswith("/login/")


def test_a_wrong_hint_costs_a_statement_never_the_wrong_user(client, user):
    from verbatim import sessions as store

    other = get_user_model().objects.create_user("sam", "sam@example.org", PASSWORD)
    log_in(client, "rita", PASSWORD)
    client.get("/")
    store._users[client.cookies[settings.SESSION_COOKIE_NAME].value] = other.pk
    sessions, users, signed_in = _reads(client)
    assert (len(sessions), len(users), signed_in) == (1, 1, user)
    sessions, users, signed_in = _reads(client)  # the hint is right again
    assert (len(sessions), len(users), signed_in) == (1, 0, user)


def test_the_limit_th_failure_locks_the_username_out_from_that_address(client, user):
    statuses = fail(client, "rita", LIMIT)
    assert statuses == [200] * (LIMIT - 1) + [429]

    response = log_in(client, "rita", PASSWORD)  # even the right password, now

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins with this username from your address" in page
    assert f"Wait {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in page
    assert '<form method="post">' in page  # the login page itself, with its form
    assert "_auth_user_id" not in client.session


def test_the_lockout_message_is_in_french_for_french_browsers(client, user):
    fail(client, "rita", LIMIT)
    response = log_in(client, "rita", PASSWORD, language="fr")
    page = response.content.decode()
    assert response.status_code == 429
    assert "Trop de connexions échouées avec ce nom d’utilisateur depuis votre adresse" in page


def test_a_lockout_touches_neither_other_users_nor_other_addresses(client, user):
    get_user_model().objects.create_user("sam", "sam@example.org", PASSWORD)
    fail(client, "rita", LIMIT)

    assert log_in(client, "sam", PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "rita", PASSWORD, address="10.0.0.7").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, user):
    fail(client, "rita", LIMIT - 1)
    assert log_in(client, "rita", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, "rita", LIMIT - 1) == [200] * (LIMIT - 1)
    assert log_in(client, "rita", PASSWORD).status_code == 302


def test_axes_reset_lifts_every_lockout(client, user):
    fail(client, "rita", LIMIT)
    out = StringIO()
    call_command("axes_reset", stdout=out)
    assert "attempts removed" in out.getvalue()
    assert log_in(client, "rita", PASSWORD).status_code == 302


def test_axes_reset_username_lifts_one_users_lockout(client, user):
    fail(client, "rita", LIMIT)
    call_command("axes_reset_username", "rita", stdout=StringIO())
    assert log_in(client, "rita", PASSWORD).status_code == 302


def test_an_admin_lifts_a_lockout_in_django_admin(client, user):
    fail(client, "rita", LIMIT)
    attempt = AccessAttempt.objects.get(username="rita")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)

    listing = client.get("/admin/axes/accessattempt/", headers={"Accept-Language": "en"})
    assert listing.status_code == 200 and "rita" in listing.content.decode()
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    client.logout()
    assert log_in(client, "rita", PASSWORD).status_code == 302


class CountingHasher(PBKDF2PasswordHasher):
    """PBKDF2 that notes each hash it computes (encode is what both hashing and checking run)."""

    computed: list[int] = []

    def encode(self, password, salt, iterations=None):
        CountingHasher.computed.append(iterations or self.iterations)
        return super().encode(password, salt, iterations)


def test_an_unknown_username_is_answered_as_a_wrong_password_before_and_after_lockout(
    client, settings
):
    """Same status, same page, and the same password hashing (which is what takes the time), at
    every attempt: nothing tells an attacker which usernames exist."""
    settings.PASSWORD_HASHERS = ["tests.test_login.CountingHasher"]
    get_user_model().objects.create_user("rita", "rita@example.org", PASSWORD)
    for attempt in range(LIMIT + 1):
        CountingHasher.computed.clear()
        known = log_in(client, "rita", "wrong")
        hashed_for_known = list(CountingHasher.computed)
        CountingHasher.computed.clear()
        unknown = log_in(client, "nobody", "wrong")
        hashed_for_unknown = list(CountingHasher.computed)

        assert known.status_code == unknown.status_code == (200 if attempt < LIMIT - 1 else 429)
        assert comparable(known, "rita") == comparable(unknown, "nobody")
        # Up to the failure that locks, one full hash each; once locked out, none for either.
        expected = [CountingHasher.iterations] if attempt < LIMIT else []
        assert hashed_for_known == hashed_for_unknown == expected


def test_the_test_clients_login_without_a_request_is_not_throttled(client, user):
    fail(client, "rita", LIMIT)
    assert client.login(username="rita", password=PASSWORD)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy trusted: the header is the client's own word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # a forged first entry is ignored
        (2, "198.51.100.66, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "not-an-address", "10.0.0.1"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies: not through them
    ],
)
def test_the_client_address_is_read_behind_trusted_proxies_only(
    settings, proxies, forwarded, expected
):
    settings.VERBATIM_TRUSTED_PROXIES = proxies
    request = RequestFactory().post(
        "/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected
