"""The hot paths over HTTP, as a browser meets them: `manage.py bench --http`.

The in-process bench (benchmarks/bench.py) says where the time goes inside Django; this one says
what a researcher waits for. It starts the production server (Granian with verbatim/server.py,
benchmarks.loadtest.Server) on a free port of 127.0.0.1, signs the synthetic users in through the
login form, and sends each path's requests as the pages send them: the same request builders as the
in-process bench (the workspace's `since` and coder filter, `HX-Request`, the CSRF token from the
cookie in `X-CSRFToken`, `Origin`), plus what every browser sends (`Accept-Encoding: gzip, br`, a
kept-alive connection, `Accept-Language`).

Per path: the client's time from sending the request to the last byte of the body (p50, p95), the
server's own time for the same requests (benchmarks/timed_wsgi.py: from the call of the application
to the close of its response, streamed bodies included), and the bytes on the wire (compressed when
the server compresses) beside the page's own size. With `before`, a second server runs another
checkout of the code (say `git worktree add /tmp/verbatim-before main`) against the same
database, and each path's requests alternate between the two, so that both see the same load.
"""

import gzip
import http.client
import re
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from benchmarks import bench, loadtest, synthetic

# The paths issue 21 times over HTTP, in the order of its table, with the codebook that the
# interview page loads as soon as it is shown and the project's page.
PATHS = [
    "health",
    "apply_code",
    "remove_coding",
    "open_interview",
    "open_interview_changed",
    "codebook_counts",
    "project_page",
    "open_long",
    "excerpts_first_page",
    "review_queue",
    "export_csv_code",
    "export_csv",
    "export_xlsx",
]
FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TAG = "X-Bench-Request"  # names each request in the server's times (benchmarks/timed_wsgi.py)
TIMED_APP = "benchmarks.timed_wsgi:application"
TIMEOUT = 120
# The busy moment before anything is timed (busy_moment): connections at once, requests on each.
BUSY_CONNECTIONS = 16
BUSY_REQUESTS = 20
# Seconds a kept-alive connection rests before the next request opens a new one, as a browser does:
# the server closes it after 60 (verbatim/server.py), and a user whose paths come late in a long run at L
# (the supervisor's queue) found it closed.
IDLE = 30


@dataclass
class Reply:
    """What the bench's `after` checks read of a response (as of Django's test client's)."""

    status_code: int
    content: bytes  # decoded
    wire: int  # body bytes as they travelled


class Browser:
    """One signed-in user on one kept-alive connection to one server."""

    tags = count(1)  # shared: a tag names one request across every server's log

    def __init__(self, server: loadtest.Server, username: str):
        self.server, self.username = server, username
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.answered = time.monotonic()  # when the connection last answered

    def login(self) -> None:
        page = self.send("GET", reverse("login"))[0]
        token = FORM_TOKEN.search(page.content.decode())
        form = {"username": self.username, "password": synthetic.PASSWORD}
        form["csrfmiddlewaretoken"] = token[1] if token else ""
        reply = self.send("POST", reverse("login"), form)[0]
        if reply.status_code != 302 or "sessionid" not in self.cookies:
            raise bench.BenchError(f"{self.username} could not sign in ({reply.status_code})")

    def send(self, method: str, url: str, data=None, headers=None) -> tuple[Reply, float, int]:
        """The reply, the client's time in seconds, and the request's tag."""
        tag = next(self.tags)
        base = f"http://127.0.0.1:{self.server.port}"
        sent = {
            "Host": f"127.0.0.1:{self.server.port}",
            "Accept-Language": "fr",
            "Accept-Encoding": "gzip, deflate, br, zstd",
            TAG: str(tag),
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method.upper() == "POST":
            sent["Origin"] = base
            sent["X-CSRFToken"] = self.cookies.get(settings.CSRF_COOKIE_NAME, "")
            # Bytes are a body already encoded (a multipart upload), its Content-Type in `headers`.
            if isinstance(data, bytes):
                body = data
            else:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
                body = urlencode(data or {}, doseq=True)
        if time.monotonic() - self.answered > IDLE:
            self.conn.close()  # the next request connects again
        started = time.perf_counter()
        try:
            self.conn.request(method.upper(), url, body=body, headers=sent)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        elapsed = time.perf_counter() - started
        self.answered = time.monotonic()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()
        return Reply(response.status, _decoded(response, raw), len(raw)), elapsed, tag


def _decoded(response, raw: bytes) -> bytes:
    encoding = response.headers.get("Content-Encoding", "")
    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "deflate":
        return zlib.decompress(raw)
    if encoding:
        raise bench.BenchError(f"unexpected Content-Encoding {encoding}")
    return raw


@dataclass
class Figures:
    """One path on one server."""

    times: list[float] = field(default_factory=list)  # client side, seconds
    tags: list[int] = field(default_factory=list)  # of the timed requests, for the server's times
    server_times: list[float] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)  # "worker:thread" that ran the timed requests
    wire: int | None = None  # bytes of the last body as sent
    size: int | None = None  # and decoded
    error: str = ""

    def as_json(self) -> dict:
        return {
            "n": len(self.times),
            "p50_ms": bench._ms(bench.percentile(self.times, 50)),
            "p95_ms": bench._ms(bench.percentile(self.times, 95)),
            "p99_ms": bench._ms(bench.percentile(self.times, 99)),
            "server_p50_ms": bench._ms(bench.percentile(self.server_times, 50)),
            "server_p95_ms": bench._ms(bench.percentile(self.server_times, 95)),
            "server_threads": len(self.threads),
            "wire_bytes": self.wire,
            "bytes": self.size,
            "error": self.error or None,
        }


@dataclass
class Side:
    """A server under test and its signed-in users."""

    name: str  # "new" (this checkout) or "before"
    server: loadtest.Server
    log: Path
    browsers: dict = field(default_factory=dict)  # id(test client) -> Browser
    figures: dict = field(default_factory=dict)  # path name -> Figures


def server_for(root: Path, folder: Path, name: str, export_rows: int, workers: int, threads: int):
    log = folder / f"times-{name}.txt"
    env = {
        "VERBATIM_BENCH_TIMES": str(log),
        # The 10,000-excerpt downloads themselves, not the page offering a background job.
        "VERBATIM_EXPORT_JOB_ROWS": str(export_rows),
    }
    # A checkout from before the timed application (a before/after comparison) has no server times.
    app = TIMED_APP if (Path(root) / "benchmarks" / "timed_wsgi.py").exists() else None
    server = loadtest.Server(workers=workers, threads=threads, env=env, app=app, root=root)
    return Side(name, server, log)


def run(
    ctx: bench.Context,
    options: bench.Settings,
    *,
    before: Path | None = None,
    workers: int = 2,
    threads: int = 4,
    log=print,
) -> dict[str, dict[str, Figures]]:
    """{side name: {path name: Figures}} for this checkout ("new") and, with `before`, the other."""
    export_rows = max(settings.VERBATIM_EXPORT_JOB_ROWS, 2 * ctx.export_count)
    with tempfile.TemporaryDirectory(prefix="verbatim-bench-http-") as folder:
        roots = [("new", loadtest.ROOT)] + ([("before", Path(before))] if before else [])
        sides = [
            server_for(root, Path(folder), name, export_rows, workers, threads)
            for name, root in roots
        ]
        started = []
        try:
            for side in sides:
                side.server.__enter__()
                started.append(side)
                _sign_in(ctx, side)
                busy_moment(side.server)
            for name in PATHS:
                if options.only and name not in options.only:
                    continue
                _run_path(ctx, name, sides, options)
                log(f"  {name}: " + ", ".join(_summary(s.name, s.figures[name]) for s in sides))
        finally:
            for side in started:
                side.server.__exit__(None, None, None)
            bench.cleanup(ctx)
        for side in sides:
            _server_times(side)
    return {side.name: side.figures for side in sides}


def _sign_in(ctx: bench.Context, side: Side) -> None:
    users = {
        id(ctx.researcher): ctx.researcher_user.username,
        id(ctx.supervisor): synthetic.SUPERVISOR,
        id(ctx.admin): synthetic.ADMIN,
    }
    for key, username in users.items():
        browser = Browser(side.server, username)
        browser.login()
        side.browsers[key] = browser


def busy_moment(server: loadtest.Server) -> None:
    """Requests at once from several connections, before anything is timed, as a team's day brings.

    Granian starts a worker's further threads only when requests wait for its first one, keeps them
    while they are used, and from then on hands each request to the thread that has waited
    longest: in turn, each thread with its own database connection, each maybe last run on the
    other core. A bench sending one request at a time would never leave a worker's first thread,
    which a team's server, after any moment of two requests at once, never returns to. Measured
    without this, pages took about 0.6 ms less than a server in use gives (docs/benchmarks.md,
    thirtieth round)."""

    def send(_):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            for _ in range(BUSY_REQUESTS):
                conn.request("GET", reverse("health"), headers={"Host": f"127.0.0.1:{server.port}"})
                conn.getresponse().read()
        finally:
            conn.close()

    with ThreadPoolExecutor(BUSY_CONNECTIONS) as pool:
        list(pool.map(send, range(BUSY_CONNECTIONS)))


def _run_path(ctx: bench.Context, name: str, sides: list[Side], options: bench.Settings) -> None:
    path = next(p for p in bench.PATHS if p.name == name)
    for side in sides:
        side.figures[name] = Figures()
    started = time.perf_counter()
    runs = 0
    while runs < options.warmup + options.runs and (
        runs < options.warmup + 3 or time.perf_counter() - started < options.budget
    ):
        # Interleaved, so that both servers meet the same moment of the machine; in turns, so that
        # neither is always the one sent first after the bench's own work between requests.
        for side in sides if runs % 2 == 0 else sides[::-1]:
            figures = side.figures[name]
            if figures.error:
                continue
            try:
                reply, elapsed, tag = _send(side, path.request(ctx))
            except (bench.BenchError, OSError, http.client.HTTPException) as error:
                figures.error = str(error) or type(error).__name__
                continue
            figures.wire, figures.size = reply.wire, len(reply.content)
            if runs >= options.warmup:
                figures.times.append(elapsed)
                figures.tags.append(tag)
        runs += 1


def _send(side: Side, request: bench.Request) -> tuple[Reply, float, int]:
    browser = side.browsers[id(request.client)]
    # The test client's token is not this browser's: the browser sends its own.
    headers = {k: v for k, v in request.headers.items() if k.lower() != "x-csrftoken"}
    reply, elapsed, tag = browser.send(request.method, request.url, request.data, headers)
    if reply.status_code >= 400:
        raise bench.BenchError(f"HTTP {reply.status_code}")
    if request.after:
        request.after(reply)
    return reply, elapsed, tag


def _server_times(side: Side) -> None:
    """The server's own time for each timed request, and the threads that ran them."""
    found = read_times(side.log)
    for figures in side.figures.values():
        figures.server_times = [found[tag][0] for tag in figures.tags if tag in found]
        figures.threads = {found[tag][1] for tag in figures.tags if tag in found and found[tag][1]}


def read_times(path: Path) -> dict[int, tuple[float, str | None]]:
    """Tag -> (seconds, "worker:thread") from a times file (benchmarks/timed_wsgi.py: tag,
    microseconds, worker:thread; a checkout from before the threads writes no third). A line still
    being written has no newline yet and is left out."""
    found = {}
    lines = path.read_text().split("\n")[:-1] if path.exists() else []
    for line in lines:
        tag, micros, *ran = line.split()
        if tag.isdigit() and micros.isdigit():
            found[int(tag)] = (int(micros) / 1e6, ran[0] if ran else None)
    return found


def _summary(name: str, figures: Figures) -> str:
    if figures.error:
        return f"{name} error: {figures.error}"
    p50 = bench.percentile(figures.times, 50)
    return f"{name} {len(figures.times)} runs, p50 {bench._fmt(bench._ms(p50))} ms"


# --- Reporting ---------------------------------------------------------------------------------

TARGETS = {  # issue 21: p50 over HTTP on loopback, ms (and KB on the wire)
    "health": "(what any request pays: the floor over HTTP)",
    "apply_code": "≤ 4",
    "remove_coding": "≤ 4",
    "open_interview": "≤ 15, ≤ 150 KB",
    "open_interview_changed": "≤ 15 (its transcript built, not cached)",
    "codebook_counts": "(none named: the codebook the interview page loads beside it)",
    "project_page": "(none named: where every member starts)",
    "open_long": "server < 1,000, < 5 MB",
    "excerpts_first_page": "≤ 8",
    "review_queue": "≤ 10",
    "export_csv_code": "≤ 10",
    "export_csv": "≤ 100",
    "export_xlsx": "≤ 400",
}


def table(sides: dict[str, dict[str, Figures]], in_process: list[bench.Result]) -> str:
    """One row per path and server: client p50/p95/p99, server p50 and the threads that ran the
    requests, bytes, beside in-process and floor."""
    process = {r.name: r for r in in_process}
    header = ["path", "server", "n", "p50", "p95", "p99", "server p50", "threads"]
    header += ["wire KB", "page KB"]
    header += ["in-process p50", "floor p50", "target"]
    rows = [header]
    for name in PATHS:
        for side, paths in sides.items():
            if name not in paths:
                continue
            f, row = paths[name], paths[name].as_json()
            r = process.get(name)
            in_process = r.as_json() if r else {}
            rows.append(
                [
                    name,
                    side,
                    str(row["n"]),
                    bench._fmt(row["p50_ms"]),
                    bench._fmt(row["p95_ms"]),
                    bench._fmt(row["p99_ms"]),
                    bench._fmt(row["server_p50_ms"]),
                    str(row["server_threads"] or "—"),
                    _kb(f.wire),
                    _kb(f.size),
                    bench._fmt(in_process.get("p50_ms")),
                    bench._fmt(in_process.get("floor_p50_ms")),
                    f"error: {f.error}" if f.error else TARGETS[name],
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            + [cell.rjust(width) for cell, width in zip(row[2:-1], widths[2:-1], strict=True)]
            + [row[-1]]
        ).rstrip()
        for row in rows
    )


def _kb(size: int | None) -> str:
    return "—" if size is None else f"{size / 1024:,.1f}"
