"""Where Verbatim's PostgreSQL is: DATABASE_URL, or a cluster the app runs itself.

Without DATABASE_URL, the `pgserver` package runs PostgreSQL from a wheel in a project-local, git-ignored
folder (.pgdata, or VERBATIM_PGDATA). It starts on first use, is shared by every process of the checkout
(dev server, tests, management commands) and stops when the last of them exits.

The web server supervises it (`supervise`, called by verbatim/wsgi.py, so in the production server's main
process and in runserver): a thread restarts the cluster if its postmaster dies, and `embedded_state` tells
/health/ what is going on meanwhile.
"""

import atexit
import json
import logging
import os
import subprocess
import threading
import warnings
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured

EMBEDDED_DATABASE = "verbatim"
# Django's PostgreSQL backend, its connection check made cheaper (verbatim/postgresql/base.py).
ENGINE = "verbatim.postgresql"
_server = None  # pgserver's handle for this process: it stops the cluster at exit if we are last
_supervisor: threading.Thread | None = None
# Set when this process exits: pgserver's exit hook is stopping the cluster on purpose. A restart
# under way finishes first (_restarting), so that the hook stops the cluster it started.
_exiting = threading.Event()
_restarting = threading.Lock()
_watcher_pid = 0  # the process whose thread watches


def _stop_watching() -> None:
    if os.getpid() != _watcher_pid:
        return  # a forked worker inherits the hook, not the thread (nor a lock it may hold)
    with _restarting:
        _exiting.set()


SUPERVISOR_FILE = "verbatim-supervisor.json"  # in the cluster's folder: who watches it, and how
SUPERVISE_EVERY = 1.0  # seconds between two looks at the postmaster

logger = logging.getLogger(__name__)


def database_settings(base_dir: Path) -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return settings_from_url(url)
    return _embedded_settings(Path(os.environ.get("VERBATIM_PGDATA", base_dir / ".pgdata")))


def settings_from_url(url: str) -> dict:
    """Django's DATABASES entry for a postgres://user:password@host:port/name?option=value URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// (Verbatim runs on PostgreSQL only), "
            f"not {parts.scheme}://"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL names no database (postgres://…/NAME).")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "ENGINE": ENGINE,
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


def url_from_settings(database: dict) -> str:
    """The DATABASE_URL of a DATABASES entry: what settings_from_url reads back into the same one.

    Lets a child process (the load test's server, a restore) reach exactly the database this one
    uses, embedded cluster and test database included. A unix socket folder travels as ?host=.
    """
    # Only what a URL carries (strings): settings from the environment (a pool) are the child's own.
    options = {k: v for k, v in database.get("OPTIONS", {}).items() if isinstance(v, str)}
    host, port = database.get("HOST") or "", database.get("PORT") or ""
    if host.startswith("/"):
        options["host"], host = host, ""
    user = quote(database.get("USER") or "", safe="")
    if database.get("PASSWORD"):
        user += ":" + quote(database["PASSWORD"], safe="")
    netloc = (user + "@" if user else "") + host + (f":{port}" if port else "")
    # %20 for a space, which libpq decodes (not the + of a form)
    query = f"?{urlencode(options, quote_via=quote)}" if options else ""
    return f"postgres://{netloc}/{quote(database['NAME'], safe='')}{query}"


def _embedded_settings(pgdata: Path) -> dict:
    import psycopg

    global _server
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # only needed without DATABASE_URL

        _server = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri = _server.get_uri()
    with psycopg.connect(uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    options = parse_qs(urlsplit(uri).query)
    return {
        "ENGINE": ENGINE,
        "NAME": EMBEDDED_DATABASE,
        "USER": urlsplit(uri).username or "postgres",
        "HOST": options["host"][0],  # the cluster's unix socket folder
    }


# Supervision of the embedded cluster


def postmaster_state(pgdata: Path) -> str:
    """'running', 'starting' (or recovering), or 'stopped', from the cluster's postmaster.pid.

    A postmaster killed but not yet reaped by its parent (a zombie) is stopped: it serves nothing.
    """
    import psutil

    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        process = psutil.Process(int(lines[0]))
        if process.status() == psutil.STATUS_ZOMBIE:
            return "stopped"
    except (FileNotFoundError, IndexError, ValueError, psutil.NoSuchProcess):
        return "stopped"
    return "running" if len(lines) > 7 and lines[7].strip() == "ready" else "starting"


def _write_state(pgdata: Path, state: str, detail: str = "") -> None:
    path = pgdata / SUPERVISOR_FILE
    partial = path.with_suffix(f".{os.getpid()}")
    partial.write_text(json.dumps({"pid": os.getpid(), "state": state, "detail": detail}))
    partial.replace(path)  # atomic: /health/ never reads half a file


def supervise() -> None:
    """Restart the embedded cluster whenever its postmaster dies, from a thread of this process.

    Without DATABASE_URL only, and once per process. Several processes may supervise one cluster
    (runserver's reloader and its child): pgserver's lock makes one of them restart it.
    """
    global _supervisor, _watcher_pid
    if _server is None or _supervisor is not None:
        return
    _write_state(_server.pgdata, "watching")
    # Registered after pgserver's own exit hook (at get_server), so it runs before it (atexit is
    # last in, first out): the supervisor must not restart the cluster that hook is stopping, or
    # the cluster outlives the server (tests/test_deploy.py caught it, one run in a few).
    _watcher_pid = os.getpid()
    atexit.register(_stop_watching)
    _supervisor = threading.Thread(
        target=_watch, args=(_server,), name="embedded-postgresql-supervisor", daemon=True
    )
    _supervisor.start()


def _watch(server) -> None:
    while not _exiting.wait(SUPERVISE_EVERY):
        with _restarting:
            if postmaster_state(server.pgdata) == "stopped" and not _exiting.is_set():
                _restart(server)


def _restart(server) -> None:
    """Start the cluster again, saying so in the supervisor's file that /health/ reads."""
    logger.warning("The embedded PostgreSQL in %s is not running: restarting it.", server.pgdata)
    _write_state(server.pgdata, "restarting")
    try:
        # pgserver starts it only if it is not running, under its inter-process lock.
        with server._lock:
            server.ensure_postgres_running()
    except (OSError, subprocess.SubprocessError, AssertionError) as error:
        logger.error("Restarting the embedded PostgreSQL failed: %s", error)
        _write_state(server.pgdata, "failed", str(error).splitlines()[0][:200])
    else:
        logger.warning("The embedded PostgreSQL is running again (pid %s).", server.get_pid())
        _write_state(server.pgdata, "watching")


def embedded_state() -> str | None:
    """What /health/ says of the embedded cluster when the database does not answer.

    None with DATABASE_URL. Otherwise 'restarting' (its postmaster died and a supervisor is on it),
    'starting' (it is coming up, or recovering after a crash), 'restart failed: …', or 'stopped'
    (nothing restarts it: not started by bin/dev serve or prod).
    """
    if _server is None:
        return None
    state = postmaster_state(_server.pgdata)
    if state == "starting":
        return "starting"
    try:
        watcher = json.loads((_server.pgdata / SUPERVISOR_FILE).read_text())
        os.kill(watcher["pid"], 0)
    except (OSError, ValueError, KeyError):
        return "stopped" if state == "stopped" else None
    if watcher["state"] == "failed":
        return f"restart failed: {watcher['detail']}"
    return "restarting" if state == "stopped" else None
