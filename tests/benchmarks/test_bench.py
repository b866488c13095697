import http.client
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks import bench, http_bench, loadtest, synthetic
from coding.models import Coding
from interviews import texts
from tests.factories import make_code, make_coding, make_interview

NAMES = [
    "health",
    "open_interview",
    "open_interview_changed",
    "open_long",
    "apply_code",
    "remove_coding",
    "codebook_counts",
    "project_page",
    "excerpts_first_page",
    "excerpts_filtered",
    "search",
    "review_queue",
    "export_csv_code",
    "export_csv",
    "export_xlsx",
    "import_docx",
    "import_hostile",
    "import_background",
    "agreement_table",
    "agreement_table_large",
    "side_by_side",
    "seek_recording",
    "export_qdpx",
    "import_qdpx",
    "import_nvivo",
    "cooccurrence",
    "cooccurrence_cold",
    "cooccurrence_changed",
    "crosstab",
    "speakers",
    "speakers_changed",
    "frequencies",
    "progress",
    "portrait",
    "codeline",
    "near_query",
    "correct_word",
    "pseudonymise_all",
]
TINY = {"size": "S", "interviews": 2, "codings": 60, "words": 600, "runs": 2, "budget": 1.0}


# The floors run on their own psycopg connection, which only sees committed rows.
@pytest.mark.django_db(transaction=True)
def test_bench_writes_every_path_to_json_and_leaves_the_corpus_as_it_was(tmp_path):
    out = StringIO()
    call_command("bench", **TINY, json=str(tmp_path / "bench.json"), stdout=out)
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["size"].startswith("Synthetic S")
    assert report["date"]
    assert [row["name"] for row in report["results"]] == NAMES
    for row in report["results"]:
        if row["status"].startswith("skipped"):  # the NVivo sample is not on every machine
            assert row["name"] == "import_nvivo" and row["n"] == 0
            continue
        assert row["status"] in ("ok", "not built yet"), row
        assert row["floor_p50_ms"] > 0
        if row["status"] == "ok":
            once = ("import_qdpx", "import_hostile", "import_background")
            assert row["n"] == (1 if row["name"] in once else 2)
            assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
            assert row["queries"] > 0
        else:
            assert row["n"] == 0 and row["p50_ms"] is None
    rows = {row["name"]: row for row in report["results"]}
    assert "peak_mb" in rows["export_xlsx"] and "peak_mb" in rows["import_docx"]
    assert "peak_mb" in rows["import_hostile"]
    assert "peak_mb" in rows["export_qdpx"]
    assert rows["export_xlsx"]["floor_peak_mb"] > 0
    assert rows["open_long"]["bytes"] > rows["open_interview"]["bytes"] > 0
    assert synthetic_codings() == 60
    assert "floor p50" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_path_whose_url_is_missing_is_reported_as_not_built_yet(tmp_path, monkeypatch):
    names = bench.url_names()
    monkeypatch.setattr(bench, "url_names", lambda: names - {"coding:apply-code"})
    out = StringIO()
    only = ["apply_code", "remove_coding"]
    call_command("bench", **TINY, only=only, json=str(tmp_path / "b.json"), stdout=out)
    rows = {row["name"]: row for row in json.loads((tmp_path / "b.json").read_text())["results"]}
    assert rows["apply_code"]["status"] == "not built yet"
    assert rows["apply_code"]["n"] == 0
    assert rows["apply_code"]["floor_p50_ms"] > 0
    assert rows["remove_coding"]["status"] == "ok"  # it makes the codings it removes
    assert "not built yet" in out.getvalue()
    assert synthetic_codings() == 60


@pytest.mark.django_db(transaction=True)
def test_explain_prints_the_plans_of_the_slowest_queries():
    out = StringIO()
    call_command("bench", **TINY, only=["open_interview"], explain=True, stdout=out)
    assert "== open_interview" in out.getvalue()
    assert "Execution Time" in out.getvalue()


def synthetic_codings() -> int:
    """The codings of the tiny sized corpus (the long interview has a project of its own)."""
    return Coding.objects.filter(interview__project__name__startswith="Synthetic S").count()


@pytest.mark.django_db(transaction=True)
def test_bench_over_http_times_each_path_on_the_production_server_beside_in_process(tmp_path):
    out = StringIO()
    call_command("bench", **TINY, http=True, json=str(tmp_path / "http.json"), stdout=out)
    report = json.loads((tmp_path / "http.json").read_text())
    assert {row["name"] for row in report["results"]} == set(http_bench.PATHS)  # and in process
    over_http = report["http"]["new"]
    assert list(over_http) == http_bench.PATHS
    for name, row in over_http.items():
        assert row["error"] is None, (name, row)
        assert row["n"] == 2 and 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"], (name, row)
        # The server's own time of the same requests (benchmarks/timed_wsgi.py).
        assert row["server_p50_ms"] is not None and row["server_p50_ms"] > 0, (name, row)
        assert row["server_threads"] >= 1, (name, row)  # which ran them: a worker's thread
        assert 0 < row["wire_bytes"] <= row["bytes"], (name, row)
    # Pages travel compressed, downloads as they are.
    assert over_http["open_interview"]["wire_bytes"] < over_http["open_interview"]["bytes"] / 3
    assert over_http["export_csv"]["wire_bytes"] == over_http["export_csv"]["bytes"]
    assert "server p50" in out.getvalue() and "wire KB" in out.getvalue()
    assert synthetic_codings() == 60  # what apply_code made, remove_coding or the cleanup removed


@pytest.mark.django_db(transaction=True)
def test_seeking_reads_64_kb_from_the_middle_of_a_90_minute_recording_then_removes_it(tmp_path):
    from interviews.models import Recording

    out = StringIO()
    only = ["seek_recording"]
    call_command("bench", **TINY, only=only, json=str(tmp_path / "b.json"), stdout=out)
    [row] = json.loads((tmp_path / "b.json").read_text())["results"]
    assert row["status"] == "ok" and row["n"] == 2 and row["floor_p50_ms"] > 0
    assert row["note"] == "64 kB from the middle of a 90-minute WAV of 41 MB"
    assert not Recording.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_seeking_over_http_reads_the_first_64_kb_through_the_production_server():
    from interviews.models import Recording

    out = StringIO()
    call_command("bench", **TINY, only=["seek_recording"], seek_http=True, stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "over HTTP" in line)
    assert "request → first 64 kB: n=2" in line and "p50" in line
    assert not Recording.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stripes", [True, False])
def test_the_browser_bench_codes_in_chromium_with_the_stripes_as_asked(stripes):
    from interviews.models import Project

    out = StringIO()
    call_command("bench", browser=True, runs=2, no_stripes=not stripes, stdout=out)
    printed = out.getvalue()
    assert "n=2  p50" in printed and "request alone p50" in printed
    assert "not as asked" not in printed
    drawn = int(printed.split(" stripes drawn")[0].rsplit("(", 1)[1])
    assert (drawn > 0) is stripes
    assert not Project.objects.exists()  # its project is deleted


def test_p95_is_an_observed_value():
    assert bench.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0
    assert bench.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert bench.percentile([], 95) is None


@pytest.mark.django_db
def test_opening_an_interview_costs_as_many_queries_with_forty_codings_as_with_one(
    client, project, rita, interview
):
    codes = [make_code(project, f"Code {i}") for i in range(4)]
    make_coding(interview, codes[0], rita, 0, 10)
    client.force_login(rita)
    client.get("/")  # this process now knows the session's user (verbatim/sessions.py)
    url = f"/projects/{project.pk}/interviews/{interview.pk}/"

    def queries():
        texts.clear()  # the transcript read every time, as by a process that has not kept it
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for i in range(1, 40):
        make_coding(interview, codes[i % 4], rita, i, i + 20)
    assert queries() == few


@pytest.mark.django_db
def test_a_named_size_benches_the_interview_generated_with_about_500_codings(project, rita):
    """Not the one nearest 500 today: runs stopped halfway or a load test change the counts, and
    the next run would time another interview."""
    size = synthetic.SIZES["S"]
    project.name = synthetic.project_name(size)
    project.save()
    interviews = [
        make_interview(project, f"Texte {index} : rien.", title=f"Entretien {index}")
        for index in range(size.interviews)
    ]
    for index, interview in enumerate(interviews):
        interview.source_name = synthetic.source_name(index)
        interview.save(update_fields=["source_name"])
    planned = synthetic.allocate(size.codings, size.interviews, seed=1)
    expected = min(range(size.interviews), key=lambda i: (abs(planned[i] - 500), i))
    code, other = make_code(project), interviews[(expected + 1) % size.interviews]
    for start in range(0, 10, 2):  # today, another interview is the nearest to 500 codings
        make_coding(other, code, rita, start, start + 1)
    said = []
    chosen = bench._bench_interview(project, seed=1, log=said.append)
    assert chosen.pk == interviews[expected].pk and chosen.coding_count == 0
    assert len(said) == 1 and "synthesize --size NAME --replace" in said[0]  # 0 of ~500 codings


def _times_of(times, tags, seconds: float = 30) -> dict[int, str]:
    """Tag -> worker:thread from the server's times file, once it holds every one of `tags`. A line
    is written when the server closes a response, which may be just after the client has read it:
    stopping the server then may lose it (seen once in CI)."""
    deadline = time.monotonic() + seconds
    while True:
        ran = {tag: thread for tag, (_, thread) in http_bench.read_times(times).items()}
        if set(tags) <= ran.keys() or time.monotonic() > deadline:
            return ran
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_after_the_bench_s_busy_moment_the_server_hands_requests_to_its_threads_in_turn(tmp_path):
    """What the HTTP bench times is what a server in use does (http_bench.busy_moment): Granian
    starts a worker's further threads only when requests wait, then hands requests to them in turn."""
    times = tmp_path / "times.txt"
    env = {"VERBATIM_BENCH_TIMES": str(times)}
    with loadtest.Server(workers=1, threads=4, env=env, app=http_bench.TIMED_APP) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

        def one_at_a_time(tags):
            for tag in tags:
                headers = {"Host": f"127.0.0.1:{server.port}", http_bench.TAG: str(tag)}
                conn.request("GET", "/health/", headers=headers)
                assert conn.getresponse().read() == b"ok\n"

        one_at_a_time(range(1, 9))  # timed too, not asserted: see below
        http_bench.busy_moment(server)
        one_at_a_time(range(101, 109))
        conn.close()
        ran = _times_of(times, range(101, 109))
    # Before it, one request at a time kept to one or two threads (2 in every run: a request that
    # comes while a thread closes the last one's response starts a second); after it, eight
    # requests in a row go to all four threads of the worker.
    assert len({ran[tag] for tag in range(101, 109)}) == 4


@pytest.mark.django_db(transaction=True)
def test_the_bench_vacuums_what_earlier_runs_left_dead_before_it_measures():
    call_command("bench", **TINY, only=["health"], stdout=StringIO())  # the corpus, generated
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (started,) = cursor.fetchone()
    call_command("bench", **TINY, only=["health"], stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # this session's copy of the statistics
        cursor.execute(
            "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'coding_coding'"
        )
        (vacuumed,) = cursor.fetchone()
    assert vacuumed is not None and vacuumed >= started
