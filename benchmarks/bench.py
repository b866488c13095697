"""The benchmark harness behind `manage.py bench` (docs/benchmarks.md says how to read it).

Each hot path is requested many times through Django's whole stack with the test client, in process:
URL resolution, every middleware (sessions, authentication, CSRF, locale, htmx), the view, its
queries and template rendering, with a logged-in member's session. Server time is the wall time for
`client.get/post` to return, response body included; it leaves out only the HTTP server and the
network. Beside each path, its floor: the same data fetched (or written) by one hand-written SQL
statement through a separate psycopg connection, i.e. what PostgreSQL itself needs.

Paths whose URL name does not resolve yet are reported as "not built yet" (their floor is still
measured). The URL names and parameters of paths other issues are building are guesses, kept in
`PATHS` below: adjust them there when the feature lands.
"""

import http.client
import io
import math
import random
import re
import shutil
import statistics
import tempfile
import time
import tracemalloc
import wave
import zipfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path as FilePath
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Max
from django.db.models.functions import Abs
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse

from analysis import queries as analysis_queries
from benchmarks import synthetic
from coding import workspace
from coding.audit import recorded_as
from coding.models import Code, Coding, TextChange
from exchange import exporting, placeholders, plans, refi
from exchange.models import Placeholder
from interviews.models import (
    Attribute,
    ImportBatch,
    Interview,
    Project,
    Recording,
    Speaker,
    Turn,
)
from interviews.transcripts import parse_turns
from interviews.views import INTERVIEWS_PER_PAGE
from jobs import runner

TARGET_CODINGS = 500  # open_interview uses the interview whose number of codings is closest
EXPORT_EXCERPTS = 10_000
IMPORT_FILES = 20
PAGE = 50  # rows of a first page, for the floors
SEARCH_WORDS = "naloxone"
# The real NVivo export of shared/refi-qda/samples (beside the clone, or beside its worktrees).
NVIVO_SAMPLE = next(
    (
        folder / "shared/refi-qda/samples/nvivo-win-12.6_oltas.qdpx"
        for folder in (FilePath(settings.BASE_DIR).parent, FilePath(settings.BASE_DIR).parents[1])
        if (folder / "shared/refi-qda/samples/nvivo-win-12.6_oltas.qdpx").is_file()
    ),
    None,
)


@dataclass
class Request:
    """One request of a path: what to send, and what to do (untimed) with the response."""

    method: str
    url: str
    client: Client
    data: dict | None = None
    headers: dict = field(default_factory=dict)
    after: Callable | None = None
    then: "Request | None" = None  # a path of several requests (upload, then confirm) times all
    # What the user waits for after the answer, timed with it: the background job it queued.
    work: Callable[[], None] | None = None


@dataclass
class Floor:
    sql: str
    params: list | dict
    after: Callable | None = None  # receives the fetched rows, untimed


@dataclass
class Result:
    name: str
    status: str = "ok"  # or "not built yet", or "error: …"
    note: str = ""
    times: list[float] = field(default_factory=list)  # seconds
    floor_times: list[float] = field(default_factory=list)
    queries: int | None = None
    bytes: int | None = None  # of the response body (uncompressed), in the last warm-up run
    peak_mb: float | None = None
    floor_peak_mb: float | None = None
    captured: list[dict] = field(default_factory=list)  # SQL of one request, for --explain

    @property
    def n(self) -> int:
        return len(self.times)

    def as_json(self) -> dict:
        row = {
            "name": self.name,
            "n": self.n,
            "p50_ms": _ms(percentile(self.times, 50)),
            "p95_ms": _ms(percentile(self.times, 95)),
            "max_ms": _ms(max(self.times, default=None)),
            "queries": self.queries,
            "bytes": self.bytes,
            "floor_p50_ms": _ms(percentile(self.floor_times, 50)),
            "floor_n": len(self.floor_times),
            "status": self.status,
        }
        if self.note:
            row["note"] = self.note
        if self.peak_mb is not None or self.floor_peak_mb is not None:
            row["peak_mb"] = _round(self.peak_mb)
            row["floor_peak_mb"] = _round(self.floor_peak_mb)
        return row


def percentile(values: list[float], pct: int) -> float | None:
    """Nearest-rank percentile: p95 of 20 runs is the 19th fastest, an observed value."""
    if not values:
        return None
    if pct == 50:
        return statistics.median(values)
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _round(value: float | None) -> float | None:
    # Two decimals: a small floor's peak (tens of kB) would round to 0.0 MB with one.
    return None if value is None else round(value, 2)


# --- The corpus and the users ------------------------------------------------------------------


@dataclass
class Context:
    project: Project
    interview: Interview  # ~TARGET_CODINGS codings
    interview_codings: int
    researcher: Client
    supervisor: Client
    admin: Client
    code: Code  # the most used code: its excerpts have many pages
    export_codes: list[int]  # codes whose excerpts add up to about EXPORT_EXCERPTS
    export_count: int
    attribute: Attribute
    attribute_value: str
    rng: random.Random
    researcher_user: object = None
    researcher_id: int = 0
    turns: list[tuple[int, int]] = field(default_factory=list)
    code_ids: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # codings apply_code made, for remove_coding
    # (coders, interviews) → the coder ids and interview ids the agreement paths compare.
    agreement: dict = field(default_factory=dict)
    floor_created: list[int] = field(default_factory=list)
    csrf: dict = field(default_factory=dict)
    qdpx: bytes | None = None  # the project's own export, made once for import_qdpx
    import_fields: dict = field(default_factory=dict)  # file name → the preview form's fields
    imports: int = 0
    csv_code: Code | None = None  # a code with about one interview's worth of excerpts
    long: Interview | None = None  # the long interview (synthetic.long_interview), own project
    # seek_recording's 90-minute WAV, in a temporary MEDIA_ROOT removed by cleanup.
    recording: Recording | None = None
    media: override_settings | None = None
    media_folder: str = ""


def project_for_size(size: synthetic.Size, *, seed: int, log) -> Project:
    project = Project.objects.filter(name=synthetic.project_name(size)).first()
    if project is None:
        log(f"No « {synthetic.project_name(size)} » yet: generating it.")
        project = synthetic.synthesize(size, seed=seed, log=log).project
    return project


def build_context(project: Project, *, seed: int, log=print) -> Context:
    interview = _bench_interview(project, seed, log)
    codes = list(
        Code.objects.filter(project=project).annotate(n=Count("codings")).order_by("-n", "pk")
    )
    export_codes, export_count = [], 0
    for code in reversed(codes):  # least used first, so the sum lands close to the target
        if export_count + code.n <= EXPORT_EXCERPTS:
            export_codes.append(code.pk)
            export_count += code.n
    attribute = Attribute.objects.get(project=project, name="Milieu d'intervention")
    value = (
        attribute.values.values_list("text", flat=True).order_by("text").first() or "Travail de rue"
    )
    turns = Turn.objects.filter(
        interview=interview, speaker__role=Speaker.Role.PARTICIPANT
    ).values_list("start", "end")
    users = {u.username: u for u in project.members.all()}
    context = Context(
        project=project,
        interview=interview,
        interview_codings=interview.coding_count,
        researcher=_client(users[synthetic.CODERS[0]]),
        supervisor=_client(users[synthetic.SUPERVISOR]),
        admin=_client(users[synthetic.ADMIN]),
        code=codes[0],
        export_codes=export_codes,
        export_count=export_count,
        attribute=attribute,
        attribute_value=value,
        rng=random.Random(seed),
        researcher_user=users[synthetic.CODERS[0]],
        researcher_id=users[synthetic.CODERS[0]].pk,
        turns=list(turns),
        code_ids=[c.pk for c in codes],
        csv_code=min(codes, key=lambda code: (abs(code.n - TARGET_CODINGS), code.pk)),
    )
    # A named size benchmarks the long interview of issue 14; a tiny test corpus, a tiny one.
    named = synthetic.SIZES.get(project.name.removeprefix("Synthetic ")) is not None
    long = {} if named else {"characters": 20_000, "codings": 100}
    context.long = synthetic.long_interview(seed=seed, log=log, **long)
    return context


def _bench_interview(project: Project, seed: int, log=print) -> Interview:
    """The interview with about TARGET_CODINGS codings: of a named size, the one the generator
    planned so (synthetic.allocate), whatever runs since added or merged away; its codings today
    would pick another one after a few hundred applies and removes (a page of 208 KB in one run,
    427 KB in the next). Of a custom size, the nearest today."""
    interviews = project.interviews.defer("text").annotate(coding_count=Count("codings"))
    size = synthetic.SIZES.get(project.name.removeprefix("Synthetic "))
    if size is not None:
        planned = synthetic.allocate(size.codings, size.interviews, seed)
        index = min(range(len(planned)), key=lambda i: (abs(planned[i] - TARGET_CODINGS), i))
        found = interviews.filter(source_name=synthetic.source_name(index)).first()
        if found is not None:
            if abs(found.coding_count - planned[index]) > planned[index] // 10:
                log(
                    f"Warning: the benchmark's interview has {found.coding_count} codings where"
                    f" {planned[index]} were generated (runs stopped halfway, or a load test):"
                    " `manage.py synthesize --size NAME --replace` makes the project anew."
                )
            return found
    distance = Abs(F("coding_count") - TARGET_CODINGS)
    return interviews.annotate(distance=distance).order_by("distance", "pk").first()


def _client(user) -> Client:
    """A logged-in browser: a real session, CSRF checks on (the token is sent as htmx sends it)."""
    hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
    host = hosts[0] if hosts else "localhost"
    # A view's exception becomes a 500 row in the table rather than the end of the benchmark.
    client = Client(
        enforce_csrf_checks=True, raise_request_exception=False, secure=True, SERVER_NAME=host
    )
    client.force_login(user)
    return client


def _csrf_headers(client: Client, project: Project) -> dict:
    if settings.CSRF_COOKIE_NAME not in client.cookies:
        client.get(reverse("interviews:project-detail", args=[project.pk]))
    token = client.cookies.get(settings.CSRF_COOKIE_NAME)
    return {"X-CSRFToken": token.value} if token else {}


# --- The paths ---------------------------------------------------------------------------------

HTMX = {"HX-Request": "true"}
FORM = "application/x-www-form-urlencoded"


def health(ctx: Context) -> Request:
    """What every request pays before its own work: the server, the middleware and one round trip
    (/health/ reads no session and renders nothing). Over HTTP, the floor of every other path."""
    return Request("get", reverse("health"), ctx.researcher)


def open_interview(ctx: Context) -> Request:
    url = reverse("coding:workspace", args=[ctx.project.pk, ctx.interview.pk])
    return Request("get", url, ctx.researcher)


def open_interview_changed(ctx: Context) -> Request:
    """The interview page as first opened after its codings changed: a coding is added (untimed)
    before each request, so the transcript's HTML cannot come from coding.workspace's cache."""
    _add_coding(ctx)
    return open_interview(ctx)


def open_long(ctx: Context) -> Request:
    url = reverse("coding:workspace", args=[ctx.long.project_id, ctx.long.pk])
    return Request("get", url, ctx.researcher)


def project_page(ctx: Context) -> Request:
    """The project's page, where every member starts: its first page of interviews, each with
    its attributes and codings (the member's and everyone's)."""
    return Request(
        "get", reverse("interviews:project-detail", args=[ctx.project.pk]), ctx.researcher
    )


def codebook_counts(ctx: Context) -> Request:
    url = reverse("coding:codebook", args=[ctx.project.pk])
    return Request("get", f"{url}?interview={ctx.interview.pk}", ctx.researcher, headers=HTMX)


def apply_code(ctx: Context) -> Request:
    url = reverse("coding:apply-code", args=[ctx.project.pk, ctx.interview.pk])
    start, end, code_id = _random_selection(ctx)

    def after(response):
        created = (
            Coding.objects.filter(
                interview=ctx.interview, coder_id=ctx.researcher_id, code_id=code_id, start=start
            )
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if created is None:
            raise BenchError(f"the request created no coding (status {response.status_code})")
        ctx.created.append(created)

    data = {"start": start, "end": end, "code": code_id, "since": _since(ctx)}
    headers = HTMX | _csrf(ctx, ctx.researcher)
    return Request("post", url, ctx.researcher, data=data, headers=headers, after=after)


def remove_coding(ctx: Context) -> Request:
    coding_id = ctx.created.pop() if ctx.created else _coding_to_remove(ctx)
    url = reverse("coding:remove-coding", args=[ctx.project.pk, ctx.interview.pk, coding_id])

    def after(response):
        if Coding.objects.filter(pk=coding_id).exists():
            raise BenchError(f"the coding is still there (status {response.status_code})")

    headers = HTMX | _csrf(ctx, ctx.researcher)
    data = {"since": _since(ctx)}
    return Request("post", url, ctx.researcher, data=data, headers=headers, after=after)


def excerpts_first_page(ctx: Context) -> Request:
    url = reverse("excerpts:list", args=[ctx.project.pk])
    return Request("get", f"{url}?code={ctx.code.pk}", ctx.researcher)


def excerpts_filtered(ctx: Context) -> Request:
    url = reverse("excerpts:list", args=[ctx.project.pk])
    query = f"code={ctx.code.pk}&attribute={ctx.attribute.pk}&value={ctx.attribute_value}"
    return Request("get", f"{url}?{query}", ctx.researcher)


def search(ctx: Context) -> Request:
    url = reverse("search:search", args=[ctx.project.pk])
    return Request("get", f"{url}?q={SEARCH_WORDS}", ctx.researcher)


def review_queue(ctx: Context) -> Request:
    url = reverse("review:queue", args=[ctx.project.pk])
    return Request("get", url, ctx.supervisor)


def export_csv_code(ctx: Context) -> Request:
    url = reverse("exports:excerpts", args=[ctx.project.pk])
    return Request("get", f"{url}?format=csv&code={ctx.csv_code.pk}", ctx.researcher)


def export_csv(ctx: Context) -> Request:
    url = reverse("exports:excerpts", args=[ctx.project.pk])
    codes = "&".join(f"code={pk}" for pk in ctx.export_codes)
    return Request("get", f"{url}?format=csv&{codes}", ctx.researcher)


def export_xlsx(ctx: Context) -> Request:
    url = reverse("exports:excerpts", args=[ctx.project.pk])
    codes = "&".join(f"code={pk}" for pk in ctx.export_codes)
    return Request("get", f"{url}?format=xlsx&{codes}", ctx.researcher)


AGREEMENT = (2, 20)  # coders, interviews: the agreement table the issue times at M
AGREEMENT_LARGE = (3, 200)  # and at L


def _agreement_selection(ctx: Context, coders: int, interviews: int) -> tuple[list, list]:
    """The `coders` synthetic coders who coded the most interviews together, and up to
    `interviews` of those interviews (in title order): each interview of the synthetic corpus has
    2–4 of its 4 coders, a third of their codings on passages another coded too."""
    key = (coders, interviews)
    if key not in ctx.agreement:
        pairs = (
            Coding.objects.filter(interview__project=ctx.project)
            .values_list("interview_id", "coder_id")
            .distinct()
            .order_by()
        )
        by_interview: dict[int, set] = {}
        for interview_id, coder_id in pairs:
            by_interview.setdefault(interview_id, set()).add(coder_id)
        candidates = sorted({c for found in by_interview.values() for c in found})
        best = max(
            combinations(candidates, coders),
            key=lambda combo: sum(set(combo) <= found for found in by_interview.values()),
            default=(),
        )
        shared = [i for i, found in by_interview.items() if best and set(best) <= found]
        chosen = list(
            Interview.objects.filter(pk__in=shared)
            .order_by("title", "pk")
            .values_list("pk", flat=True)[:interviews]
        )
        if not chosen:
            raise BenchError(f"no interview coded by {coders} coders together")
        ctx.agreement[key] = (list(best), chosen)
    return ctx.agreement[key]


def _agreement_request(ctx: Context, coders: int, interviews: int) -> Request:
    coder_ids, interview_ids = _agreement_selection(ctx, coders, interviews)
    query = "&".join(
        [f"coder={pk}" for pk in coder_ids] + [f"interview={pk}" for pk in interview_ids]
    )

    def after(response):
        if b"agreement-table" not in response.content:
            raise BenchError("the page shows no figures")

    url = reverse("agreement:figures", args=[ctx.project.pk])
    return Request("get", f"{url}?{query}", ctx.supervisor, after=after)


def agreement_table(ctx: Context) -> Request:
    return _agreement_request(ctx, *AGREEMENT)


def agreement_table_large(ctx: Context) -> Request:
    return _agreement_request(ctx, *AGREEMENT_LARGE)


def _side_by_side_target(ctx: Context) -> tuple[list, int, int]:
    """The first interview of the agreement table and the code its two coders used most there."""
    coder_ids, interview_ids = _agreement_selection(ctx, *AGREEMENT)
    code_id = (
        Coding.objects.filter(interview_id=interview_ids[0], coder_id__in=coder_ids)
        .values("code_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "code_id")
        .values_list("code_id", flat=True)
        .first()
    )
    return coder_ids, interview_ids[0], code_id


def side_by_side(ctx: Context) -> Request:
    coder_ids, interview_id, code_id = _side_by_side_target(ctx)
    url = reverse("agreement:compare", args=[ctx.project.pk, interview_id, code_id])
    query = "&".join(f"coder={pk}" for pk in coder_ids)
    return Request("get", f"{url}?{query}", ctx.supervisor)


def import_docx(ctx: Context) -> Request:
    url = reverse("interviews:import", args=[ctx.project.pk])
    run = ctx.rng.randrange(10**9)
    files = [_docx_upload(run, i) for i in range(IMPORT_FILES)]
    last_id = Interview.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def after(response):
        imported = Interview.objects.filter(project=ctx.project, pk__gt=last_id)
        count = imported.count()
        imported.delete()  # leave the corpus as it was
        if count != IMPORT_FILES:
            raise BenchError(f"{count} interviews imported (status {response.status_code})")

    # Two steps: the upload (streamed while files are read) and the confirmation of the preview.
    headers = _csrf(ctx, ctx.admin)
    confirm = reverse("interviews:import-confirm", args=[ctx.project.pk])
    return Request(
        "post",
        url,
        ctx.admin,
        data={"files": files},
        headers=headers,
        then=Request(
            "post",
            confirm,
            ctx.admin,
            data={},
            headers=headers,
            work=runner.run_queued,
            after=after,
        ),
    )


# Hostile files and a large background import (issue 14).

BACKGROUND_FILES = 200


def _hostile_files(ctx: Context) -> dict[str, bytes]:
    """The hostile uploads of tests/interviews/fixtures/build.py (docs/security.md); a tiny corpus
    (the bench's own tests) gets small ones, which the child reads to the end."""
    from tests.interviews.fixtures import build

    if ctx.project.interviews.count() < 10:
        return {"fanout.pdf": build.pdf_fanout(pages=5, depth=2, width=3)}
    return {
        "fanout.pdf": build.pdf_fanout(),  # reads until the child's CPU ceiling
        "bomb.pdf": build.pdf_bomb(),
        "inflating.docx": build.docx_inflating(150 << 20),
        "latin1.txt": build.latin1_text(),
    }


def import_hostile(ctx: Context) -> Request:
    """The hostile files uploaded together: each is read (and refused) in the isolated child; the
    web process's own time and peak memory must stay flat (the row's peak is this process's)."""
    files = _hostile_files(ctx)
    uploads = [SimpleUploadedFile(name, data) for name, data in files.items()]
    url = reverse("interviews:import", args=[ctx.project.pk])

    def after(response):
        ImportBatch.objects.filter(project=ctx.project).delete()  # the drafts, refused or not

    return Request(
        "post", url, ctx.admin, data={"files": uploads}, headers=_csrf(ctx, ctx.admin), after=after
    )


def import_background(ctx: Context) -> Request:
    """BACKGROUND_FILES transcripts of 2,000 words uploaded at once, confirmed, and imported by the
    background job (run here as the worker would): what the admin waits for."""
    small = ctx.project.interviews.count() < 10
    count = 3 if small else BACKGROUND_FILES
    run = ctx.rng.randrange(10**9)
    uploads = [
        SimpleUploadedFile(
            f"bench-bg-{run}-{i:03d}.txt",
            synthetic.generate_interview(run, i, 2_000).text.encode("utf-8"),
        )
        for i in range(count)
    ]
    last_id = Interview.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def after(response):
        imported = Interview.objects.filter(project=ctx.project, pk__gt=last_id)
        found = imported.count()
        imported.delete()
        if found != count:
            raise BenchError(f"{found} of {count} interviews imported")

    headers = _csrf(ctx, ctx.admin)
    confirm = reverse("interviews:import-confirm", args=[ctx.project.pk])
    return Request(
        "post",
        reverse("interviews:import", args=[ctx.project.pk]),
        ctx.admin,
        data={"files": uploads},
        headers=headers,
        then=Request(
            "post",
            confirm,
            ctx.admin,
            data={},
            headers=headers,
            work=runner.run_queued,
            after=after,
        ),
    )


def floor_round_trip(ctx: Context) -> Floor:
    """One round trip to the database: the floor of a path that stores nothing (a refused file)
    or reads nothing (/health/)."""
    return Floor("SELECT 1", [])


def floor_import_background(ctx: Context) -> Floor:
    """The texts inserted in one statement (as floor_import_docx), at the background import's count."""
    run = ctx.rng.randrange(10**9)
    count = 3 if ctx.project.interviews.count() < 10 else BACKGROUND_FILES
    texts = [synthetic.generate_interview(run, i, 2_000).text for i in range(count)]
    return _floor_insert_texts([(f"bench-bg-{run}-{i:03d}", t) for i, t in enumerate(texts)])


def export_qdpx(ctx: Context) -> Request:
    url = reverse("exchange:export-project", args=[ctx.project.pk])
    return Request("get", url, ctx.admin)


def import_qdpx(ctx: Context) -> Request:
    """The project's own export imported as a new project: upload, then confirm the preview."""
    if ctx.qdpx is None:
        ctx.qdpx = b"".join(exporting.project_chunks(ctx.project))
    return _import_request(ctx, "bench-export.qdpx", ctx.qdpx, ctx.project.interviews.count())


def import_nvivo(ctx: Context) -> Request:
    return _import_request(ctx, NVIVO_SAMPLE.name, NVIVO_SAMPLE.read_bytes(), 1)


def _import_request(ctx: Context, name: str, data: bytes, interviews: int) -> Request:
    ctx.imports += 1
    title = f"bench import {ctx.imports} {ctx.rng.randrange(10**9)}"
    if name not in ctx.import_fields:  # read once, untimed, to fill the form as a person would
        plan = plans.parse(io.BytesIO(data), plans.PROJECT, file_name=name, limits=refi.Limits())
        admin = get_user_model().objects.get(username=synthetic.ADMIN)
        colleagues = list(placeholders.colleagues(admin))
        fields = {}
        for index, user in enumerate(plan.project.users):
            match = placeholders.suggest(user.name, colleagues)
            fields[f"user-{index}"] = str(match.pk) if match else "new"
        ctx.import_fields[name] = fields

    def after(response):
        project = Project.objects.filter(name=title).first()
        if project is None:
            raise BenchError(f"no project was created (status {response.status_code})")
        count = project.interviews.count()
        accounts = list(Placeholder.objects.filter(project=project).values_list("user", flat=True))
        synthetic.delete_project(project)  # leave the database as it was
        get_user_model().objects.filter(pk__in=accounts).delete()
        if count != interviews:
            raise BenchError(f"{count} interviews imported, not {interviews}")

    headers = _csrf(ctx, ctx.admin)
    upload = SimpleUploadedFile(name, data, content_type="application/zip")
    confirm = reverse("exchange:import-preview")
    return Request(
        "post",
        reverse("exchange:import"),
        ctx.admin,
        data={"file": upload},
        headers=headers,
        then=Request(
            "post",
            confirm,
            ctx.admin,
            data={"name": title, **ctx.import_fields[name]},
            headers=headers,
            work=runner.run_queued,  # the project is stored by the background worker
            after=after,
        ),
    )


def _no_nvivo_sample() -> str | None:
    return None if NVIVO_SAMPLE else "the NVivo sample (shared/refi-qda/samples) is not here"


# Corrections (issue 20): a one-word correction of a 20,000-word interview with 500 codings, and
# a name replaced in every stored interview where it is. Both change the corpus; each run swaps
# the words back, so repeated runs leave it as it was every second run.

CORRECTION_WORDS = 20_000
CORRECTION_CODINGS = 500
SWEPT_NAMES = ("Robert", "Gaston")


def correction_interview(ctx: Context) -> Interview:
    """The bench's own long interview (made once in the synthetic project), with its codings."""
    title = f"Bench correction ({CORRECTION_WORDS} words)"
    interview = Interview.objects.filter(project=ctx.project, title=title).first()
    if interview is None:
        text = synthetic.generate_interview(7, 10**6, CORRECTION_WORDS).text
        interview = Interview.objects.create(project=ctx.project, title=title, text=text)
        speakers = {}
        for turn in parse_turns(text):
            if turn.label not in speakers:
                speakers[turn.label] = Speaker.objects.create(
                    interview=interview, label=turn.label, name=turn.label
                )
            Turn.objects.create(
                interview=interview, speaker=speakers[turn.label], start=turn.start, end=turn.end
            )
        rng = random.Random(7)
        codes = ctx.code_ids
        with recorded_as(ctx.researcher_user):
            Coding.objects.bulk_create(
                Coding(
                    interview=interview,
                    code_id=rng.choice(codes),
                    coder_id=ctx.researcher_id,
                    start=(start := rng.randrange(len(text) - 400)),
                    end=start + rng.randint(20, 400),
                )
                for _ in range(CORRECTION_CODINGS)
            )
    return interview


def correct_word(ctx: Context) -> Request:
    interview = correction_interview(ctx)
    middle = len(interview.text) // 2
    turn = Turn.objects.filter(interview=interview, start__gte=middle).order_by("start").first()
    start, end = (turn.start, turn.end) if turn else (middle, middle + 200)
    words = interview.text[start:end]
    # One word changes: the first long one gets its first letter's case swapped (back next run).
    word = re.search(r"\w{5,}", words) or re.search(r"\w+", words)
    swapped = words[: word.start()] + word.group().swapcase()[0] + words[word.start() + 1 :]
    url = reverse("corrections:passage", args=[ctx.project.pk, interview.pk, start, end])
    data = {"words": swapped, "version": interview.text_version}
    if turn is not None:
        data["speaker"] = turn.speaker_id or ""

    def after(response):
        if not Interview.objects.filter(pk=interview.pk, text_version=data["version"] + 1).exists():
            problem = re.search(r"role=\"alert\">(.*?)</div>", response.content.decode(), re.S)
            raise BenchError(f"the correction was not saved: {problem and problem.group(1)[:200]}")

    return Request(
        "post", url, ctx.researcher, data=data, headers=_csrf(ctx, ctx.researcher), after=after
    )


def pseudonymise_all(ctx: Context) -> Request:
    from interviews.models import Pseudonym

    present = [
        n
        for n in SWEPT_NAMES
        if Interview.objects.filter(project=ctx.project, text__contains=n).exists()
    ]
    real = present[0] if present else SWEPT_NAMES[0]
    other = SWEPT_NAMES[1 - SWEPT_NAMES.index(real)]
    ctx.project.pseudonyms.filter(real_name__in=SWEPT_NAMES).delete()
    rule = Pseudonym.objects.create(project=ctx.project, real_name=real, pseudonym=other)
    url = reverse("corrections:pseudonymise", args=[ctx.project.pk, rule.pk])
    flags = TextChange.objects.aggregate(last=Max("id"))["last"] or 0

    def after(response):
        rule.delete()
        if Interview.objects.filter(project=ctx.project, text__regex=rf"\m{real}\M").exists():
            raise BenchError(f"« {real} » is still there (status {response.status_code})")
        # The codings the run flagged "text changed" (thousands): not left to pile up, run after
        # run, in the tables the next run scrubs, so that every run meets the same project.
        TextChange.objects.filter(pk__gt=flags, coding__interview__project=ctx.project).delete()

    # Timed: the request that queues the job, and the job run to its end (what the admin waits
    # for on the job page).
    headers = _csrf(ctx, ctx.admin)
    return Request(
        "post", url, ctx.admin, data={}, headers=headers, work=runner.run_queued, after=after
    )


def seek_recording(ctx: Context) -> Request:
    """A seek to the middle of a 90-minute recording: the first bytes a player reads there."""
    recording = bench_recording(ctx)
    first = recording.size // 2
    url = reverse("interviews:recording", args=[ctx.project.pk, ctx.interview.pk])

    def after(response):
        if response.status_code != 206 or response["Content-Length"] != str(SEEK_BYTES):
            raise BenchError(f"HTTP {response.status_code}, not {SEEK_BYTES} bytes of range")

    headers = {"Range": f"bytes={first}-{first + SEEK_BYTES - 1}"}
    return Request("get", url, ctx.researcher, headers=headers, after=after)


class BenchError(Exception):
    """A path answered, but did not do what it should: its row shows the error."""


def _csrf(ctx: Context, client: Client) -> dict:
    key = id(client)
    if key not in ctx.csrf:
        ctx.csrf[key] = _csrf_headers(client, ctx.project)
    return ctx.csrf[key]


def _since(ctx: Context) -> int:
    """The last event an up-to-date page has seen: what the workspace sends with every action."""
    return workspace.last_event_id(ctx.interview)


def _random_selection(ctx: Context) -> tuple[int, int, int]:
    """A passage of a participant's turn, cut at spaces, and a code the researcher has not put there."""
    text = ctx.interview.text
    for _attempt in range(20):
        turn_start, turn_end = ctx.rng.choice(ctx.turns)
        start = ctx.rng.randint(turn_start, max(turn_start, turn_end - 40))
        start = text.rfind(" ", turn_start, start) + 1 or turn_start
        start = max(start, turn_start)
        end = min(turn_end, start + ctx.rng.randint(40, 400))
        space = text.find(" ", end, turn_end)
        end = turn_end if space == -1 else space
        code_id = ctx.rng.choice(ctx.code_ids)
        overlapping = Coding.objects.filter(
            interview=ctx.interview,
            coder_id=ctx.researcher_id,
            code_id=code_id,
            start__lt=end,
            end__gt=start,
        )
        if end > start and not overlapping.exists():
            return start, end, code_id
    raise BenchError("found no free passage to code")


def _coding_to_remove(ctx: Context) -> int:
    start, end, code_id = _random_selection(ctx)
    with recorded_as(ctx.researcher_user):
        return Coding.objects.create(
            interview=ctx.interview,
            code_id=code_id,
            coder_id=ctx.researcher_id,
            start=start,
            end=end,
        ).pk


def _docx_upload(run: int, index: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    generated = synthetic.generate_interview(run, index, 10_000)
    return SimpleUploadedFile(
        f"bench-{run}-{index:02d}.docx",
        docx_bytes(generated.text),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


def docx_bytes(text: str) -> bytes:
    """A minimal Word document, one paragraph per line (no dependency needed to write one)."""
    paragraphs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'
        for line in text.split("\n")
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
            "</Relationships>"
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{paragraphs}</w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- The floors: one statement each ------------------------------------------------------------


def floor_open_interview(ctx: Context) -> Floor:
    return Floor(
        """
        SELECT i.text, (
            SELECT json_agg(json_build_array(c.id, c.start, c."end", c.code_id, k.color, c.coder_id)
                            ORDER BY c.start)
            FROM coding_coding c JOIN coding_code k ON k.id = c.code_id
            WHERE c.interview_id = i.id)
        FROM interviews_interview i WHERE i.id = %s
        """,
        [ctx.interview.pk],
    )


def floor_open_long(ctx: Context) -> Floor:
    return Floor(floor_open_interview(ctx).sql, [ctx.long.pk])


def floor_project_page(ctx: Context) -> Floor:
    """The first hundred interviews with their codings as the triggers keep them (CoderCount),
    the researcher's and everyone's, and their attribute values: the page chosen first, then
    counted."""
    return Floor(
        """
        SELECT i.id, i.title, i.participant, i.word_count,
               coalesce(sum(n.codings), 0), coalesce(sum(n.codings) FILTER (WHERE n.coder_id = %s), 0),
               (SELECT array_agg(v.text ORDER BY v.attribute_id)
                  FROM interviews_attributevalue v WHERE v.interview_id = i.id)
        FROM (SELECT id, title, participant, word_count FROM interviews_interview
               WHERE project_id = %s ORDER BY title, id LIMIT 100) i
        LEFT JOIN coding_codercount n ON n.interview_id = i.id
        GROUP BY i.id, i.title, i.participant, i.word_count ORDER BY i.title, i.id
        """,
        [ctx.researcher_id, ctx.project.pk],
    )


def floor_codebook_counts(ctx: Context) -> Floor:
    """The codes with their counts as the triggers keep them (coding/counts.py): in the interview
    (CodeCount) and in all (CodeTotal). Counting the codings instead took 85 ms at L."""
    return Floor(
        """
        SELECT k.id, k.parent_id, k.name, k.color, coalesce(here.codings, 0),
               coalesce(total.codings, 0)
        FROM coding_code k
        LEFT JOIN coding_codecount here ON here.code_id = k.id AND here.interview_id = %s
        LEFT JOIN coding_codetotal total ON total.code_id = k.id
        WHERE k.project_id = %s ORDER BY k.position, k.name
        """,
        [ctx.interview.pk, ctx.project.pk],
    )


def floor_apply_code(ctx: Context) -> Floor:
    start, end, code_id = _random_selection(ctx)
    return Floor(
        """
        INSERT INTO coding_coding
            (interview_id, code_id, coder_id, start, "end", text, status, created_at, updated_at)
        VALUES (%s, %s, %s, %s, %s, '', 'pending', now(), now()) RETURNING id, text
        """,
        [ctx.interview.pk, code_id, ctx.researcher_id, start, end],
        after=lambda rows: ctx.floor_created.append(rows[0][0]),
    )


def floor_remove_coding(ctx: Context) -> Floor:
    coding_id = ctx.floor_created.pop() if ctx.floor_created else _coding_to_remove(ctx)
    return Floor("DELETE FROM coding_coding WHERE id = %s", [coding_id])


# The project stated and the interview in the order, as the page has them: without either,
# PostgreSQL sorted every coding of the code in the database (200 ms at L, ten times the page).
EXCERPTS = """
    SELECT c.id, c.start, c."end", c.text, c.status, i.id, i.title, u.username
    FROM coding_coding c
    JOIN interviews_interview i ON i.id = c.interview_id
    JOIN auth_user u ON u.id = c.coder_id
    WHERE i.project_id = %s AND c.code_id = %s {filter}
    ORDER BY i.title, c.interview_id, c.start, c.id LIMIT {page}
"""


def floor_excerpts_first_page(ctx: Context) -> Floor:
    return Floor(EXCERPTS.format(filter="", page=PAGE), [ctx.project.pk, ctx.code.pk])


def floor_excerpts_filtered(ctx: Context) -> Floor:
    condition = (
        "AND EXISTS (SELECT 1 FROM interviews_attributevalue v WHERE v.interview_id = i.id"
        " AND v.attribute_id = %s AND v.text = %s)"
    )
    return Floor(
        EXCERPTS.format(filter=condition, page=PAGE),
        [ctx.project.pk, ctx.code.pk, ctx.attribute.pk, ctx.attribute_value],
    )


def floor_search(ctx: Context) -> Floor:
    """The first page of hits of the segment index (interviews.search), with its counts and marks."""
    return Floor(
        """
        WITH hits AS (
            SELECT s.interview_id, i.title, s.start, s."end", s.text
              FROM interviews_searchsegment s
              JOIN interviews_interview i ON i.id = s.interview_id
             WHERE i.project_id = %(project)s AND s.config = 'french'
               AND s.vector @@ (websearch_to_tsquery('french', verbatim_unaccent(%(q)s))
                                && verbatim_project_query(%(project)s)))
        SELECT (SELECT count(*) FROM hits), (SELECT count(DISTINCT interview_id) FROM hits),
               h.interview_id, h.title, h.start, h."end",
               ts_headline('french', verbatim_unaccent(h.text),
                           websearch_to_tsquery('french', verbatim_unaccent(%(q)s)),
                           'HighlightAll=true')
          FROM (SELECT * FROM hits ORDER BY title, interview_id, start LIMIT 20) AS h
        """,
        {"project": ctx.project.pk, "q": SEARCH_WORDS},
    )


def floor_review_queue(ctx: Context) -> Floor:
    return Floor(
        f"""
        SELECT c.id, c.start, c."end", c.text, i.title, k.name, k.color, u.username
        FROM coding_coding c
        JOIN interviews_interview i ON i.id = c.interview_id
        JOIN coding_code k ON k.id = c.code_id
        JOIN auth_user u ON u.id = c.coder_id
        WHERE i.project_id = %s AND c.status = 'pending'
        ORDER BY c.created_at, c.id LIMIT {PAGE}
        """,
        [ctx.project.pk],
    )


def floor_export_xlsx(ctx: Context) -> Floor:
    return floor_export_codes(ctx.export_codes)


def floor_export_csv_code(ctx: Context) -> Floor:
    return floor_export_codes([ctx.csv_code.pk])


def floor_export_codes(code_ids: list[int]) -> Floor:
    return Floor(
        """
        SELECT i.title, i.participant, k.name, u.username, c.start, c."end", c.text, c.status,
               c.created_at
        FROM coding_coding c
        JOIN interviews_interview i ON i.id = c.interview_id
        JOIN coding_code k ON k.id = c.code_id
        JOIN auth_user u ON u.id = c.coder_id
        WHERE c.code_id = ANY(%s)
        ORDER BY k.name, i.title, c.start
        """,
        [code_ids],
    )


AGREEMENT_SEGMENTS = """
    SELECT c.code_id, c.coder_id, c.interview_id, c.start, c."end"
      FROM unnest(%s::bigint[]) WITH ORDINALITY AS chosen(interview_id, position)
     CROSS JOIN LATERAL (SELECT * FROM coding_coding c
                          WHERE c.interview_id = chosen.interview_id AND c.coder_id = ANY(%s)
                          ORDER BY c.start, c."end") c
     ORDER BY chosen.position
"""


def floor_agreement_table(ctx: Context) -> Floor:
    coder_ids, interview_ids = _agreement_selection(ctx, *AGREEMENT)
    return Floor(AGREEMENT_SEGMENTS, [interview_ids, coder_ids])


def floor_agreement_table_large(ctx: Context) -> Floor:
    coder_ids, interview_ids = _agreement_selection(ctx, *AGREEMENT_LARGE)
    return Floor(AGREEMENT_SEGMENTS, [interview_ids, coder_ids])


def floor_side_by_side(ctx: Context) -> Floor:
    coder_ids, interview_id, code_id = _side_by_side_target(ctx)
    return Floor(
        """
        SELECT i.text, (SELECT json_agg(json_build_array(c.coder_id, c.start, c."end")
                                        ORDER BY c.coder_id, c.start)
                          FROM coding_coding c
                         WHERE c.interview_id = i.id AND c.code_id = %s AND c.coder_id = ANY(%s))
          FROM interviews_interview i WHERE i.id = %s
        """,
        [code_id, coder_ids, interview_id],
    )


def floor_seek_recording(ctx: Context) -> Floor:
    # What the view asks PostgreSQL: the member's interview and its recording's row.
    return Floor(
        """
        SELECT r.file, r.size, r.content_type FROM interviews_recording r
        JOIN interviews_interview i ON i.id = r.interview_id
        JOIN interviews_membership m ON m.project_id = i.project_id AND m.user_id = %s
        WHERE r.interview_id = %s AND i.project_id = %s
        """,
        [ctx.researcher_id, ctx.interview.pk, ctx.project.pk],
    )


def floor_import_docx(ctx: Context) -> Floor:
    run = ctx.rng.randrange(10**9)
    texts = [synthetic.generate_interview(run, i, 10_000).text for i in range(IMPORT_FILES)]
    titles = [f"bench-{run}-{i:02d}" for i in range(IMPORT_FILES)]
    return _floor_insert_texts(list(zip(titles, texts, strict=True)), source_format="docx")


def floor_export_qdpx(ctx: Context) -> Floor:
    return Floor(
        """
        SELECT i.id, i.title, i.text, (
            SELECT json_agg(json_build_array(c.id, c.start, c."end", c.code_id, c.coder_id,
                                             c.created_at) ORDER BY c.start, c."end", c.id)
            FROM coding_coding c WHERE c.interview_id = i.id)
        FROM interviews_interview i WHERE i.project_id = %s ORDER BY i.title, i.id
        """,
        [ctx.project.pk],
    )


def _analysis(name: str, query: str = ""):
    def request(ctx: Context) -> Request:
        url = reverse(f"analysis:{name}", args=[ctx.project.pk])
        return Request("get", f"{url}?{query.format(ctx=ctx)}", ctx.researcher)

    return request


def cooccurrence_cold(ctx: Context) -> Request:
    """The co-occurrence page as the first visit after a change: its cached rows are dropped
    (untimed) before each request, which computes them again."""
    caches[analysis_queries.CACHE].clear()
    return _analysis("cooccurrence")(ctx)


def _add_coding(ctx: Context) -> None:
    """A coding added to the bench's interview (untimed: before the request), as a coder would."""
    start, end, code_id = _random_selection(ctx)
    with recorded_as(ctx.researcher_user, interview_id=ctx.interview.pk):
        coding = Coding.objects.create(
            interview=ctx.interview,
            code_id=code_id,
            coder=ctx.researcher_user,
            start=start,
            end=end,
        )
    ctx.created.append(coding.pk)  # cleanup() removes it


def cooccurrence_changed(ctx: Context) -> Request:
    """The co-occurrence page as the first visit after a coding changed in one interview: a
    coding is added there (untimed) before each request, which counts that interview again."""
    _add_coding(ctx)
    return _analysis("cooccurrence")(ctx)


def speakers_changed(ctx: Context) -> Request:
    """The code × speaker page as the first visit after a coding changed in one interview (as
    cooccurrence_changed)."""
    _add_coding(ctx)
    return _analysis("speakers")(ctx)


def portrait(ctx: Context) -> Request:
    url = reverse("analysis:portrait", args=[ctx.project.pk, ctx.interview.pk])
    return Request("get", url, ctx.researcher)


def floor_cooccurrence(ctx: Context) -> Floor:
    """Pairs of overlapping codings of different codes, counted per pair of codes (index probes)."""
    return Floor(
        """
        SELECT a.code_id, b.code_id, count(*)
          FROM coding_coding a JOIN interviews_interview i ON i.id = a.interview_id
          JOIN coding_coding b ON b.interview_id = a.interview_id AND b.start >= a.start
                              AND b.start < a."end" AND b.code_id <> a.code_id
         WHERE i.project_id = %s GROUP BY 1, 2
        """,
        [ctx.project.pk],
    )


def floor_speakers(ctx: Context) -> Floor:
    """Each coding's speaker at its start (kept by a trigger), counted per code and role: what
    the table would cost if no coding left its first turn (the page reads every turn each
    coding covers)."""
    return Floor(
        """
        SELECT c.code_id, s.role, count(*), count(DISTINCT c.interview_id)
          FROM coding_coding c JOIN interviews_interview i ON i.id = c.interview_id
          LEFT JOIN interviews_speaker s ON s.id = c.speaker_id
         WHERE i.project_id = %s GROUP BY 1, 2
        """,
        [ctx.project.pk],
    )


def floor_import_qdpx(ctx: Context) -> Floor:
    texts = list(ctx.project.interviews.values_list("title", "text"))
    return _floor_insert_texts(texts)


def floor_import_nvivo(ctx: Context) -> Floor:
    with zipfile.ZipFile(NVIVO_SAMPLE) as archive:
        name = next(n for n in archive.namelist() if n.lower().endswith(".txt"))
        text = archive.read(name).decode("utf-8-sig").replace("\r\n", "\n")
    return _floor_insert_texts([("nvivo", text)])


def _floor_insert_texts(texts: list[tuple[str, str]], source_format: str = "qdpx") -> Floor:
    """The texts inserted as interviews of a scratch project (their own would refuse them as
    already imported), in one statement; the scratch project goes after."""
    scratch = Project.objects.create(name="bench floor scratch")

    def after(rows):
        Interview.objects.filter(project=scratch).delete()
        scratch.delete()

    return Floor(
        """
        INSERT INTO interviews_interview (project_id, title, participant, language, source_name,
            source_format, text, word_count, checksum, created_at)
        SELECT %s, t.title, '', 'fr', t.title, %s, t.text,
               array_length(regexp_split_to_array(trim(t.text), '\\s+'), 1),
               encode(sha256(convert_to(t.text, 'UTF8')), 'hex'), now()
        FROM unnest(%s::text[], %s::text[]) AS t(title, text)
        RETURNING id
        """,
        [scratch.pk, source_format, [t for t, _ in texts], [x for _, x in texts]],
        after=after,
    )


def floor_crosstab(ctx: Context) -> Floor:
    return Floor(
        """
        SELECT c.code_id, v.text, count(*), count(DISTINCT c.interview_id)
          FROM coding_coding c JOIN interviews_interview i ON i.id = c.interview_id
          LEFT JOIN interviews_attributevalue v ON v.interview_id = c.interview_id
                                               AND v.attribute_id = %s
         WHERE i.project_id = %s GROUP BY 1, 2
        """,
        [ctx.attribute.pk, ctx.project.pk],
    )


def floor_frequencies(ctx: Context) -> Floor:
    """Each code's codings, interviews, coders and words (kept per coding, Coding.words)."""
    return Floor(
        """
        SELECT c.code_id, count(*), count(DISTINCT c.interview_id), count(DISTINCT c.coder_id),
               sum(c.words)
          FROM coding_coding c JOIN interviews_interview i ON i.id = c.interview_id
         WHERE i.project_id = %s GROUP BY 1
        """,
        [ctx.project.pk],
    )


def floor_progress(ctx: Context) -> Floor:
    """Each interview of the page's (the first INTERVIEWS_PER_PAGE by title) and coder: codings,
    characters coded (ranges merged), review states."""
    return Floor(
        """
        SELECT c.interview_id, c.coder_id, count(*),
               (SELECT sum(upper(x) - lower(x)) FROM unnest(range_agg(int4range(c.start, c."end"))) x),
               count(*) FILTER (WHERE c.status = 'approved'),
               count(*) FILTER (WHERE c.status = 'pending')
          FROM coding_coding c
         WHERE c.interview_id IN (SELECT i.id FROM interviews_interview i WHERE i.project_id = %s
                                   ORDER BY i.title, i.id LIMIT %s)
         GROUP BY 1, 2
        """,
        [ctx.project.pk, INTERVIEWS_PER_PAGE],
    )


def floor_portrait(ctx: Context) -> Floor:
    return Floor(
        """
        SELECT code_id, unnest(range_agg(int4range(start, "end")))
          FROM coding_coding WHERE interview_id = %s GROUP BY code_id
        """,
        [ctx.interview.pk],
    )


def floor_codeline(ctx: Context) -> Floor:
    return Floor(
        """
        SELECT c.interview_id, k.parent_id, unnest(range_agg(int4range(c.start, c."end")))
          FROM coding_coding c JOIN coding_code k ON k.id = c.code_id
         WHERE c.interview_id IN (SELECT id FROM interviews_interview WHERE project_id = %s
                                  ORDER BY title LIMIT 20)
         GROUP BY 1, 2
        """,
        [ctx.project.pk],
    )


def floor_near_query(ctx: Context) -> Floor:
    a, b = ctx.code_ids[0], ctx.code_ids[1]
    return Floor(
        """
        SELECT DISTINCT a.id FROM coding_coding a
          JOIN coding_coding b ON b.interview_id = a.interview_id AND b.code_id = %s
                              AND b.start < a."end" + 201 AND a.start < b."end" + 201
         WHERE a.code_id = %s
        """,
        [b, a],
    )


def floor_correct_word(ctx: Context) -> Floor:
    """What a one-word correction must at least do: read the text and the codings' offsets."""
    interview = correction_interview(ctx)
    return Floor(
        """SELECT i.text, (SELECT array_agg(ARRAY[c.id, c.start, c."end"]) FROM coding_coding c
                  WHERE c.interview_id = i.id) FROM interviews_interview i WHERE i.id = %s""",
        [interview.pk],
    )


def floor_pseudonymise_all(ctx: Context) -> Floor:
    """Finding the name: every stored text of the project, matched in PostgreSQL."""
    return Floor(
        "SELECT id FROM interviews_interview WHERE project_id = %s AND text ~* %s",
        [ctx.project.pk, rf"\m({'|'.join(SWEPT_NAMES)})\M"],
    )


@dataclass(frozen=True)
class Path:
    name: str
    url_name: str  # until it resolves, the row says "not built yet"
    request: Callable[[Context], Request]
    floor: Callable[[Context], Floor]
    memory: bool = False  # also measure peak memory (tracemalloc), in one extra run
    once: bool = False  # a long path: one timed run (its queries counted), one floor run
    missing: Callable[[], str | None] | None = None  # why it cannot run here, if it cannot
    runs: int | None = None  # at most this many timed runs (a slow path that changes the corpus)


PATHS = [
    Path("health", "health", health, floor_round_trip),
    Path("open_interview", "coding:workspace", open_interview, floor_open_interview),
    Path(
        "open_interview_changed", "coding:workspace", open_interview_changed, floor_open_interview
    ),
    Path("open_long", "coding:workspace", open_long, floor_open_long),
    Path("apply_code", "coding:apply-code", apply_code, floor_apply_code),
    Path("remove_coding", "coding:remove-coding", remove_coding, floor_remove_coding),
    Path("codebook_counts", "coding:codebook", codebook_counts, floor_codebook_counts),
    Path("project_page", "interviews:project-detail", project_page, floor_project_page),
    Path("excerpts_first_page", "excerpts:list", excerpts_first_page, floor_excerpts_first_page),
    Path("excerpts_filtered", "excerpts:list", excerpts_filtered, floor_excerpts_filtered),
    Path("search", "search:search", search, floor_search),
    Path("review_queue", "review:queue", review_queue, floor_review_queue),
    Path("export_csv_code", "exports:excerpts", export_csv_code, floor_export_csv_code),
    Path("export_csv", "exports:excerpts", export_csv, floor_export_xlsx),
    Path("export_xlsx", "exports:excerpts", export_xlsx, floor_export_xlsx, memory=True),
    Path("import_docx", "interviews:import", import_docx, floor_import_docx, memory=True),
    Path(
        "import_hostile",
        "interviews:import",
        import_hostile,
        floor_round_trip,
        memory=True,
        once=True,
    ),
    Path(
        "import_background",
        "interviews:import-confirm",
        import_background,
        floor_import_background,
        once=True,
    ),
    Path("agreement_table", "agreement:figures", agreement_table, floor_agreement_table),
    Path(
        "agreement_table_large",
        "agreement:figures",
        agreement_table_large,
        floor_agreement_table_large,
    ),
    Path("side_by_side", "agreement:compare", side_by_side, floor_side_by_side),
    Path("seek_recording", "interviews:recording", seek_recording, floor_seek_recording),
    Path("export_qdpx", "exchange:export-project", export_qdpx, floor_export_qdpx, memory=True),
    Path("import_qdpx", "exchange:import", import_qdpx, floor_import_qdpx, once=True),
    Path(
        "import_nvivo",
        "exchange:import",
        import_nvivo,
        floor_import_nvivo,
        memory=True,
        missing=_no_nvivo_sample,
    ),
    # Analysis (issue 19): every code, the attribute of the excerpts_filtered path, one interview,
    # the first 20 interviews' codeline, the two most used codes within 200 characters.
    # The page as visited again (its rows cached), and as the first visit after a change.
    Path("cooccurrence", "analysis:cooccurrence", _analysis("cooccurrence"), floor_cooccurrence),
    Path("cooccurrence_cold", "analysis:cooccurrence", cooccurrence_cold, floor_cooccurrence),
    Path("cooccurrence_changed", "analysis:cooccurrence", cooccurrence_changed, floor_cooccurrence),
    Path(
        "crosstab",
        "analysis:crosstab",
        _analysis("crosstab", "by={ctx.attribute.pk}"),
        floor_crosstab,
    ),
    Path("speakers", "analysis:speakers", _analysis("speakers"), floor_speakers),
    Path("speakers_changed", "analysis:speakers", speakers_changed, floor_speakers),
    Path("frequencies", "analysis:frequencies", _analysis("frequencies"), floor_frequencies),
    Path("progress", "analysis:progress", _analysis("progress"), floor_progress),
    Path("portrait", "analysis:portrait", portrait, floor_portrait),
    Path("codeline", "analysis:codeline", _analysis("codeline"), floor_codeline),
    Path(
        "near_query",
        "analysis:query",
        _analysis("query", "a={ctx.code_ids[0]}&b={ctx.code_ids[1]}&op=near&near=200"),
        floor_near_query,
    ),
    Path("correct_word", "corrections:passage", correct_word, floor_correct_word),
    Path(
        "pseudonymise_all",
        "corrections:pseudonymise",
        pseudonymise_all,
        floor_pseudonymise_all,
        runs=2,  # with the 2 warm-up runs, an even number of swaps: the names end as they were
    ),
]


# --- Seeking in a recording --------------------------------------------------------------------

RECORDING_MINUTES = 90
# What a browser's player reads after a seek before it starts playing (Chromium asks for the rest of
# the file, "bytes=N-", and plays as soon as its first few tens of kB are in).
SEEK_BYTES = 64 * 1024


def write_wav(path, minutes: int, rate: int = 8000) -> int:
    """A WAV of `minutes` of a 440 Hz tone, 8 kHz mono 8-bit (about 0.5 MB a minute), written a
    second at a time; its size in bytes."""
    second = bytes(128 + int(60 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(rate))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        for _second in range(minutes * 60):
            out.writeframesraw(second)
    return path.stat().st_size


def bench_recording(ctx: Context) -> Recording:
    """The benchmark interview's recording: a 90-minute WAV in a temporary MEDIA_ROOT (made once,
    removed by cleanup with its row)."""
    if ctx.recording is not None:
        return ctx.recording
    if Recording.objects.filter(interview=ctx.interview).exists():
        raise BenchError("the benchmark interview has a recording of its own")
    from pathlib import Path as FilePath

    ctx.media_folder = tempfile.mkdtemp(prefix="verbatim-bench-media-")
    ctx.media = override_settings(MEDIA_ROOT=ctx.media_folder)
    ctx.media.enable()
    name = "recordings/bench-90-minutes.wav"
    path = FilePath(ctx.media_folder) / name
    path.parent.mkdir(parents=True)
    size = write_wav(path, RECORDING_MINUTES)
    ctx.recording = Recording.objects.create(
        interview=ctx.interview,
        file=name,
        original_name="bench.wav",
        content_type="audio/wav",
        size=size,
    )
    return ctx.recording


def seek_over_http(ctx: Context, server_url: str, runs: int) -> list[float]:
    """Time to the first SEEK_BYTES of a seek in the middle of the recording, over HTTP on
    127.0.0.1 (a server started by the caller on this database and MEDIA_ROOT): request sent →
    those bytes read, in seconds."""
    recording = bench_recording(ctx)
    host, port = server_url.removeprefix("http://").split(":")
    url = reverse("interviews:recording", args=[ctx.project.pk, ctx.interview.pk])
    session = ctx.researcher.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    times = []
    for run in range(runs):
        # A different place each time, in the middle half: no two seeks read the same bytes.
        first = recording.size // 4 + (run * 7919 * SEEK_BYTES) % (recording.size // 2)
        headers = {"Cookie": cookie, "Range": f"bytes={first}-", "X-Forwarded-Proto": "https"}
        connection_ = http.client.HTTPConnection(host, int(port), timeout=30)
        started = time.perf_counter()
        connection_.request("GET", url, headers=headers)
        response = connection_.getresponse()
        received = 0
        while response.status == 206 and received < SEEK_BYTES:
            chunk = response.read(SEEK_BYTES - received)  # what one read of the socket holds
            if not chunk:
                break
            received += len(chunk)
        elapsed = time.perf_counter() - started
        connection_.close()
        if received != SEEK_BYTES:
            raise BenchError(f"HTTP {response.status}, {received} bytes")
        times.append(elapsed)
    return times


def url_names(patterns=None, prefix: str = "") -> set[str]:
    """Every namespaced URL name of the project ("coding:apply-code", …)."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= url_names(pattern.url_patterns, namespace)
        elif pattern.name:
            names.add(prefix + pattern.name)
    return names


# --- Running -----------------------------------------------------------------------------------


@dataclass
class Settings:
    runs: int = 50
    warmup: int = 2
    budget: float = 20.0  # seconds per path (and per floor), once 3 runs are done
    only: list[str] | None = None


def run_all(ctx: Context, options: Settings, log=print) -> list[Result]:
    results = []
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as raw:
        for path in PATHS:
            if options.only and path.name not in options.only:
                continue
            result = Result(path.name)
            reason = path.missing() if path.missing else None
            if reason:
                result.status = f"skipped: {reason}"
            else:
                _run_path(ctx, path, result, options)
                _run_floor(ctx, path, result, options, raw)
            result.note = note(ctx, path.name)
            log(f"  {path.name}: {result.status}, {result.n} runs, floor {len(result.floor_times)}")
            results.append(result)
    cleanup(ctx)
    return results


def note(ctx: Context, name: str) -> str:
    """What a path's row is about, when its name does not say it all."""
    if name == "open_interview":
        return f"interview with {ctx.interview_codings} codings"
    if name == "open_interview_changed":
        return "the same, a coding added before each request"
    if name == "open_long":
        return f"{ctx.long.text_length:,} characters, {ctx.long.codings.count():,} codings"
    if name in ("export_csv", "export_xlsx"):
        return f"{ctx.export_count} excerpts"
    if name == "export_csv_code":
        return f"{ctx.csv_code.n} excerpts"
    if name == "import_docx":
        return f"{IMPORT_FILES} files of ~10,000 words"
    if name == "seek_recording" and ctx.recording is not None:
        megabytes = ctx.recording.size / 2**20
        return (
            f"{SEEK_BYTES // 1024} kB from the middle of a {RECORDING_MINUTES}-minute "
            f"WAV of {megabytes:.0f} MB"
        )
    if name == "import_hostile":
        return ", ".join(_hostile_files(ctx))
    if name == "import_background":
        return f"{BACKGROUND_FILES} files of 2,000 words, upload to job done"
    if name.startswith("agreement_table") and ctx.agreement:
        wanted = AGREEMENT_LARGE if name.endswith("large") else AGREEMENT
        coders, interviews = ctx.agreement.get(wanted, ([], []))
        return f"{len(coders)} coders, {len(interviews)} interviews, every code"
    if name in ("export_qdpx", "import_qdpx"):
        codings = Coding.objects.filter(interview__project=ctx.project).count()
        return f"{ctx.project.interviews.count()} interviews, {codings} codings"
    if name == "import_nvivo":
        return "the NVivo 12 sample: 97 codings on one source"
    if name == "correct_word":
        return f"{CORRECTION_WORDS} words, {CORRECTION_CODINGS} codings"
    if name == "pseudonymise_all":
        return "a name in every interview where it is"
    return ""


def _run_path(ctx: Context, path: Path, result: Result, options: Settings) -> None:
    if path.url_name not in url_names():
        result.status = "not built yet"
        return
    try:
        if path.once:
            captured = []
            result.times.append(_send(path.request(ctx), captured))
            result.queries, result.captured = len(captured), captured
            if path.memory:
                result.peak_mb = _peak_mb(lambda: _send(path.request(ctx)))
            return
        for run in range(options.warmup):
            captured = [] if run == options.warmup - 1 else None
            sizes = []
            _send(path.request(ctx), captured, sizes)
            if captured is not None:
                result.queries = len(captured)
                result.captured = captured
                result.bytes = sum(sizes)
        started = time.perf_counter()
        runs = min(options.runs, path.runs or options.runs)
        while result.n < runs and (result.n < 3 or time.perf_counter() - started < options.budget):
            result.times.append(_send(path.request(ctx)))
        if path.memory:
            result.peak_mb = _peak_mb(lambda: _send(path.request(ctx)))
    except (BenchError, NoReverseMatch) as error:
        result.status = f"error: {error}"


def _encoded(request: Request) -> tuple:
    """What `_send` posts, and how: a form without a file as the page sends it (htmx, a plain
    form), URL-encoded; the test client would otherwise send multipart, whose parsing took 0.3 ms
    of an apply that no browser pays."""
    values = [
        item
        for value in (request.data or {}).values()
        for item in (value if isinstance(value, list | tuple) else [value])
    ]
    if request.method != "post" or not values or any(hasattr(item, "read") for item in values):
        return request.data, {}
    return urlencode(request.data, doseq=True), {"content_type": FORM}


def _send(
    request: Request | None, captured: list | None = None, sizes: list | None = None
) -> float:
    """Server time of a path's request(s), in seconds (bodies read, streamed or not).

    With `captured`, the requests' own queries are appended to it (not the bench's bookkeeping);
    with `sizes`, the bytes of each response's body.
    """
    elapsed = 0.0
    while request is not None:
        send = getattr(request.client, request.method)
        data, form = _encoded(request)
        capture = CaptureQueriesContext(connection) if captured is not None else nullcontext()
        with capture as queries:
            started = time.perf_counter()
            response = send(request.url, data, headers=request.headers, **form)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            elapsed += time.perf_counter() - started
        if sizes is not None:
            sizes.append(len(body))
        if captured is not None:
            captured.extend(queries.captured_queries)
        if response.status_code >= 400:
            raise BenchError(f"HTTP {response.status_code}")
        if request.work:
            started = time.perf_counter()
            request.work()
            elapsed += time.perf_counter() - started
        if request.after:
            request.after(response)
        request = request.then
    return elapsed


def _run_floor(ctx: Context, path: Path, result: Result, options: Settings, raw) -> None:
    def once() -> float:
        floor = path.floor(ctx)
        started = time.perf_counter()
        cursor = raw.execute(floor.sql, floor.params)
        rows = cursor.fetchall() if cursor.description else []
        elapsed = time.perf_counter() - started
        if floor.after:
            floor.after(rows)
        return elapsed

    if path.once:
        result.floor_times.append(once())
        return
    for _warm in range(options.warmup):
        once()
    started = time.perf_counter()
    while len(result.floor_times) < options.runs and (
        len(result.floor_times) < 3 or time.perf_counter() - started < options.budget
    ):
        result.floor_times.append(once())
    if path.memory:
        result.floor_peak_mb = _peak_mb(once)


def _peak_mb(action: Callable[[], object]) -> float:
    """Peak Python memory allocated during `action` (tracemalloc), in MB."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def cleanup(ctx: Context) -> None:
    """Remove what apply_code created and remove_coding did not consume, and the correction's
    own interview."""
    leftovers = ctx.created + ctx.floor_created
    with recorded_as(ctx.researcher_user):
        if leftovers:
            Coding.objects.filter(pk__in=leftovers).delete()
        Interview.objects.filter(project=ctx.project, title__startswith="Bench correction").delete()
    ctx.created.clear()
    ctx.floor_created.clear()
    if ctx.recording is not None:
        ctx.recording.delete()  # its file goes on commit (autocommit here: at once)
        ctx.recording = None
    if ctx.media is not None:
        ctx.media.disable()
        shutil.rmtree(ctx.media_folder, ignore_errors=True)
        ctx.media = None


# --- Reporting ---------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = ("path", "n", "p50 ms", "p95 ms", "max ms", "queries", "floor p50", "ratio", "")
    rows = [header]
    for r in results:
        row = r.as_json()
        ratio = (
            f"{row['p50_ms'] / row['floor_p50_ms']:.1f}×"
            if row["p50_ms"] is not None and row["floor_p50_ms"]
            else "—"
        )
        note = r.status if r.status != "ok" else r.note
        if r.peak_mb is not None or r.floor_peak_mb is not None:
            note += f"; peak {_fmt(r.peak_mb)} MB (floor {_fmt(r.floor_peak_mb)} MB)"
        rows.append(
            (
                r.name,
                str(r.n) if r.n else "—",
                _fmt(row["p50_ms"]),
                _fmt(row["p95_ms"]),
                _fmt(row["max_ms"]),
                "—" if r.queries is None else str(r.queries),
                _fmt(row["floor_p50_ms"]),
                ratio,
                note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def explain(results: list[Result], *, top: int = 2) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest queries of each path's captured request.

    Writes are explained inside a transaction that is rolled back, so nothing changes.
    """
    out = []
    for result in results:
        queries = [q for q in result.captured if _explainable(q["sql"])]
        queries.sort(key=lambda q: float(q["time"]), reverse=True)
        for query in queries[:top]:
            out.append(f"== {result.name} ({float(query['time']) * 1000:.2f} ms)\n{query['sql']}")
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                    out.extend(row[0] for row in cursor.fetchall())
                    transaction.set_rollback(True)
            except DatabaseError as error:  # e.g. a write about rows the benchmark removed since
                out.append(f"(cannot run it again: {str(error).splitlines()[0]})")
            out.append("")
    return "\n".join(out)


def _explainable(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in (
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "WITH",
    )
