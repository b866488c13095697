"""`manage.py backup FILE` and `manage.py restore FILE` (operations/backups.py)."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coding.audit import recorded_as
from coding.models import Coding, CodingEvent
from interviews.models import Interview
from tests.factories import make_code, make_coding
from verbatim.database import url_from_settings

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only

ROOT = Path(__file__).resolve().parents[2]
RESTORED = "verbatim_restore_test"


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
