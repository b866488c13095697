"""The production server: Granian serving Verbatim's WSGI application (`python -m verbatim.server`).

`bin/dev prod` and `manage.py loadtest` start the server this way; docs/operations.md explains the
choices. Everything that varies between machines comes from the environment:

    VERBATIM_BIND        where to listen: host:port (127.0.0.1:8000) or unix:/path; a reverse proxy
                         faces the network
    VERBATIM_WORKERS     worker processes (2 × cores + 1)
    VERBATIM_THREADS     threads per worker that run requests (4)
    VERBATIM_ACCESS_LOG  access log: "-" for standard output (-), a file's path, "" for none

Granian, not gunicorn: its HTTP side is Rust (hyper), and a request reaches Django without the
hand-overs of gunicorn's threaded worker (a poller thread passing each request to a pool thread and
back through a pipe). Any request costs 0.2–0.6 ms less over loopback; /health/ on one kept-alive
connection 1.08–1.15 → 0.74–0.83 ms (docs/benchmarks.md, issue 21).

Granian 2.8 at least: 2.7 took a streamed answer (a recording, an export) from Django as fast as
Django gave it and kept what the client had not read yet in the worker's memory, so a browser
playing a 2 GB video from its start would grow its worker by 2 GB. 2.8 takes only a few pieces more
than the client has read (tests/test_deploy.py). Its workers each listen on a socket of their own
(SO_REUSEPORT) on TCP: when one is replaced, connections the kernel had queued for it are reset
unless `net.ipv4.tcp_migrate_req=1` (Granian warns at start); on a unix socket they share one.
"""

import copy
import gc
import importlib
import os
import sys
from pathlib import Path

APPLICATION = "verbatim.wsgi:application"

# An idle kept-alive connection is closed once it has waited this long for its next request's
# headers (hyper's header read timeout; 60 s is Granian's longest). The proxy must close its own
# side sooner (nginx's upstream keepalive_timeout, 50 s in docs/operations.md), or it could send a
# POST on a connection just closed here and answer 502.
IDLE_MS = 60_000
# Recycle a worker whose memory grows past this (MiB of resident memory, shared pages included):
# a slow leak in any library never grows without bound. A worker serves in about 90 MiB; a
# 50,000-excerpt spreadsheet export adds about 100.
MAX_RSS_MIB = 1024
# A worker asked to stop (SIGTERM, a recycling) finishes its requests for this long, then is killed.
GRACE_SECONDS = 30
ACCESS_LOG_FORMAT = (
    '%(addr)s [%(time)s] "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms'
)


def options(environ=os.environ) -> dict:
    """Granian's settings from this environment (the keyword arguments of `granian.Granian`)."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    bind = environ.get("VERBATIM_BIND", "127.0.0.1:8000")
    if bind.startswith("unix:"):
        where = {"uds": Path(bind.removeprefix("unix:"))}
    else:
        host, _, port = bind.rpartition(":")
        where = {"address": host or "127.0.0.1", "port": int(port)}
    return {
        **where,
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,  # the proxy speaks HTTP/1.1 to its upstreams
        "websockets": False,
        "workers": int(environ.get("VERBATIM_WORKERS") or 2 * len(os.sched_getaffinity(0)) + 1),
        # A request waiting on PostgreSQL (a commit, a coding lock), or a long one (a recording
        # streamed in), leaves the other threads of its worker free. Each thread keeps its own
        # database connection; Granian hands requests to the threads it has started in turn,
        # which costs a request 0.4-0.8 ms against one thread (docs/benchmarks.md).
        "blocking_threads": int(environ.get("VERBATIM_THREADS") or 4),
        # Granian stops a thread idle this long (at most 600 s); its connection and the statements
        # prepared on it go with it, so the next request would connect and plan them again.
        "blocking_threads_idle_timeout": 600,
        "http1_settings": HTTP1Settings(header_read_timeout=IDLE_MS, keep_alive=True),
        "respawn_failed_workers": True,
        "workers_max_rss": MAX_RSS_MIB,
        "workers_kill_timeout": GRACE_SECONDS,
        **_access_log(environ.get("VERBATIM_ACCESS_LOG", "-")),
    }


def _access_log(where: str) -> dict:
    """The usual fields and the time spent in milliseconds: slow requests stand out."""
    if not where:
        return {"log_access": False}
    found = {"log_access": True, "log_access_format": ACCESS_LOG_FORMAT}
    if where != "-":
        from granian.log import LOGGING_CONFIG  # Granian's own, its access lines sent to the file

        config = copy.deepcopy(LOGGING_CONFIG)
        config["handlers"]["access"] = {
            "formatter": "access",
            "class": "logging.FileHandler",
            "filename": where,
        }
        found["log_dictconfig"] = config
    return found


def preload(target: str = APPLICATION):
    """Load the application in this process, before the workers are forked from it, then freeze
    what was loaded (Django, the apps and their modules: about 100,000 objects) out of the garbage
    collector's sight, as Python's documentation advises (gc.freeze). A worker's collections then
    never write to those objects, so the memory pages holding them stay shared with this process
    instead of being copied into every worker.

    Loading verbatim.wsgi here also starts the embedded PostgreSQL (when DATABASE_URL is unset)
    once, in this process, which supervises it and stops it at exit, instead of each worker holding
    it and the last one to be recycled stopping it under the others (verbatim/database.py)."""
    module, _, name = target.partition(":")
    application = getattr(importlib.import_module(module), name)
    gc.collect()  # what is garbage now would stay frozen for the workers' life
    gc.freeze()
    return application


def main(argv: list[str] | None = None) -> None:
    """Serve `argv[0]` (a WSGI application as module:name; Verbatim's unless given)."""
    from granian import Granian

    target = (argv or [APPLICATION])[0]
    # Web processes say so (settings.py: the web statement timeout), workers as this process.
    os.environ["VERBATIM_WEB_PROCESS"] = "1"
    preload(target)
    Granian(target, **options()).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
