"""`manage.py backup FILE`: the whole database, in pg_dump's custom format (operations/backups.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations import backups


class Command(BaseCommand):
    help = "Write a backup of the database (pg_dump --format=custom) to FILE."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path = options["file"]
        try:
            backups.backup(path)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        size = path.stat().st_size / 1024 / 1024
        self.stdout.write(f"Backed up to {path} ({size:.1f} MB).")
