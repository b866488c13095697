"""`manage.py backup FILE` and `manage.py restore FILE` (operations/backups.py)."""

import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coding.audit import recorded_as
from coding.models import Coding, CodingEvent
from interviews.models import Interview
from operations import backups
from tests.factories import make_code, make_coding
from verbatim.database import url_from_settings

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only

ROOT = Path(__file__).resolve().parents[2]
# One per pytest worker: two tests restoring at once (--dist=worksteal) must not share it.
RESTORED = f"verbatim_restore_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture
def empty_database():
    """A new, empty database on the same server, dropped afterwards."""
    admin = {**connection.settings_dict, "NAME": "postgres"}
    with psycopg.connect(url_from_settings(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORED}"')
        conn.execute(f'CREATE DATABASE "{RESTORED}"')
    yield url_from_settings({**connection.settings_dict, "NAME": RESTORED})
    with psycopg.connect(url_from_settings(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')


@pytest.fixture
def coded(interview, rita):
    code = make_code(interview.project)
    with recorded_as(rita):
        return make_coding(interview, code, rita, 16, 22)


def manage(*args, database_url: str):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_a_backup_restores_into_an_empty_database_with_its_rows_and_invariants(
    tmp_path, coded, empty_database
):
    backup = tmp_path / "verbatim.dump"
    call_command("backup", str(backup), stdout=StringIO())

    result = manage("restore", str(backup), database_url=empty_database)

    assert result.returncode == 0, result.stderr
    assert "1 projects, 1 interviews, 1 codings" in result.stdout
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute("SELECT id, text, coder_id FROM coding_coding").fetchall()
        events = conn.execute("SELECT count(*) FROM coding_codingevent").fetchone()[0]
        # The triggers came back: a stored transcript still refuses to change.
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="cannot change"):
            conn.execute(
                "UPDATE interviews_interview SET text = 'x' WHERE id = %s", [coded.interview_id]
            )
    assert rows == [(coded.pk, coded.text, coded.coder_id)]
    # Restoring wrote no audit event of its own: the trail is the original one.
    assert events == CodingEvent.objects.count()


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, coded):
    backup = tmp_path / "verbatim.dump"
    call_command("backup", str(backup), stdout=StringIO())

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup))

    assert Coding.objects.count() == 1 and Interview.objects.count() == 1


def test_restore_names_a_missing_backup(tmp_path):
    with pytest.raises(CommandError, match="No backup at"):
        call_command("restore", str(tmp_path / "nothing.dump"))


def dumped_sql(backup: Path) -> str:
    """The backup as SQL text (a custom-format dump is compressed: read it through pg_restore)."""
    result = subprocess.run(
        [backups.tool("pg_restore"), "--file=-", str(backup)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_backup_holds_no_session_and_no_login_record(tmp_path, coded, client, rita):
    client.force_login(rita)  # a session row, committed
    session_key = client.session.session_key
    client.post("/login/", {"username": "rita", "password": "wrong"})  # a throttle record
    assert Session.objects.filter(session_key=session_key).exists()
    assert AccessAttempt.objects.filter(username="rita").exists()
    backup = tmp_path / "verbatim.dump"

    call_command("backup", str(backup), stdout=StringIO())

    sql = dumped_sql(backup)
    assert coded.text in sql  # the research data is there...
    assert session_key not in sql  # ...the session is not,
    assert "CREATE TABLE public.django_session" in sql  # though its table is
    assert "COPY public.axes_accessattempt" not in sql


def test_a_backup_is_readable_by_its_owner_only_from_the_start(tmp_path, coded):
    backup = tmp_path / "verbatim.dump"
    backup.write_bytes(b"an older backup, world-readable")
    backup.chmod(0o644)
    old_umask = os.umask(0o022)  # the usual umask, which would make a new file 0644
    try:
        call_command("backup", str(backup), stdout=StringIO())
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.read_bytes().startswith(b"PGDMP")  # replaced, not appended to
    assert [p.name for p in tmp_path.iterdir()] == ["verbatim.dump"]  # no partial file left


def test_a_failed_backup_leaves_no_file(tmp_path, coded, monkeypatch):
    monkeypatch.setenv("VERBATIM_PG_BIN", str(tmp_path / "no-such-folder"))
    with pytest.raises(CommandError, match="pg_dump could not run"):
        call_command("backup", str(tmp_path / "verbatim.dump"), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


def test_a_restored_database_has_an_empty_sessions_table_and_logs_in(
    tmp_path, coded, client, rita, empty_database
):
    client.force_login(rita)
    backup = tmp_path / "verbatim.dump"
    call_command("backup", str(backup), stdout=StringIO())

    result = manage("restore", str(backup), database_url=empty_database)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT count(*) FROM django_session").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM axes_accessattempt").fetchone() == (0,)
    # A login on the restored database works: it is accepted and writes its session.
    check = manage(
        "shell",
        "-c",
        "from django.test import Client; from django.contrib.sessions.models import Session; "
        "c = Client(HTTP_HOST='localhost'); "
        "r = c.post('/login/', {'username': 'rita', 'password': 'pw-for-tests'}); "
        "print(r.status_code, Session.objects.count())",
        database_url=empty_database,
    )
    assert check.stdout.splitlines()[-1] == "302 1", check.stderr
