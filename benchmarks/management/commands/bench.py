"""Time the hot paths: `manage.py bench [--size S|M|L] [--json FILE] [--runs N] [--explain]`.

Runs on the synthetic project of that size (generated first when missing), prints p50 / p95 / max
server time and queries per request of each path beside its one-statement SQL floor. The harness
and the definitions are in benchmarks/bench.py; docs/benchmarks.md explains how to read the table.
"""

import json
import os
import warnings
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from benchmarks import bench, browser, http_bench, loadtest, synthetic


class Command(BaseCommand):
    help = "Benchmark the hot paths through Django's full request stack, against their SQL floor."

    def add_arguments(self, parser):
        synthetic.add_size_arguments(parser)
        parser.add_argument("--json", metavar="FILE", help="Also write the results as JSON.")
        parser.add_argument("--runs", type=int, default=50, help="Timed runs per path (50).")
        parser.add_argument(
            "--budget",
            type=float,
            default=20.0,
            help="Seconds per path after which it stops early, once 3 runs are done (20).",
        )
        parser.add_argument(
            "--only", nargs="+", metavar="PATH", choices=[p.name for p in bench.PATHS]
        )
        parser.add_argument(
            "--browser",
            action="store_true",
            help="Time keypress → highlight painted in Chromium instead (benchmarks/browser.py).",
        )
        parser.add_argument(
            "--no-stripes",
            action="store_true",
            help="With --browser: the margin stripes off, to see what they cost.",
        )
        parser.add_argument(
            "--http",
            action="store_true",
            help="Over HTTP, against the production server on 127.0.0.1, beside in-process "
            "(benchmarks/http_bench.py).",
        )
        parser.add_argument(
            "--before",
            metavar="DIR",
            help="With --http: also serve this checkout of the code, requests alternating.",
        )
        parser.add_argument(
            "--seek-http",
            action="store_true",
            help="Also time a seek in a 90-minute recording over HTTP, through the production server on "
            "127.0.0.1: request sent → its first 64 kB received.",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="Print EXPLAIN (ANALYZE, BUFFERS) of the slowest queries of each path.",
        )

    def handle(self, *args, **options):
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1.")
        if options["before"] and not options["http"]:
            raise CommandError("--before compares servers: it goes with --http.")
        if settings.DEBUG:
            self.stderr.write("DJANGO_DEBUG is on: timings include debug overhead.")
        if options["browser"]:
            self.browser(options["runs"], stripes=not options["no_stripes"])
            return
        size = synthetic.size_from_options(options)
        project = bench.project_for_size(size, seed=options["seed"], log=self.stdout.write)
        synthetic.analyze()  # what earlier runs left dead, vacuumed: each run starts alike
        context = bench.build_context(project, seed=options["seed"], log=self.stdout.write)
        self.stdout.write(
            f"Benchmarking « {project.name} », {options['runs']} runs per path "
            f"(open_interview: {context.interview_codings} codings)."
        )
        runs = bench.Settings(runs=options["runs"], budget=options["budget"], only=options["only"])
        # Static URLs without collectstatic's manifest, as in the tests: the production storage
        # would need `collectstatic` first, and differs only by a dictionary lookup per URL.
        plain_static = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        if options["http"]:
            runs.only = [name for name in http_bench.PATHS if name in (runs.only or [name])]
        # The 10,000-excerpt downloads themselves, not the page that offers a background job: with
        # room for the codings the bench's own applies and floors add meanwhile.
        export_rows = max(settings.VERBATIM_EXPORT_JOB_ROWS, 2 * context.export_count)
        overrides = {"STORAGES": plain_static, "VERBATIM_EXPORT_JOB_ROWS": export_rows}
        with override_settings(**overrides), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No directory at", UserWarning)  # WhiteNoise
            results = bench.run_all(context, runs, log=self.stdout.write)
        over_http = None
        if options["http"]:
            self.stdout.write("Over HTTP (Granian on 127.0.0.1):")
            over_http = http_bench.run(
                context, runs, before=options["before"], log=self.stdout.write
            )
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(f"\nLoad average after the run: {load} ({os.cpu_count()} cores).")
        self.stdout.write(bench.table(results))
        if over_http:
            self.stdout.write("\nOver HTTP, ms (client side unless said):")
            self.stdout.write(http_bench.table(over_http, results))
        if options["seek_http"]:
            self.seek_http(context, options["runs"])
        if options["explain"]:
            self.stdout.write("")
            self.stdout.write(bench.explain(results))
        if options["json"]:
            report = {
                "size": size.name if size == synthetic.SIZES.get(size.name) else project.name,
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "runs": options["runs"],
                "load_average": [round(value, 2) for value in os.getloadavg()],
                "results": [result.as_json() for result in results],
            }
            if over_http:
                report["http"] = {
                    side: {name: figures.as_json() for name, figures in paths.items()}
                    for side, paths in over_http.items()
                }
            path = Path(options["json"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
            self.stdout.write(f"Wrote {path}.")

    def seek_http(self, context, runs: int) -> None:
        bench.bench_recording(context)
        try:
            media = {"VERBATIM_MEDIA_ROOT": context.media_folder}
            with loadtest.Server(workers=1, threads=4, env=media) as server:
                times = bench.seek_over_http(context, server.url, runs)
        finally:
            bench.cleanup(context)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        p50, p95 = bench.percentile(times, 50) * 1000, bench.percentile(times, 95) * 1000
        self.stdout.write(
            f"\nSeek in the middle of a {bench.RECORDING_MINUTES}-minute recording over HTTP "
            f"(Granian, 127.0.0.1), request → first {bench.SEEK_BYTES // 1024} kB: n={len(times)}  "
            f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {max(times) * 1000:.1f} ms "
            f"(load average {load})"
        )

    def browser(self, runs: int, stripes: bool) -> None:
        project, interview = browser.make_interview()
        self.stdout.write(
            f"Keypress → highlight painted in Chromium, {runs} runs, "
            f"stripes {'on' if stripes else 'off'}, "
            f"{interview.codings.count()} codings in a {interview.text_length}-character interview."
        )
        with loadtest.Server(workers=1, threads=4) as server:
            result = browser.run(
                server.url, interview, runs, log=self.stdout.write, stripes=stripes
            )
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"n={result.n}  p50 {result.p50_ms:.1f} ms  p95 {result.p95_ms:.1f} ms  "
            f"max {result.max_ms:.1f} ms; the request alone p50 {result.request_p50_ms:.1f} ms "
            f"({result.stripes} stripes drawn near the screen; "
            f"load average {load})"
        )
        project.delete()
