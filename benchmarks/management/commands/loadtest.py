"""Load test: `manage.py loadtest --users K --duration SECONDS [--size S|M|L] [--workers N]`.

Starts the production server (Granian) on a free port of 127.0.0.1 against this database, drives K
simulated researchers who open interviews, apply and remove codes, then checks in the database that
every acknowledged coding is stored exactly once and that nothing else was written. Prints latency
per request type and the coding writes per second; exits with status 1 on any failed request, lost,
duplicated or unexpected coding. How it works: benchmarks/loadtest.py; figures: docs/operations.md.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from benchmarks import bench, loadtest, synthetic
from verbatim import server


class Command(BaseCommand):
    help = "Drive K simulated researchers against the production server, then audit the codings."

    def add_arguments(self, parser):
        synthetic.add_size_arguments(parser)
        parser.add_argument("--users", type=int, default=10, help="Simulated researchers (10).")
        parser.add_argument("--duration", type=float, default=60, help="Seconds of load (60).")
        # Defaults as in production: verbatim/server.py, with VERBATIM_WORKERS/THREADS.
        production = server.options()
        parser.add_argument(
            "--workers",
            type=int,
            default=production["workers"],
            help=f"Worker processes ({production['workers']}).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=production["blocking_threads"],
            help=f"Threads per worker ({production['blocking_threads']}).",
        )
        parser.add_argument(
            "--think", type=float, default=0, help="Seconds each researcher waits between actions."
        )
        parser.add_argument("--json", metavar="FILE", help="Also write the figures as JSON.")

    def handle(self, *args, **options):
        if options["users"] < 1 or options["duration"] <= 0:
            raise CommandError("--users must be at least 1 and --duration positive.")
        if settings.DEBUG:
            self.stderr.write("DJANGO_DEBUG is on: the server runs in debug mode, slower.")
        size = synthetic.size_from_options(options)
        project = bench.project_for_size(size, seed=options["seed"], log=self.stdout.write)
        workers = options["workers"]
        self.stdout.write(
            f"Load test on « {project.name} »: {options['users']} researchers for "
            f"{options['duration']:g} s, {workers} server workers × {options['threads']} "
            f"thread(s) on 127.0.0.1."
        )
        outcome = loadtest.load_test(
            project,
            users=options["users"],
            duration=options["duration"],
            workers=workers,
            threads=options["threads"],
            think=options["think"],
        )
        self.stdout.write(loadtest.summary(outcome))
        self._report(outcome)
        if options["json"]:
            self._write_json(Path(options["json"]), outcome, workers, options)
        if not outcome.ok:
            raise CommandError("The load test failed (see above).", returncode=1)

    def _report(self, outcome: loadtest.Outcome) -> None:
        if not outcome.problems:
            self.stdout.write(
                f"Verified in the database: the {outcome.stored} acknowledged codings are stored "
                f"once each, the audit trail has one event per acknowledged write, and nothing "
                f"else changed."
            )
        for problem in outcome.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        samples = [s for tally in outcome.tallies for s in tally.error_samples]
        if outcome.failed:
            self.stderr.write(f"{outcome.failed} requests failed, for example:")
            for sample in samples[:10]:
                self.stderr.write(f"  {sample}")
            self.stderr.write(f"Server log (end):\n{outcome.server_log}")

    def _write_json(self, path: Path, outcome: loadtest.Outcome, workers: int, options) -> None:
        report = {
            "users": outcome.users,
            "duration_s": outcome.duration,
            "workers": workers,
            "threads": options["threads"],
            "writes": outcome.writes,
            "writes_per_s": round(outcome.writes / outcome.duration, 1),
            "slowest_10s_writes_per_s": round(loadtest.slowest_window(outcome), 1),
            "cpu_ms_per_write": outcome.cpu_ms_per_write(),
            "failed_requests": outcome.failed,
            "problems": outcome.problems,
            "requests": loadtest.latencies(outcome),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        self.stdout.write(f"Wrote {path}.")
