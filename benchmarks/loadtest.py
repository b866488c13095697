"""K simulated researchers against the production server, then an audit of what they wrote.

`manage.py loadtest --users K --duration SECONDS` (benchmarks/management/commands/loadtest.py) runs it:

1. `prepare`: researchers loadtest-1…K join the synthetic project, with none of their codings left
   from an earlier run.
2. `Server`: the production server (verbatim/server.py, static files collected into a temporary
   folder) on a free port of 127.0.0.1, against this process's own database.
3. `Researcher` threads: each logs in through the login form, opens an interview and, until the
   deadline, applies codes to passages of participants' turns, removes some of its codings, polls
   for changes every 20 s and moves to another interview now and then; no think time. Each one
   only ever codes passages that neither overlap nor touch its own codings of the same code, so the
   merge rule of coding_apply never applies and every acknowledged apply is one new
   coding. Traffic goes to 127.0.0.1 only, and every loop is bounded by the deadline.
4. `verify`: after the server stopped, the database must hold exactly the acknowledged codings
   (created and not removed), once each, the audit trail exactly one event per acknowledged write,
   and nothing else may have changed.
5. `withdraw`: the researchers' codings, audit events and memberships are removed.
"""

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psutil
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Count, Max, Sum
from django.urls import reverse

from benchmarks.bench import percentile
from benchmarks.synthetic import PASSWORD
from coding.audit import recorded_as
from coding.models import Code, Coding, CodingEvent
from interviews.models import Membership, Project, Speaker, Turn
from verbatim.database import url_from_settings

ROOT = Path(__file__).resolve().parent.parent
USERNAME = "loadtest-{}"
REMOVE_SHARE = 0.25  # of actions, when the researcher has a coding of its own to remove here
MOVE_SHARE = 0.03  # of actions: open another interview
POLL_SECONDS = 20  # as the workspace's hx-trigger="every 20s"
REQUEST_TIMEOUT = 60
KINDS = ("login", "first-open", "open", "apply", "remove", "poll")
FAILURES = (OSError, http.client.HTTPException)  # what a request may raise: refused, reset, timeout
# What a kept-alive connection the server already closed raises, before any byte of an answer.
STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


# --- Preparation --------------------------------------------------------------------------------


@dataclass
class Page:
    """What a researcher needs of an interview: its id, text and participants' turns."""

    interview_id: int
    text: str
    turns: list[tuple[int, int]]


def prepare(project: Project, users: int) -> list:
    """Researchers loadtest-1…K in the project, without codings in it (their previous run's)."""
    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once: hashing is slow on purpose
    researchers = []
    for n in range(1, users + 1):
        user, _ = User.objects.update_or_create(
            username=USERNAME.format(n), defaults={"password": password, "is_active": True}
        )
        Membership.objects.update_or_create(
            project=project, user=user, defaults={"role": Membership.Role.RESEARCHER}
        )
        researchers.append(user)
    leftovers = Coding.objects.filter(interview__project=project, coder__in=researchers)
    for user in researchers:
        with recorded_as(user):
            leftovers.filter(coder=user).delete()
    return researchers


def withdraw(project: Project, researchers) -> None:
    """Leave the project as the run found it, once audited: the researchers' codings, their audit
    events and their memberships go (their accounts stay, for the next run). Left there, a bench run
    on the same corpus met interviews coded twice over (docs/benchmarks.md, twenty-ninth round)."""
    for user in researchers:
        with recorded_as(user):
            Coding.objects.filter(interview__project=project, coder=user).delete()
    CodingEvent.objects.filter(project_id=project.pk, actor__in=researchers).delete()
    Membership.objects.filter(project=project, user__in=researchers).delete()


def pages(project: Project, limit: int) -> list[Page]:
    """The first `limit` interviews with a participant's turn: the researchers spread over them."""
    turns = Turn.objects.filter(speaker__role=Speaker.Role.PARTICIPANT)
    with_turns = project.interviews.filter(pk__in=turns.values("interview_id"))
    interviews = list(with_turns.order_by("pk").only("id", "text")[:limit])
    participant_turns = defaultdict(list)
    rows = turns.filter(interview__in=interviews).values_list("interview_id", "start", "end")
    for interview_id, start, end in rows:
        participant_turns[interview_id].append((start, end))
    return [Page(i.pk, i.text, participant_turns[i.pk]) for i in interviews]


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """Verbatim's production server (verbatim/server.py), on 127.0.0.1, for the time of a `with`."""

    def __init__(
        self,
        *,
        workers: int,
        threads: int = 1,
        env: dict | None = None,
        app: str | None = None,
        root: Path = ROOT,
    ):
        # `root`: the code to serve (another checkout, for before/after comparisons); `app`: the WSGI
        # application to serve as module:name, when not Verbatim's own (the HTTP bench's timed one).
        self.root, self.app = Path(root), app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads
        self.extra_env = env or {}
        # The collected static files and the server's log, removed at the end.
        self.folder = tempfile.TemporaryDirectory(prefix="verbatim-loadtest-")
        self.log = Path(self.folder.name) / "server.log"
        self.process = None
        self._sigterm = None  # the handler of SIGTERM before ours

    def environment(self) -> dict:
        """This process's environment, pointed at this server; `env` entries that are None unset."""
        env = {
            **os.environ,
            # This process's own database (the test database, under pytest).
            "DATABASE_URL": url_from_settings(connection.settings_dict),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "VERBATIM_BIND": f"127.0.0.1:{self.port}",
            "VERBATIM_WORKERS": str(self.workers),
            "VERBATIM_THREADS": str(self.threads),
            "VERBATIM_ACCESS_LOG": "",  # its writing would be timed too
            "VERBATIM_STATIC_ROOT": str(Path(self.folder.name) / "static"),
            **self.extra_env,
        }
        return {name: value for name, value in env.items() if value is not None}

    def __enter__(self) -> "Server":
        if threading.current_thread() is threading.main_thread():
            # A kill of this process unwinds through __exit__ too, so the server never outlives it.
            self._sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        env = self.environment()
        manage = [sys.executable, str(self.root / "manage.py")]
        subprocess.run(
            [*manage, "collectstatic", "--no-input", "-v", "0"], env=env, cwd=self.root, check=True
        )
        with self.log.open("w") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                self.command(),
                env=env,
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def command(self) -> list[str]:
        app = [self.app] if self.app else []
        if (self.root / "verbatim" / "server.py").exists():
            return [sys.executable, "-m", "verbatim.server", *app]
        # A checkout from before Granian (a before/after comparison across that change) is served
        # as it was then, by gunicorn, if it is installed.
        return [sys.executable, "-m", "gunicorn", "-c", "python:verbatim.gunicorn_conf", *app]

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.folder.cleanup()
        if self._sigterm is not None:
            signal.signal(signal.SIGTERM, self._sigterm)

    def _wait_until_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", reverse("login"))
                if conn.getresponse().status < 500:  # a redirect to HTTPS is an answer too
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {seconds} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Gracefully: requests in flight finish and commit before the database is audited."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            # The server's grace for its workers (30 s), then its exit hook stops the
            # embedded cluster, whose shutdown checkpoint a busy machine can slow: a kill before
            # that would leave the cluster running (tests/test_deploy.py checks it does not).
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# --- A simulated researcher ---------------------------------------------------------------------

STATUS_ERROR = re.compile(r'id="workspace-status" class="status error"')
CODING_IDS = re.compile(r'data-codings="([\d ]+)"')
SINCE = re.compile(r'id="since" value="(\d+)"')
FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Run:
    """What the researchers share: where the server is and when the timed part starts and ends."""

    base: str
    project_id: int
    code_ids: list[int]
    duration: float
    ready: threading.Barrier
    https: bool
    think: float = 0.0
    start: float = 0.0
    deadline: float = 0.0
    cpu_start: dict = field(default_factory=dict)  # cpu_seconds() when the clock starts
    cpu_end: dict = field(default_factory=dict)  # and once every researcher stopped


@dataclass
class Tally:
    """One researcher's requests and what the server acknowledged."""

    timings: dict = field(default_factory=lambda: defaultdict(list))  # kind -> seconds
    errors: Counter = field(default_factory=Counter)  # kind -> failed requests
    error_samples: list = field(default_factory=list)
    writes: list = field(default_factory=list)  # monotonic times of acknowledged writes
    created: int = 0
    removed: int = 0
    # (interview, code, start, end) -> coding id (None when the answer did not name it)
    live: dict = field(default_factory=dict)
    unsure_created: set = field(default_factory=set)  # keys of applies that failed mid-way
    unsure_removed: set = field(default_factory=set)  # keys of removes that failed mid-way


class Researcher(threading.Thread):
    def __init__(self, n: int, user, pages: list[Page], run: Run):
        super().__init__(name=f"researcher-{n}", daemon=True)
        self.user, self.pages, self.shared = user, pages, run
        self.rng = random.Random(f"verbatim-loadtest:{n}")
        self.page_index = (n - 1) % len(pages)
        self.tally = Tally()
        self.cookies: dict[str, str] = {}
        self.since = "0"
        self.seen: set[int] = set()  # coding ids already named by the server
        self.host, self.port = run.base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(self.host, int(self.port), timeout=REQUEST_TIMEOUT)

    @property
    def page(self) -> Page:
        return self.pages[self.page_index]

    def run(self) -> None:
        # Logging in and the first page come before the clock starts: PBKDF2 is slow on purpose,
        # and K logins at once queue behind each other. A researcher who fails there is counted
        # and sits the run out; the others go on.
        ready = self.login() and self.open("first-open")
        self.shared.ready.wait()
        last_poll = time.monotonic()
        while ready and time.monotonic() < self.shared.deadline:
            self.step()
            if time.monotonic() - last_poll >= POLL_SECONDS:
                self.poll()
                last_poll = time.monotonic()
            if self.shared.think:
                time.sleep(self.shared.think)

    def step(self) -> None:
        roll = self.rng.random()
        removable = [k for k, v in self.tally.live.items() if k[0] == self.page.interview_id and v]
        if roll < MOVE_SHARE:
            self.page_index = (self.page_index + 1 + self.rng.randrange(3)) % len(self.pages)
            self.open()
        elif removable and roll < MOVE_SHARE + REMOVE_SHARE:
            self.remove(self.rng.choice(removable))
        else:
            self.apply()

    # The requests

    def login(self) -> bool:
        form = {"username": self.user.username, "password": PASSWORD}
        try:
            status, body = self.request("login", "GET", reverse("login"))
            if token := FORM_TOKEN.search(body):
                form["csrfmiddlewaretoken"] = token[1]
                status, _ = self.request("login", "POST", reverse("login"), form)
        except FAILURES as error:
            self._failed("login", error)
            return False
        if status != 302 or "sessionid" not in self.cookies:
            self._failed("login", f"refused: status {status}")
            return False
        return True

    def open(self, kind: str = "open") -> bool:
        url = reverse("coding:workspace", args=[self.shared.project_id, self.page.interview_id])
        try:
            status, body = self.request(kind, "GET", f"{url}?coders=mine")
        except FAILURES as error:
            self._failed(kind, error)
            return False
        since = SINCE.search(body)
        if status != 200 or not since:
            self._failed(kind, f"status {status}")
            return False
        self.since = since[1]
        self.seen.update(self._ids(body))
        return True

    def apply(self) -> None:
        passage = self.free_passage()
        if passage is None:
            self._failed("apply", "found no free passage to code")
            return
        code_id, start, end = passage
        key = (self.page.interview_id, code_id, start, end)
        url = reverse("coding:apply-code", args=[self.shared.project_id, self.page.interview_id])
        data = {"start": start, "end": end, "code": code_id, "since": self.since, "coders": "mine"}
        body = self._write("apply", url, data, key, self.tally.unsure_created)
        if body is None:
            return
        new = self._ids(body) - self.seen
        self.seen |= new
        self.tally.live[key] = max(new) if len(new) == 1 else None
        self.tally.created += 1

    def remove(self, key: tuple) -> None:
        coding_id = self.tally.live[key]
        url = reverse(
            "coding:remove-coding", args=[self.shared.project_id, self.page.interview_id, coding_id]
        )
        data = {"since": self.since, "coders": "mine"}
        if self._write("remove", url, data, key, self.tally.unsure_removed) is None:
            return
        del self.tally.live[key]
        self.tally.removed += 1

    def poll(self) -> None:
        url = reverse("coding:changes", args=[self.shared.project_id, self.page.interview_id])
        query = urlencode({"since": self.since, "coders": "mine"})
        try:
            status, body = self.request("poll", "GET", f"{url}?{query}", htmx=True)
        except FAILURES as error:
            self._failed("poll", error)
            return
        if status not in (200, 204):
            self._failed("poll", f"status {status}")
        elif since := SINCE.search(body):
            self.since = since[1]

    def _write(self, kind: str, url: str, data: dict, key: tuple, unsure: set) -> str | None:
        """POST an action; its body when the server acknowledged it, else None."""
        try:
            status, body = self.request(kind, "POST", url, data, htmx=True)
        except FAILURES as error:  # a timeout or a reset: it may or may not have been written
            unsure.add(key)
            self._failed(kind, error)
            return None
        if status != 200 or STATUS_ERROR.search(body):
            if status >= 500:
                unsure.add(key)
            self._failed(kind, f"status {status}: {_status_line(body)}")
            return None
        if since := SINCE.search(body):
            self.since = since[1]
        self.tally.writes.append(time.monotonic())
        return body

    def request(self, kind: str, method: str, url: str, data=None, *, htmx=False):
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "fr"}
        if self.shared.https:  # as the reverse proxy says it (SECURE_PROXY_SSL_HEADER)
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            scheme = "https" if self.shared.https else "http"
            headers["Origin"] = f"{scheme}://{self.host}:{self.port}"
            headers["X-CSRFToken"] = self.cookies.get(settings.CSRF_COOKIE_NAME, "")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(data or {})
        if htmx:
            headers["HX-Request"] = "true"
        started = time.perf_counter()
        reused = self.conn.sock is not None
        try:
            response, content = self._exchange(method, url, body, headers)
        except STALE:
            if not reused:
                raise
            # The server closed this kept-alive connection (idle, or its worker recycled) before
            # reading the request, so nothing happened: send it again on a new one, as browsers do.
            response, content = self._exchange(method, url, body, headers)
        self.tally.timings[kind].append(time.perf_counter() - started)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
        return response.status, content

    def _exchange(self, method: str, url: str, body, headers: dict):
        try:
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
            return response, response.read().decode()
        except FAILURES:
            self.conn.close()  # a fresh connection for the next request
            raise

    def free_passage(self) -> tuple[int, int, int] | None:
        """A code and a passage of a participant's turn, cut at spaces, that neither overlaps nor
        touches this researcher's codings with that code (so no merge: one apply, one coding)."""
        text = self.page.text
        for _attempt in range(100):
            turn_start, turn_end = self.rng.choice(self.page.turns)
            start = self.rng.randint(turn_start, max(turn_start, turn_end - 40))
            start = max(turn_start, text.rfind(" ", turn_start, start) + 1)
            end = min(turn_end, start + self.rng.randint(40, 400))
            space = text.find(" ", end, turn_end)
            end = turn_end if space == -1 else space
            code_id = self.rng.choice(self.shared.code_ids)
            if end <= start or not text[start:end].strip():
                continue
            if not any(
                i == self.page.interview_id and c == code_id and s <= end and e >= start
                for i, c, s, e in self.tally.live
            ):
                return code_id, start, end
        return None

    def _ids(self, body: str) -> set[int]:
        return {int(i) for ids in CODING_IDS.findall(body) for i in ids.split()}

    def _failed(self, kind: str, error) -> None:
        self.tally.errors[kind] += 1
        if len(self.tally.error_samples) < 3:
            self.tally.error_samples.append(f"{kind}: {error}")


def _status_line(body: str) -> str:
    found = re.search(r'id="workspace-status"[^>]*>([^<]*)<', body)
    return found[1] if found else body[:120]


# --- The run ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    users: int
    duration: float
    start: float  # monotonic time the timed part began
    tallies: list[Tally]
    problems: list[str]  # what the audit found wrong; empty when every write is accounted for
    stored: int  # acknowledged codings found in the database
    server_log: str = ""
    cpu: dict = field(default_factory=dict)  # CPU seconds of the timed part: app, database

    def cpu_ms_per_write(self) -> dict[str, float]:
        return {k: round(v * 1000 / self.writes, 1) for k, v in self.cpu.items() if self.writes}

    @property
    def writes(self) -> int:
        return sum(t.created + t.removed for t in self.tallies)

    @property
    def failed(self) -> int:
        return sum(sum(t.errors.values()) for t in self.tallies)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failed


def load_test(
    project: Project, *, users: int, duration: float, workers: int, threads: int = 1, think=0.0
) -> Outcome:
    """Prepare, serve, drive `users` researchers for `duration` seconds, stop, then audit."""
    researchers = prepare(project, users)
    before = snapshot(project, researchers)
    with Server(workers=workers, threads=threads) as server:
        run, researcher_threads = drive(project, researchers, server, duration, think)
        server.stop()  # requests in flight finish and commit before the audit
        server_log = server.log_tail()
    problems, stored = verify(project, researchers, researcher_threads, before)
    withdraw(project, researchers)
    return Outcome(
        users=users,
        duration=duration,
        start=run.start,
        tallies=[t.tally for t in researcher_threads],
        problems=problems,
        stored=stored,
        server_log=server_log,
        cpu={k: v - run.cpu_start[k] for k, v in run.cpu_end.items() if k in run.cpu_start},
    )


def drive(project: Project, researchers, server: Server, duration: float, think: float):
    """Run the researchers against the server until `duration` seconds after they are all ready."""
    all_pages = pages(project, limit=len(researchers) + 10)
    if not all_pages:
        raise RuntimeError(f"« {project.name} » has no interview with a participant's turn.")

    # Looked up here: the barrier's action runs in whichever thread arrives last, and a query from
    # a researcher's thread would leave a connection open in it.
    database = postmaster_pid()

    def begin():  # run by the barrier once everyone arrived, before anyone goes on
        run.start = time.monotonic()
        run.deadline = run.start + duration
        run.cpu_start = cpu_seconds(server, database)

    run = Run(
        base=server.url,
        project_id=project.pk,
        code_ids=list(Code.objects.filter(project=project).values_list("pk", flat=True)),
        duration=duration,
        # Everyone logs in and opens an interview first; then the clock starts for all.
        ready=threading.Barrier(len(researchers) + 1, action=begin),
        https=settings.SECURE_PROXY_SSL_HEADER is not None,
        think=think,
    )
    threads = [Researcher(n, user, all_pages, run) for n, user in enumerate(researchers, 1)]
    for thread in threads:
        thread.start()
    run.ready.wait(timeout=600)
    for thread in threads:
        thread.join(timeout=duration + REQUEST_TIMEOUT + 30)
    run.cpu_end = cpu_seconds(server, database)
    return run, threads


def postmaster_pid() -> int | None:
    """The pid of PostgreSQL's postmaster when it runs on this machine (a local socket), else None."""
    if not (connection.settings_dict.get("HOST") or "/").startswith("/"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    return backend.ppid() if backend.name() == "postgres" else None


def cpu_seconds(server: Server, database: int | None) -> dict[str, float]:
    """CPU time used so far by the server ("app": the server's main process and workers) and by PostgreSQL
    when it runs on this machine ("database": the postmaster `database` and its backends).
    Processes that already exited count too (their parent's children_* times), so recycled
    workers and closed connections are not lost."""
    found = {"app": _tree_cpu(server.process.pid)}
    if database is not None:
        found["database"] = _tree_cpu(database)
    return found


def _tree_cpu(pid: int) -> float:
    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:  # exited meanwhile: its parent counts it once reaped
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def snapshot(project: Project, researchers) -> dict:
    """What must not change: other coders' codings and events, as counts and sums."""
    others = Coding.objects.filter(interview__project=project).exclude(coder__in=researchers)
    return {
        "codings": others.aggregate(
            n=Count("id"), ids=Sum("id"), starts=Sum("start"), ends=Sum("end"), at=Max("updated_at")
        ),
        "last_event": CodingEvent.objects.aggregate(m=Max("id"))["m"] or 0,
    }


def verify(project: Project, researchers, threads, before: dict) -> tuple[list[str], int]:
    """Problems found in the database, and how many acknowledged codings are stored."""
    problems = []
    expected = Counter()
    unsure_created, unsure_removed, known_ids = set(), set(), {}
    acknowledged = Counter()  # (actor, action) -> count
    for thread in threads:
        uid, tally = thread.user.pk, thread.tally
        expected.update((uid, *key) for key in tally.live)
        unsure_created |= {(uid, *key) for key in tally.unsure_created}
        unsure_removed |= {(uid, *key) for key in tally.unsure_removed}
        known_ids |= {cid: (uid, *key) for key, cid in tally.live.items() if cid}
        acknowledged[uid, "create"] += tally.created
        acknowledged[uid, "delete"] += tally.removed
    rows = Coding.objects.filter(interview__project=project, coder__in=researchers)
    stored = {
        row[0]: row[1:]
        for row in rows.values_list("id", "coder_id", "interview_id", "code_id", "start", "end")
    }
    actual = Counter(stored.values())
    lost = [k for k in expected if not actual[k] and k not in unsure_removed]
    duplicated = sum(n - 1 for n in actual.values() if n > 1)
    unexpected = [k for k in actual if k not in expected and k not in unsure_created]
    misnamed = [cid for cid, key in known_ids.items() if stored.get(cid) != key]
    for count, what in [
        (len(lost), "acknowledged codings lost"),
        (duplicated, "codings stored twice"),
        (len(unexpected), "codings stored that no acknowledged request made"),
        (len(misnamed), "codings whose id, as the server named it, holds another passage"),
    ]:
        if count:
            problems.append(f"{count} {what}")
    problems += _audit_problems(researchers, before, acknowledged, unsure_created, unsure_removed)
    after = snapshot(project, researchers)
    if after["codings"] != before["codings"]:
        problems.append("other coders' codings changed during the run")
    return problems, sum(1 for k in expected if actual[k])


def _audit_problems(researchers, before, acknowledged, unsure_created, unsure_removed) -> list:
    ids = {user.pk for user in researchers}
    events = Counter(
        CodingEvent.objects.filter(id__gt=before["last_event"]).values_list("actor_id", "action")
    )
    problems = []
    foreign = sum(n for (actor, _), n in events.items() if actor not in ids)
    if foreign:
        problems.append(f"{foreign} audit events by someone else during the run")
    updates = sum(n for (actor, action), n in events.items() if action == "update")
    if updates:
        problems.append(f"{updates} codings changed instead of created (a merge happened)")
    for action, unsure in (("create", unsure_created), ("delete", unsure_removed)):
        logged = sum(n for (actor, a), n in events.items() if a == action and actor in ids)
        acked = sum(n for (actor, a), n in acknowledged.items() if a == action)
        if not acked <= logged <= acked + len(unsure):
            problems.append(f"{logged} {action} events in the audit trail for {acked} acknowledged")
    return problems


def latencies(outcome: Outcome) -> list[dict]:
    """Per request type: count, p50 / p95 / max in ms, failures."""
    rows = []
    for kind in KINDS:
        times = [t * 1000 for tally in outcome.tallies for t in tally.timings.get(kind, [])]
        failed = sum(tally.errors[kind] for tally in outcome.tallies)
        if times or failed:
            p50, p95 = percentile(times, 50), percentile(times, 95)
            top = max(times) if times else None
            row = {"name": kind, "n": len(times), "p50_ms": p50, "p95_ms": p95, "max_ms": top}
            rows.append({**{k: _round(v) for k, v in row.items()}, "failed": failed})
    return rows


def summary(outcome: Outcome) -> str:
    lines = [f"{'request':<10} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'failed':>7}"]
    for row in latencies(outcome):
        cells = [_fmt(row[k]) for k in ("p50_ms", "p95_ms", "max_ms")]
        lines.append(
            f"{row['name']:<10} {row['n']:>7} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8} "
            f"{row['failed']:>7}"
        )
    created = sum(t.created for t in outcome.tallies)
    removed = sum(t.removed for t in outcome.tallies)
    lines.append(
        f"\nCoding writes: {outcome.writes} acknowledged ({created} applied, {removed} removed) "
        f"in {outcome.duration:g} s by {outcome.users} researchers: "
        f"{outcome.writes / outcome.duration:.1f} writes/s; slowest 10 s: "
        f"{slowest_window(outcome):.1f} writes/s."
    )
    if per_write := outcome.cpu_ms_per_write():
        shares = ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_write.items())
        lines.append(f"Server CPU per coding write (every request of the run counted): {shares}.")
    return "\n".join(lines)


def slowest_window(outcome: Outcome, width: float = 10.0) -> float:
    """Writes per second in the worst `width`-second window of the run: the sustained rate."""
    times = sorted(t for tally in outcome.tallies for t in tally.writes)
    if not times or outcome.duration < width:
        return len(times) / outcome.duration if outcome.duration else 0.0
    start = outcome.start
    windows = int(outcome.duration // width)
    counts = Counter(min(int((t - start) // width), windows - 1) for t in times)
    return min(counts.get(i, 0) for i in range(windows)) / width


def _round(value):
    return round(value, 1) if isinstance(value, float) else value


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
