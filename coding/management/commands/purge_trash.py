"""`manage.py purge_trash`: remove deleted and merged codes kept past VERBATIM_TRASH_DAYS (coding.trash)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from coding import trash


class Command(BaseCommand):
    help = (
        "Remove the codes deleted or merged more than VERBATIM_TRASH_DAYS days ago from the trash."
    )

    def handle(self, *args, **options):
        count = trash.purge()
        days = settings.VERBATIM_TRASH_DAYS
        self.stdout.write(f"Purged {count} trash entries older than {days} days.")
