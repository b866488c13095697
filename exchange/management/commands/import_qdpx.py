"""Import a REFI-QDA project (.qdpx) as a new project, or a codebook (.qdc) into a project.

    manage.py import_qdpx study.qdpx --new-project "Étude" [--admin ada]
    manage.py import_qdpx codes.qdc --project 3 [--admin ada]
    manage.py import_qdpx codes.qdc --new-project "Nouvelle étude"

The same reading and storing as the web import (exchange.plans, exchange.importing), all or
nothing. The file's users are matched to accounts by username or full name; the others get an
inactive placeholder account, which a project admin hands to a member later (docs/exchange.md).
"""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange import importing, placeholders, plans, refi
from interviews.models import Membership, Project


class Command(BaseCommand):
    help = "Import a REFI-QDA project (.qdpx) as a new project, or a codebook (.qdc)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--new-project", metavar="NAME", help="create a project of this name")
        parser.add_argument("--project", type=int, metavar="ID", help="a .qdc: the project's id")
        parser.add_argument(
            "--admin",
            metavar="USERNAME",
            help="the importer, admin of a new project (default: the project's first admin, or "
            "the first superuser)",
        )

    def handle(self, *args, file: Path, new_project, project, admin, **options):
        started = time.perf_counter()
        kind = plans.CODEBOOK if file.suffix.lower() == ".qdc" else plans.PROJECT
        if kind == plans.PROJECT and (project is not None or not new_project):
            raise CommandError(
                "A .qdpx project is imported as a new project: give --new-project NAME."
            )
        if kind == plans.CODEBOOK and (project is None) == (not new_project):
            raise CommandError("Give either --project ID or --new-project NAME for a .qdc.")
        if new_project is not None and not new_project.strip():
            raise CommandError("The new project needs a name.")
        target = self._project(project) if project is not None else None
        importer = self._admin(admin, target)
        plan = self._read(file, kind)
        self._describe(plan, target)
        if kind == plans.PROJECT:
            accounts = self._accounts(plan)
            result = importing.store_project(plan, name=new_project, admin=importer, users=accounts)
            message = f"Project « {result} » (id {result.pk}) created"
        elif target is not None:
            created = importing.store_codebook(plan, project=target, user=importer)
            message = f"{created} code(s) added to « {target} »"
        else:
            result = importing.new_codebook_project(plan, name=new_project, admin=importer)
            message = f"Project « {result} » (id {result.pk}) created with the codebook"
        self.stdout.write(f"{message} in {time.perf_counter() - started:.1f} s.")

    def _project(self, project_id: int) -> Project:
        try:
            return Project.objects.get(pk=project_id)
        except Project.DoesNotExist:
            raise CommandError(f"There is no project {project_id}.") from None

    def _admin(self, username: str | None, project: Project | None):
        """The named user; else, for an existing project, its first admin; else the first
        superuser."""
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"There is no user {username!r}.")
            return user
        if project is not None:
            admins = project.memberships.filter(role=Membership.Role.ADMIN).order_by("pk")
            if first := admins.select_related("user").first():
                return first.user
        user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("There is no superuser: name the admin with --admin USERNAME.")
        return user

    def _read(self, file: Path, kind: str) -> plans.Plan:
        limits = refi.Limits()
        try:
            with file.open("rb") as stream:
                return plans.parse(stream, kind, file_name=file.name, limits=limits)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        except refi.RefiError as error:
            raise CommandError(
                f"{file.name}: {importing.refusal(error, limits)} Nothing was imported."
            ) from None

    def _describe(self, plan: plans.Plan, target: Project | None) -> None:
        shown = importing.preview(plan, target)
        counts = ", ".join(f"{value} {name}" for name, value in shown.counts.items())
        self.stdout.write(f"{plan.file_name}: {counts}.")
        for row in shown.sources:
            self.stdout.write(f"  {row.title}: {row.codings} codings; positions in {row.unit}")
        for skipped in shown.without_text:
            self.stdout.write(f"  not imported: {skipped.name} ({skipped.reason})")
        for notice in shown.notices:
            self.stdout.write(f"  {notice.label}: {notice.count}")
            for detail in notice.details[:5]:
                self.stdout.write(f"      {detail}")

    def _accounts(self, plan: plans.Plan) -> dict:
        everyone = list(get_user_model().objects.order_by("-is_active", "pk"))
        accounts = {}
        for user in plan.project.users:
            account = placeholders.suggest(user.name, everyone)
            accounts[user.guid] = account
            shown = account.get_username() if account else "a new placeholder account"
            self.stdout.write(f"  user « {user.name} » → {shown}")
        return accounts
