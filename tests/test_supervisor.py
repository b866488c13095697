"""The embedded PostgreSQL is supervised by the web server: killed, it comes back by itself, and
/health/ says what is going on meanwhile (verbatim.database.supervise, embedded_state)."""

import http.client
import os
import signal
import time
from pathlib import Path

import pytest

from benchmarks.loadtest import Server
from verbatim.database import postmaster_state

TRIES = 300  # polls of /health/, a tenth of a second apart at most: a bound, not a wait


def health(server: Server) -> tuple[int, str]:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/health/", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read().decode().strip()
    except OSError as error:  # the server itself must keep answering: fail loudly
        pytest.fail(f"the web server stopped answering: {error}")


def poll(server: Server, done) -> list[tuple[int, str]]:
    """/health/'s answers until `done(answer)` holds, at most TRIES of them."""
    answers = []
    for _ in range(TRIES):
        answers.append(health(server))
        if done(answers[-1]):
            return answers
        time.sleep(0.1)
    pytest.fail(f"/health/ never got there: {answers[-5:]}\n{server.log_tail()}")


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


@pytest.mark.parametrize("how", ["SIGKILL", "immediate stop"])
def test_a_killed_embedded_postgresql_is_restarted_and_the_app_recovers(own_pgdata, how):
    pgdata = own_pgdata
    env = {"DATABASE_URL": None, "VERBATIM_PGDATA": str(pgdata), "DJANGO_HTTPS": "0"}
    with Server(workers=1, threads=2, env=env) as server:
        assert health(server) == (200, "ok")
        first = postmaster_pid(pgdata)

        # An immediate stop is the SIGQUIT `pg_ctl -m immediate stop` sends. Not pg_ctl itself: it
        # then waits for the pid file to go, and when the supervisor had started the cluster again
        # within pg_ctl's tenth of a second between looks, it waited on the new postmaster for its
        # full minute and failed (CI, one run in many).
        os.kill(first, signal.SIGKILL if how == "SIGKILL" else signal.SIGQUIT)

        # While it is down, /health/ says so and why; then, by itself, it is up again.
        answers = poll(server, lambda answer: answer[0] == 503)
        # Before the supervisor notices the death, the answer cannot say why yet.
        reasons = {"", ": restarting", ": starting"}
        assert answers[-1][1] in {f"database unavailable{reason}" for reason in reasons}
        # Up again: a new postmaster, and the app reaches it (an "ok" alone could still come
        # from a connection whose backend has not yet noticed its postmaster died).
        poll(
            server,
            lambda answer: (
                answer == (200, "ok")
                and postmaster_state(pgdata) == "running"
                and postmaster_pid(pgdata) != first
            ),
        )
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/login/", headers={"Host": "127.0.0.1"})
        assert conn.getresponse().status == 200
        # The supervisor says what it did (it may finish its sentence just after /health/ is ok).
        for _ in range(TRIES):
            log = server.log.read_text()
            if "is running again" in log:
                break
            time.sleep(0.1)
        assert "restarting it" in log and "is running again" in log, log


def test_the_supervisor_does_not_restart_the_cluster_its_process_stops_at_exit(
    tmp_path, monkeypatch
):
    """At exit, pgserver's own hook stops the cluster: the supervisor, told first (atexit runs last
    in, first out), must not start it again, or the cluster outlives the server."""
    import threading
    from contextlib import nullcontext
    from types import SimpleNamespace

    from verbatim import database

    restarts = []
    server = SimpleNamespace(
        pgdata=tmp_path,  # no postmaster.pid: the cluster is stopped
        _lock=nullcontext(),
        ensure_postgres_running=lambda: restarts.append(time.monotonic()),
        get_pid=lambda: 0,
    )
    monkeypatch.setattr(database, "SUPERVISE_EVERY", 0.01)
    monkeypatch.setattr(database, "_watcher_pid", os.getpid())  # as supervise() sets it

    monkeypatch.setattr(database, "_exiting", threading.Event())
    database._stop_watching()  # the process is exiting
    quiet = threading.Thread(target=database._watch, args=(server,), daemon=True)
    quiet.start()
    quiet.join(timeout=10)
    assert not quiet.is_alive() and restarts == []

    monkeypatch.setattr(database, "_exiting", threading.Event())
    watcher = threading.Thread(target=database._watch, args=(server,), daemon=True)
    watcher.start()
    for _ in range(TRIES):  # while the process lives, a stopped cluster is started again
        if restarts:
            break
        time.sleep(0.01)
    assert restarts, "the supervisor did not restart a stopped cluster"
    database._stop_watching()
    watcher.join(timeout=10)
    assert not watcher.is_alive()

    # A forked worker inherits the exit hook but not the thread: there the hook does nothing.
    monkeypatch.setattr(database, "_exiting", threading.Event())
    monkeypatch.setattr(database, "_watcher_pid", os.getpid() + 1)
    database._stop_watching()
    assert not database._exiting.is_set()
