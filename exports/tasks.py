"""Exports too large to wait for (more than VERBATIM_EXPORT_JOB_ROWS excerpts), written in the
background worker into a file kept VERBATIM_JOB_FILE_HOURS for the user who asked (jobs/)."""

import tempfile

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from excerpts.filters import read_filters
from exports import writers
from interviews import permissions
from interviews.permissions import Action
from jobs import runner

EXCERPTS_TASK = "exports.excerpts"
REPORT_EVERY = 500  # rows between two progress reports


@runner.task(EXCERPTS_TASK)
def export_excerpts(job, progress) -> dict:
    """The excerpts the filters (`arguments`: the export link's query and format) select, as the
    download would have written them."""
    try:
        membership = permissions.project_for(job.created_by, job.project_id, Action.EXPORT)
    except (Http404, PermissionDenied):
        raise runner.Failed([_("You may no longer export from this project.")]) from None
    project = membership.project
    filters = read_filters(project, QueryDict(job.arguments["query"]), user=job.created_by)
    if not filters.is_valid():
        raise runner.Failed(filters.errors)
    kind = job.arguments["format"]
    table = writers.excerpt_table(project, filters, form=kind)
    total = table.count
    table.rows = _reporting(table.rows, total, progress)
    filename = writers.download_name(project, "excerpts", kind)
    content = writers.xlsx_file(table) if kind == "xlsx" else _csv_file(table)
    with content:
        job.file.save(f"{job.pk}-{filename}", File(content), save=False)
    return {
        "summary": ngettext("%(count)d excerpt exported.", "%(count)d excerpts exported.", total)
        % {"count": total},
        "filename": filename,
    }


def _reporting(rows, total: int, progress):
    progress(0, total)
    for done, row in enumerate(rows, start=1):
        yield row
        if done % REPORT_EVERY == 0:
            progress(done, total)
    progress(total, total)


def _csv_file(table):
    file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller)
    for chunk in writers.csv_chunks(table):
        file.write(chunk)
    file.seek(0)
    return file
