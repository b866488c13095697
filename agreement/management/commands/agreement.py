"""The agreement figures of a project, on the command line: the agreement page's table, for scripts.

    manage.py agreement 3 --coders rita,remi --interviews 12,13 --json figures.json
    manage.py agreement 3 --round 2

The selection is read and checked as on the page (agreement/selection.py); `--json` writes the
shape docs/agreement.md describes: fractions between 0 and 1, null for an undefined figure (its
reason beside it).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agreement import figures, selection
from interviews.models import Project


def _listed(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value else None


class Command(BaseCommand):
    help = "Inter-coder agreement per code and overall (percent agreement, κ, uα, segments, α)."

    def add_arguments(self, parser):
        parser.add_argument("project", type=int, help="the project's id")
        parser.add_argument(
            "--coders", help="usernames, comma-separated (`consensus`: the project's consensus)"
        )
        parser.add_argument("--interviews", help="interview ids, comma-separated")
        parser.add_argument("--codes", help="code ids, comma-separated (default: every code)")
        parser.add_argument("--round", help="a coding round's id: its coders, interviews, codes")
        parser.add_argument(
            "--min-overlap", default=None, help="segment agreement: overlap needed, in % (90)"
        )
        parser.add_argument(
            "--unit", choices=selection.UNITS, default=None, help="α on paragraphs or turns"
        )
        parser.add_argument("--json", type=Path, help="write the figures to this file as JSON")

    def handle(self, *args, **options):
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No project {options['project']}.")
        try:
            chosen = selection.read_selection(
                project,
                coders=_listed(options["coders"]),
                interviews=_listed(options["interviews"]),
                codes=_listed(options["codes"]),
                round_id=options["round"],
                overlap=options["min_overlap"],
                unit=options["unit"],
                by_username=True,
            )
        except selection.NotInProject as error:
            raise CommandError(
                _("%(problem)s (not in project %(id)s)") % {"problem": error, "id": project.pk}
            ) from None
        except selection.Invalid as error:
            raise CommandError("\n".join(error.messages)) from None
        computed = figures.compute(chosen, cells=options["json"] is not None)
        for note in chosen.notes:
            self.stderr.write(note)
        self.stdout.write(table(computed))
        if options["json"]:
            options["json"].write_text(
                json.dumps(computed.as_json(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            self.stderr.write(f"Written to {options['json']}.")


def _shown(figure: figures.Figure, percent: bool = False) -> str:
    if figure.value is None:
        return "—"
    return f"{figure.value:.1%}" if percent else f"{figure.value:.3f}"


def table(computed: figures.Figures) -> str:
    s = computed.selection
    header = ("code", "agreement", "kappa", "u-alpha", "segments", "alpha")
    rows = [header]
    for code in computed.codes:
        rows.append(
            (
                code.path,
                _shown(code.percent, True),
                _shown(code.kappa),
                _shown(code.alpha_u),
                _shown(code.segment, True),
                _shown(code.alpha_nominal),
            )
        )
    o = computed.overall
    rows.append(
        (
            "overall",
            _shown(o.percent, True),
            _shown(o.kappa),
            _shown(o.alpha_u),
            _shown(o.segment, True),
            _shown(o.alpha_nominal),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        f"{len(s.coders)} coders ({', '.join(c.username for c in s.coders)}), "
        f"{len(s.interviews)} interviews, {s.length:,} characters, {len(s.codes)} codes",
    ]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
    lines.append(
        f"Brennan & Prediger's kappa on segments: {_shown(o.segment_kappa)} "
        f"({o.codes_used} codes applied; min. overlap {float(s.min_overlap):.0%})"
    )
    return "\n".join(lines)
