"""Web requests are bounded by PostgreSQL's statement_timeout; a cancelled one gets a clear 503."""

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from django.db import OperationalError, connection
from django.test import RequestFactory

from benchmarks.loadtest import Server
from verbatim.database import url_from_settings
from verbatim.errors import server_error

ROOT = Path(__file__).resolve().parent.parent


def database_options(**env) -> dict:
    """The database OPTIONS a fresh process reads from this environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "verbatim.settings"}
    environment["DATABASE_URL"] = "postgres://verbatim@db.example.org/verbatim"  # never reached
    for name in (
        "VERBATIM_WEB_PROCESS",
        "VERBATIM_STATEMENT_TIMEOUT",
        "VERBATIM_TRANSACTION_POOLER",
        "VERBATIM_WEB_IDLE_TRANSACTION_TIMEOUT",
    ):
        environment.pop(name, None)
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


IDLE = "-c idle_in_transaction_session_timeout=120000"


def test_web_processes_get_a_30_second_statement_timeout():
    options = database_options(VERBATIM_WEB_PROCESS="1")
    assert options["options"] == (
        f"-c plan_cache_mode=force_generic_plan -c statement_timeout=30000 {IDLE}"
    )


def test_web_transactions_idle_two_minutes_are_ended_other_processes_are_not():
    """A streamed .qdpx waits on its client inside its snapshot (exchange/views.py)."""
    assert IDLE in database_options(VERBATIM_WEB_PROCESS="1")["options"]
    assert "idle_in_transaction" not in database_options()["options"]
    five = database_options(VERBATIM_WEB_PROCESS="1", VERBATIM_WEB_IDLE_TRANSACTION_TIMEOUT="5")
    assert five["options"].endswith("-c idle_in_transaction_session_timeout=5000")
    none = database_options(VERBATIM_WEB_PROCESS="1", VERBATIM_WEB_IDLE_TRANSACTION_TIMEOUT="0")
    assert "idle_in_transaction" not in none["options"]


def test_other_processes_have_none_unless_asked():
    """migrate, bench, loadtest's own queries, background jobs: not cut at 30 s."""
    assert "statement_timeout" not in database_options()["options"]
    assert database_options(VERBATIM_STATEMENT_TIMEOUT="600")["options"] == (
        "-c plan_cache_mode=force_generic_plan -c statement_timeout=600000"
    )


def test_the_web_timeout_is_a_setting_and_comes_after_the_urls_own_options():
    options = database_options(
        VERBATIM_WEB_PROCESS="1",
        VERBATIM_WEB_STATEMENT_TIMEOUT="5",
        DATABASE_URL="postgres://v@db.example.org/v?options=-c%20search_path%3Dverbatim",
    )
    assert options["options"] == (
        "-c search_path=verbatim -c plan_cache_mode=force_generic_plan -c statement_timeout=5000 "
        + IDLE
    )


def test_behind_a_transaction_pooler_no_plan_mode_is_asked_for():
    """No statement is prepared there (verbatim/plain_sql.py), and a pooler may refuse startup
    options it does not know."""
    assert database_options(VERBATIM_TRANSACTION_POOLER="1").get("options") is None


def get(server: Server, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    return response, response.read().decode()


def test_a_request_past_the_timeout_is_cancelled_and_answered_503(
    django_db_setup, django_db_blocker
):
    """A request whose query waits on a lock (any slow statement alike) is cancelled by
    PostgreSQL after VERBATIM_WEB_STATEMENT_TIMEOUT, and the worker answers at once: a 503 that
    says so, then serves the next request as usual."""
    env = {"VERBATIM_WEB_STATEMENT_TIMEOUT": "1", "DJANGO_HTTPS": "0"}
    with django_db_blocker.unblock(), Server(workers=1, threads=2, env=env) as server:
        url = url_from_settings(connection.settings_dict)
        cookie = {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345", "Accept-Language": "en"}
        with psycopg.connect(url) as locker:
            # The session lookup of the next request must wait for this lock.
            locker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
            response, page = get(server, "/login/", cookie)
            locker.rollback()

        assert response.status == 503
        assert "took longer than 1 seconds and was stopped" in page
        assert response.getheader("Retry-After") == "5"
        response, page = get(server, "/login/", cookie)
        assert response.status == 200
        assert "canceling statement due to statement timeout" in server.log_tail()


def raised(exception: BaseException):
    """server_error as Django calls it: while handling `exception`."""
    request = RequestFactory().get("/", headers={"Accept-Language": "en"})
    try:
        raise exception
    except BaseException:
        return server_error(request)


def test_an_unreachable_database_is_a_503_that_says_to_try_again(english):
    try:
        raise OperationalError("connection refused") from psycopg.OperationalError("refused")
    except OperationalError as error:
        response = raised(error)
    assert response.status_code == 503
    assert "The database is not answering" in response.content.decode()
    assert response["Retry-After"] == "5"


def test_any_other_error_is_a_plain_500(english):
    response = raised(ValueError("a bug"))
    assert response.status_code == 500
    assert "Something went wrong on the server" in response.content.decode()
    assert not response.has_header("Retry-After")
