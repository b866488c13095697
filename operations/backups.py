"""Backups with PostgreSQL's own tools: `manage.py backup FILE` and `manage.py restore FILE`.

A backup is `pg_dump --format=custom` of the whole database: schema, triggers and data, so the
invariants of `*/0002_invariants.py` come back with the rows. A restore goes into an empty
database only (never over live data), in one transaction, then `migrate` brings it up to the
installed code. pg_restore creates the triggers after loading the rows, so restoring writes no
audit events and keeps the stored text snapshots as they were. docs/operations.md tells the
procedure.

A backup leaves out the rows that are secrets or litter rather than research (EXCLUDED_DATA): their
tables come back empty, so a restored database works and nobody's session or login history travels
in a file. The file is readable by its owner only (0600) from the moment it exists.
"""

import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.db import connection
from psycopg.conninfo import make_conninfo

from interviews.models import ImportBatch, ImportFile

# Tables whose rows a backup leaves out (their structure stays):
# - sessions: each key logs its holder in, as long as it has not expired;
# - the login throttle's records (django-axes): usernames tried and the addresses they came from;
# - unconfirmed imports: drafts deleted after VERBATIM_IMPORT_DRAFT_HOURS anyway, and their
#   replacement reports name the real people the pseudonyms stand for.
EXCLUDED_DATA = [
    Session,
    AccessAttempt,
    AccessAttemptExpiration,
    AccessFailureLog,
    AccessLog,
    ImportBatch,
    ImportFile,
]


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def tool(name: str) -> str:
    """pg_dump or pg_restore: VERBATIM_PG_BIN's if set, else the newer of the one on PATH and the
    embedded cluster's own (pgserver ships them). Newer is what matters: pg_dump refuses a server
    newer than itself, pg_restore a dump made by a newer pg_dump."""
    if folder := os.environ.get("VERBATIM_PG_BIN"):
        return str(Path(folder) / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver's platformdirs warning, as in verbatim.database
        from pgserver._commands import POSTGRES_BIN_PATH
    candidates = [found for found in (shutil.which(name), POSTGRES_BIN_PATH / name) if found]
    return str(max(candidates, key=_version))


def _version(executable) -> tuple[int, ...]:
    """(16, 2) from "pg_dump (PostgreSQL) 16.2"; () when it does not run."""
    try:
        result = subprocess.run([executable, "--version"], capture_output=True, text=True)
    except OSError:
        return ()
    found = re.search(r"(\d+)\.(\d+)", result.stdout)
    return tuple(map(int, found.groups())) if found else ()


def _conninfo_and_env(database: dict) -> tuple[str, dict]:
    """libpq's connection string for `database`, and the environment carrying its password (not
    on the command line, where `ps` would show it)."""
    params = {k: v for k, v in database.get("OPTIONS", {}).items() if isinstance(v, str)}
    params.update(dbname=database["NAME"], user=database.get("USER") or None)
    params.update(host=database.get("HOST") or params.get("host"), port=database.get("PORT"))
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    return make_conninfo(**{k: v for k, v in params.items() if v}), env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed:\n{result.stderr.strip()}")


def backup(path: Path) -> None:
    """Dump the database to `path`, all or nothing: pg_dump writes into a new file that only its
    owner may read (mkstemp creates it 0600, so no other user ever sees it readable), which then
    replaces `path`; a failed dump leaves no file behind."""
    if not path.parent.is_dir():
        raise BackupError(f"No folder {path.parent} to write the backup in.")
    conninfo, env = _conninfo_and_env(connection.settings_dict)
    command = [tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    command += [f"--exclude-table-data={model._meta.db_table}" for model in EXCLUDED_DATA]
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                result = subprocess.run(
                    [*command, f"--dbname={conninfo}"], env=env, stdout=out, stderr=subprocess.PIPE
                )
            except OSError as error:
                raise BackupError(f"pg_dump could not run: {error}") from None
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()
            raise BackupError(f"pg_dump failed:\n{stderr}")
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def tables_in_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        return cursor.fetchone()[0]


def restore(path: Path) -> None:
    """Load a backup into this empty database, all or nothing."""
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    if tables := tables_in_database():
        raise BackupError(
            f"The database « {connection.settings_dict['NAME']} » is not empty ({tables} tables): "
            "restore into a new, empty database (createdb), never over a live one."
        )
    connection.close()  # pg_restore is the only writer from here on
    conninfo, env = _conninfo_and_env(connection.settings_dict)
    command = [tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, "--single-transaction", f"--dbname={conninfo}", str(path)], env)
