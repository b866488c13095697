"""Import every transcript of a folder into a project: the upload pages' flow, for scripts.

    manage.py import_interviews entretiens/ --project 3 --user ada --attributes participants.xlsx

Same reading, pseudonymisation, speaker detection, sheet matching and all-or-nothing rule as the web
import (interviews/services.py). Speakers keep their labels as names, with the guessed role.
"""

import argparse
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from interviews import formats, pseudonyms, services
from interviews.models import Membership, Project


class Command(BaseCommand):
    help = "Import the transcripts of a folder (and an optional attribute sheet) into a project."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--project", type=int, required=True, help="the project's id")
        parser.add_argument(
            "--user", help="the admin recorded as importer (default: the first admin)"
        )
        parser.add_argument(
            "--attributes", type=Path, help="a .csv or .xlsx sheet, one row per interview"
        )
        parser.add_argument(
            "--encoding",
            type=_encoding,
            help="of text and subtitle files, any name Python knows (cp1252, gbk, shift_jis…)",
        )
        parser.add_argument("--language", default="fr")
        parser.add_argument(
            "--valid-only", action="store_true", help="import the valid files even if others fail"
        )

    def handle(
        self, *args, folder, project, user, attributes, encoding, language, valid_only, **options
    ):
        started = time.perf_counter()
        project = self._project(project)
        importer = self._user(project, user)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        pseudonymiser = pseudonyms.for_project(project)
        prepared = []
        for path in sorted(
            p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        ):
            prepared += services.prepare(
                name=path.name,
                data=path.read_bytes(),
                pseudonymiser=pseudonymiser,
                encoding=encoding,
                language=language,
            )
        problems = [f"{p.name}: {p.error}" for p in prepared if p.error]
        plans = [services.plan_for(p) for p in prepared if not p.error]
        for plan in plans:
            plan.language = language
        sheet_problems, refused = self._sheet(attributes, plans, pseudonymiser)
        problems += sheet_problems
        plans = [plan for index, plan in enumerate(plans) if index not in refused]
        result = services.import_interviews(
            project=project,
            plans=plans,
            imported_by=importer,
            problems=problems,
            valid_only=valid_only,
        )
        for message in result.skipped:
            self.stdout.write(message)
        for message in result.errors:
            self.stderr.write(message)
        if result.errors and not valid_only:
            raise CommandError(
                f"Nothing imported: {len(result.errors)} problem(s). Fix them, or use --valid-only."
            )
        self.stdout.write(
            f"Imported {len(result.created)} interview(s) into « {project} » "
            f"in {time.perf_counter() - started:.1f} s."
        )

    def _project(self, project_id):
        try:
            return Project.objects.get(pk=project_id)
        except Project.DoesNotExist:
            raise CommandError(f"No project with id {project_id}") from None

    def _user(self, project, username):
        admins = project.memberships.filter(role=Membership.Role.ADMIN).select_related("user")
        if username:
            admins = admins.filter(user__username=username)
        membership = admins.order_by("created_at").first()
        if membership is None:
            raise CommandError(f"{username or 'Nobody'} is not an admin of « {project} »")
        return membership.user

    def _sheet(self, path, plans, pseudonymiser):
        """Fill the plans from the sheet; its problems, and the plans they make invalid."""
        if path is None:
            return [], set()
        try:
            rows = formats.read_sheet(path.name, path.read_bytes())
        except formats.Unreadable as problem:
            return [f"{path.name}: {problem}"], set()
        rows = [[pseudonymiser.apply(cell) for cell in row] for row in rows]
        match = services.match_sheet(rows, plans)
        for warning in match.warnings:
            self.stdout.write(f"{path.name}: {warning}")
        for index, row in match.rows.items():
            services.apply_sheet(plans[index], row)
        problems = [f"{path.name}: {e}" for e in match.errors]
        problems += [f"{plans[i].name}: {e}" for i, e in match.file_errors.items()]
        return problems, set(match.file_errors)


def _encoding(name: str) -> str:
    if formats.codec_name(name) is None:
        raise argparse.ArgumentTypeError(
            f"unknown encoding “{name}”: give a name Python knows, such as utf-8, cp1252, "
            "latin-1, mac_roman, gbk, gb18030, big5, shift_jis, euc-kr, koi8-r, cp1251"
        )
    return name
