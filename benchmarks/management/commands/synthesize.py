"""Generate a synthetic project for benchmarks: `manage.py synthesize --size S|M|L [--seed 1] [--replace]`.

Sizes: S = 20 interviews / 10,000 codings, M = 200 / 100,000, L = 2,000 / 1,000,000 (see
benchmarks/synthetic.py and docs/benchmarks.md). The logins synth-coder-1…4 (researchers),
synth-supervisor and synth-admin share the password `verbatim-synthetic`.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from benchmarks import synthetic


class Command(BaseCommand):
    help = "Create the synthetic project « Synthetic S|M|L » used by `manage.py bench`."

    def add_arguments(self, parser):
        synthetic.add_size_arguments(parser)
        parser.add_argument(
            "--replace", action="store_true", help="Delete the existing project of that size first."
        )

    def handle(self, *args, **options):
        size = synthetic.size_from_options(options)
        self.stdout.write(
            f"Generating « {synthetic.project_name(size)} »: {size.interviews} interviews "
            f"of about {size.words} words, {size.codings} codings, seed {options['seed']}."
        )
        started = time.perf_counter()
        try:
            report = synthetic.synthesize(
                size, seed=options["seed"], replace=options["replace"], log=self.stdout.write
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        total = time.perf_counter() - started
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.timings.items())
        self.stdout.write(
            f"Created « {report.project.name} » (id {report.project.pk}): {report.interviews} "
            f"interviews, {report.codings} codings in {total:.1f} s ({steps})."
        )
        self.stdout.write(
            f"Logins {', '.join(synthetic.CODERS)} (researchers), {synthetic.SUPERVISOR}, "
            f"{synthetic.ADMIN}; password: {synthetic.PASSWORD}"
        )
