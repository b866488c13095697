"""Production serving: Granian with verbatim/server.py, WhiteNoise, settings from the environment.

`manage.py check --deploy` staying clean is tested in tests/test_setup.py.
"""

import gc
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from benchmarks.http_bench import Browser
from benchmarks.loadtest import Server
from benchmarks.synthetic import PASSWORD
from interviews.models import ImportFile, Membership, Project
from verbatim import server as production
from verbatim.database import settings_from_url, url_from_settings

ROOT = Path(__file__).resolve().parent.parent


def get(server: Server, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    return response, response.read()


@pytest.fixture(scope="module")
def https_server(django_db_setup, django_db_blocker):
    """The production server, behind a (pretend) TLS proxy: DJANGO_HTTPS on."""
    with django_db_blocker.unblock(), Server(workers=2, env={"DJANGO_HTTPS": "1"}) as server:
        yield server


PROXY = {"X-Forwarded-Proto": "https"}


def test_plain_http_is_redirected_to_https(https_server):
    response, _ = get(https_server, "/login/")

    assert response.status == 301
    assert response.getheader("Location") == "https://127.0.0.1/login/"


def test_behind_the_proxy_pages_carry_hsts_and_secure_cookies(https_server):
    response, _ = get(https_server, "/login/", PROXY)

    assert response.status == 200
    assert response.getheader("Strict-Transport-Security").startswith("max-age=31536000")
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    cookies = response.headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in cookie and "SameSite" in cookie for cookie in cookies)


def test_static_files_have_hashed_names_cached_for_a_year_and_compressed(https_server):
    _, page = get(https_server, "/login/", PROXY)
    stylesheet = re.search(rb'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page links no hashed stylesheet"

    response, body = get(https_server, stylesheet[1].decode(), {**PROXY, "Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "max-age=315360000" in response.getheader("Cache-Control")
    assert "immutable" in response.getheader("Cache-Control")
    assert body[:2] == b"\x1f\x8b"  # gzip's magic number


def test_the_embedded_postgresql_is_started_once_by_the_main_process_and_stops_with_it(own_pgdata):
    pgdata = own_pgdata
    env = {"DATABASE_URL": None, "VERBATIM_PGDATA": str(pgdata)}
    with Server(workers=2, env=env) as server:
        response, _ = get(server, "/login/", PROXY)
        holders = json.loads((pgdata / ".handle_pids.json").read_text())
        main = server.process.pid
        assert response.status in (200, 301)
        # Only the main process holds the cluster: workers come and go without stopping it.
        assert holders == [main]
        assert (pgdata / "postmaster.pid").exists()
    # Bounded, not timed: a machine busy with other suites takes long to stop a cluster.
    deadline = time.monotonic() + 120
    while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    supervisor, holders = pgdata / "verbatim-supervisor.json", pgdata / ".handle_pids.json"
    assert not (pgdata / "postmaster.pid").exists(), (
        "the cluster outlived the server: the server's exit status "
        f"{server.process.returncode} (-9: killed before its exit hook ran), the supervisor's "
        f"last word {supervisor.read_text() if supervisor.exists() else None}, holders "
        f"{holders.read_text() if holders.exists() else None}"
    )


def test_the_server_pulls_a_streamed_answer_only_as_fast_as_its_client_reads(tmp_path):
    """A streamed answer (a recording, an export) is taken from the application as the client
    reads it, a few pieces ahead, not all at once into the worker's memory: Granian 2.7 did that,
    so one browser playing a 2 GB video from its start would grow a worker by 2 GB
    (docs/operations.md). Here the client reads 1 MiB at a time and the application never runs
    more than the buffers on the way ahead (the sockets' and Granian's few pieces), far from the
    256 MiB answer."""
    from tests import streamed_app

    count_file = tmp_path / "count"
    env = {"STREAMED_COUNT": str(count_file)}
    with Server(workers=1, threads=2, env=env, app="tests.streamed_app:application") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        ahead = []
        for read in range(1, streamed_app.CHUNKS + 1):
            assert len(response.read(len(streamed_app.PIECE))) == len(streamed_app.PIECE)
            ahead.append(int(count_file.read_text()) - read)
        conn.close()
    assert max(ahead) <= 48, ahead
    assert ahead[-1] == 0


def test_the_worker_count_follows_the_cores_unless_the_environment_sets_it():
    cores = len(os.sched_getaffinity(0))
    found = production.options({})
    assert found["workers"] == 2 * cores + 1
    assert (found["address"], found["port"]) == ("127.0.0.1", 8000)
    assert found["blocking_threads"] == 4
    assert found["log_access"] is True and "log_dictconfig" not in found  # on standard output

    found = production.options({"VERBATIM_WORKERS": "9", "VERBATIM_BIND": "0.0.0.0:8080"})
    assert found["workers"] == 9
    assert (found["address"], found["port"]) == ("0.0.0.0", 8080)


def test_the_server_listens_on_a_unix_socket_and_logs_where_it_is_told(tmp_path):
    found = production.options(
        {"VERBATIM_BIND": "unix:/run/verbatim.sock", "VERBATIM_ACCESS_LOG": str(tmp_path / "a")}
    )
    assert str(found["uds"]) == "/run/verbatim.sock" and "port" not in found
    handler = found["log_dictconfig"]["handlers"]["access"]
    assert handler["filename"] == str(tmp_path / "a")
    assert production.options({"VERBATIM_ACCESS_LOG": ""})["log_access"] is False


def test_an_idle_kept_alive_connection_outlives_the_proxys_own(https_server):
    """nginx keeps an idle upstream connection 50 s (docs/operations.md): the server keeps it longer,
    or a POST sent on a connection the server just closed would answer 502."""
    nginx = re.search(r"keepalive_timeout (\d+)s;", (ROOT / "docs" / "operations.md").read_text())
    assert nginx and int(nginx[1]) * 1000 < production.IDLE_MS
    conn = http.client.HTTPConnection("127.0.0.1", https_server.port, timeout=30)
    for _ in range(2):  # the second request on the same connection
        conn.request("GET", "/health/", headers={"Host": "127.0.0.1", **PROXY})
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and not response.will_close


def test_each_worker_is_forked_with_what_the_main_process_loaded_frozen_out_of_the_collector():
    assert gc.get_freeze_count() == 0
    try:
        application = production.preload()
        assert callable(application)
        # Django and the apps, loaded by the test run as the main process preloads them.
        assert gc.get_freeze_count() > 10_000
        assert gc.get_count()[2] == 0  # collected first: no garbage frozen with them
    finally:
        gc.unfreeze()


def settings_under(**env) -> dict:
    """Database and static settings as a fresh process reads them from this environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(json.dumps({'max_age': d['CONN_MAX_AGE'], "
        "'options': d.get('OPTIONS', {}), 'static_root': str(s.STATIC_ROOT), "
        "'no_server_side': d.get('DISABLE_SERVER_SIDE_CURSORS', False)}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "verbatim.settings", **env}
    environment["DATABASE_URL"] = "postgres://verbatim@db.example.org/verbatim"  # never reached
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_connections_persist_for_a_minute_by_default():
    assert settings_under()["max_age"] == 60


def test_a_psycopg_pool_replaces_persistent_connections_when_asked():
    found = settings_under(DJANGO_DB_POOL="4", VERBATIM_STATIC_ROOT="/srv/verbatim/static")

    assert found["max_age"] == 0  # Django refuses a pool with persistent connections
    assert found["options"]["pool"]["max_size"] == 4
    assert found["static_root"] == "/srv/verbatim/static"


def test_behind_a_transaction_pooler_nothing_lives_on_a_connection_between_transactions():
    assert settings_under()["no_server_side"] is False
    # No server-side cursor, and so no prepared statement (tests/test_plain_sql.py).
    assert settings_under(VERBATIM_TRANSACTION_POOLER="1")["no_server_side"] is True


def test_a_child_process_reaches_this_very_database_through_its_url():
    settings = settings_from_url(url_from_settings(connection.settings_dict))

    assert settings["NAME"] == connection.settings_dict["NAME"]
    host = connection.settings_dict["HOST"]
    assert (settings["HOST"] or settings["OPTIONS"].get("host")) == host


@pytest.mark.django_db
def test_a_child_process_connects_with_this_ones_postgresql_settings():
    """The -c options travel with their spaces, as libpq reads a URL (%20, not a form's +): a web
    process's statement_timeout, for one."""
    options = {**connection.settings_dict.get("OPTIONS", {}), "options": "-c work_mem=7MB"}
    url = url_from_settings({**connection.settings_dict, "OPTIONS": options})
    with psycopg.connect(url) as child:
        assert child.execute("SHOW work_mem").fetchone() == ("7MB",)


def test_the_health_check_answers_a_proxy_over_plain_http_without_login(https_server):
    response, body = get(https_server, "/health/")

    assert (response.status, body) == (200, b"ok\n")
    assert "no-cache" in response.getheader("Cache-Control")


@pytest.mark.django_db
def test_the_health_check_reaches_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/health/")

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)  # the server only sees committed rows
def test_transcripts_uploaded_through_the_server_are_read_or_refused_whole():
    """The upload's body as the production server hands it to Django (its own WSGI input stream),
    streamed back as the import page does: a French transcript read to the letter, one past the
    ceiling refused by name, and nothing else stored."""
    project = Project.objects.create(name="Entrevues")
    admin = get_user_model().objects.create_user("uploader", password=PASSWORD)
    Membership.objects.create(project=project, user=admin, role=Membership.Role.ADMIN)
    words = "« Pis rien, on jase » — voisinage courtois, l’hiver à Montréal.\r\n"
    text = words * 12_000  # about 800 kB
    env = {"DJANGO_HTTPS": "0", "VERBATIM_MAX_UPLOAD_MB": "1"}
    with Server(workers=1, threads=2, env=env) as server:
        browser = Browser(server, "uploader")
        browser.login()
        replies = []
        for name, data in [("entretien.txt", text.encode()), ("trop.txt", b"x" * 1_200_000)]:
            upload = SimpleUploadedFile(name, data, content_type="text/plain")
            body = encode_multipart(BOUNDARY, {"encoding": "", "files": upload})
            url = f"/projects/{project.pk}/import/"
            reply = browser.send("POST", url, body, {"Content-Type": MULTIPART_CONTENT})[0]
            replies.append((reply.status_code, reply.content.decode()))

    assert [status for status, _ in replies] == [200, 200]
    read, refused = ImportFile.objects.order_by("position")
    assert (read.name, read.error) == ("entretien.txt", "")
    assert read.text == text.replace("\r\n", "\n").strip()  # line ends and the last one as stored
    assert refused.name == "trop.txt" and refused.error
    assert "trop.txt" in replies[1][1]
    assert ImportFile.objects.count() == 2
