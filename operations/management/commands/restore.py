"""`manage.py restore FILE`: a backup into an empty database, then `migrate` (operations/backups.py)."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from coding.models import Coding
from interviews.models import Interview, Project
from operations import backups


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` (or pg_dump -Fc) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        try:
            backups.restore(options["file"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        # A backup made by an older version gets the migrations that came since.
        call_command("migrate", "--no-input", verbosity=max(options["verbosity"] - 1, 0))
        self.stdout.write(
            f"Restored {options['file']}: {Project.objects.count()} projects, "
            f"{Interview.objects.count()} interviews, {Coding.objects.count()} codings."
        )
