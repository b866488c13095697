"""Export a project as a REFI-QDA project (.qdpx), or its codebook (.qdc).

    manage.py export_qdpx 3 etude.qdpx [--maxqda]
    manage.py export_qdpx 3 codes.qdc          (or --codebook)

The same file as the download on the project's exchange page (exchange.exporting), written as it
is produced.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exchange import exporting
from interviews.models import Project


class Command(BaseCommand):
    help = "Export a project as a REFI-QDA .qdpx, or its codebook as a .qdc."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("out", type=Path)
        parser.add_argument(
            "--codebook", action="store_true", help="the codebook only (.qdc; implied by .qdc)"
        )
        parser.add_argument(
            "--maxqda",
            action="store_true",
            help="texts with CRLF line endings and positions counting each as one (for MAXQDA)",
        )

    def handle(self, *args, project_id: int, out: Path, codebook: bool, maxqda: bool, **options):
        try:
            project = Project.objects.get(pk=project_id)
        except Project.DoesNotExist:
            raise CommandError(f"There is no project {project_id}.") from None
        codebook = codebook or out.suffix.lower() == ".qdc"
        if codebook and maxqda:
            raise CommandError("--maxqda applies to a .qdpx project, not to a codebook.")
        try:
            if codebook:
                data = exporting.codebook_bytes(project)
                out.write_bytes(data)
            else:
                line_endings = "crlf" if maxqda else "as_is"
                with out.open("wb") as file:
                    try:
                        for chunk in exporting.project_chunks(project, line_endings=line_endings):
                            file.write(chunk)
                    except BaseException:
                        out.unlink(missing_ok=True)  # no half-written file left behind
                        raise
        except ValueError as error:  # a codebook without codes
            raise CommandError(f"Nothing exported: {error}") from None
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror}") from None
        self.stdout.write(f"« {project} » exported to {out} ({out.stat().st_size:,} bytes).")
