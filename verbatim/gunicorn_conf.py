"""Gunicorn's settings for Verbatim in production: `gunicorn -c python:verbatim.gunicorn_conf`.

`bin/dev prod` and `manage.py loadtest` start the server this way; docs/operations.md explains the
choices. Everything that varies between machines comes from the environment:

    VERBATIM_BIND        where to listen (127.0.0.1:8000; a reverse proxy faces the network)
    VERBATIM_WORKERS     worker processes (2 × cores + 1)
    VERBATIM_THREADS     threads per worker (4; 1 for gunicorn's plain sync workers)
    VERBATIM_ACCESS_LOG  access log file, "-" for standard output (-), "" for none
"""

import gc
import os

wsgi_app = "verbatim.wsgi:application"
bind = os.environ.get("VERBATIM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("VERBATIM_WORKERS") or 2 * len(os.sched_getaffinity(0)) + 1)
# Threaded workers (gunicorn's gthread): a request waiting on PostgreSQL (a commit, a coding lock)
# leaves its worker free for another, and connections are kept alive between requests. Under the
# load test they carry twice the coding writes of sync workers for less CPU per write
# (docs/operations.md). Each thread keeps its own database connection.
threads = int(os.environ.get("VERBATIM_THREADS") or 4)
# Idle kept-alive connections wait in a poller, not in a thread, so they may stay long: longer than
# the proxy keeps its own side open (nginx's upstream keepalive_timeout, 60 s), or the proxy could
# send a POST on a connection gunicorn just closed and answer 502.
keepalive = 75

# The master loads Django before forking: the embedded PostgreSQL (verbatim.database, when
# DATABASE_URL is unset) is then started once, by the master, and lives as long as it does, instead
# of each worker holding it and the last one to be recycled stopping it under the others.
preload_app = True


def pre_fork(server, worker):
    """Freeze what the master loaded (Django, the apps and their modules: about 100,000 objects)
    out of the garbage collector's sight before each fork, as Python's documentation advises
    (gc.freeze). A worker's collections then never write to those objects, so the memory pages
    holding them stay shared with the master instead of being copied into every worker: five
    workers after 400 requests, 210 MB of memory of their own (PSS) instead of 282."""
    gc.collect()  # what is garbage now would stay frozen for the worker's life
    gc.freeze()


# Recycle workers now and then, so a slow leak in any library never grows without bound.
max_requests = 5000
max_requests_jitter = 500
# An import of a .zip of transcripts is the longest request: it reads and stores them all.
# A thread stuck past it is not stopped by gunicorn (threaded workers): PostgreSQL's statement
# timeout bounds the queries of web processes instead (VERBATIM_WEB_STATEMENT_TIMEOUT, settings.py).
timeout = 120
# Set in the master before the app is preloaded: settings.py reads it (web statement timeout).
raw_env = ["VERBATIM_WEB_PROCESS=1"]
graceful_timeout = 30

accesslog = os.environ.get("VERBATIM_ACCESS_LOG", "-") or None
# The usual combined format, plus the time spent in milliseconds (%(M)s): slow requests stand out.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
errorlog = "-"

# Gunicorn 27's control socket sits at one path per user: two servers (a load test beside the
# real one) would fight over it, and systemd's signals already do what it offers.
control_socket_disable = True
