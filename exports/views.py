"""Downloads: excerpts and the codebook as CSV or Excel, and a code's report as a page or a .docx.

The files are built by exports/writers.py; these views fetch and authorise, read the filters and
answer with a streamed CSV, an Excel file from a temporary file, or the report. Every role may
export today (Action.EXPORT); the fetchers still decide it, so a role without it gets 403.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from coding.models import Code
from coding.visibility import reads_along, visible_codings
from excerpts.filters import member_filters, member_statements
from exports import writers
from exports.tasks import EXCERPTS_TASK
from interviews import permissions
from interviews.models import Project
from interviews.permissions import Action
from jobs import runner
from verbatim import downloads


def _filename(project: Project, what: str, extension: str) -> str:
    return writers.download_name(project, what, extension)


def _refused(project: Project, messages: list[str], back: str) -> HttpResponse:
    """A plain page saying why nothing was exported (400), linking back to `back`. The export
    links carry filters the page already checked: whoever lands here edited the address."""
    page = format_html(
        '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title>'
        '<h1>{}</h1><ul>{}</ul><p><a href="{}">{}</a></p></html>',
        get_language(),
        _("Nothing exported"),
        _("Nothing exported"),
        format_html_join("", "<li>{}</li>", ((message,) for message in messages)),
        back,
        project.name,
    )
    return HttpResponseBadRequest(page)


def _download(table: writers.Table, kind: str, filename: str) -> HttpResponse:
    if kind == "csv":
        return downloads.made_whole(writers.csv_chunks(table), filename)
    return downloads.attachment(writers.xlsx_file(table), filename)


@require_http_methods(["GET", "POST"])
@reads_along(lambda request, project_id: member_statements(project_id))
def export_excerpts(request: HttpRequest, project_id: int) -> HttpResponse:
    # The member, the blind rounds and the codebook in one round trip; the export in a second.
    membership, excerpts, _rows = member_filters(
        request.user, project_id, request.GET, Action.EXPORT
    )
    project = membership.project
    kind = request.GET.get("format", "csv")
    # Back to the excerpts page with the same filters: it names what is wrong there too.
    params = request.GET.copy()
    params.pop("format", None)
    back = f"{reverse('excerpts:list', args=[project.pk])}?{params.urlencode()}"
    if kind not in ("csv", "xlsx"):
        return _refused(project, [_("Choose CSV or Excel (xlsx).")], back)
    if not excerpts.is_valid():
        return _refused(project, excerpts.errors, back)
    limit = settings.VERBATIM_EXPORT_JOB_ROWS
    table = writers.excerpt_table(project, excerpts, limit=limit, form=kind)
    if table.count > limit:
        return _export_job(request, project, kind, back)
    return _download(table, kind, _filename(project, "excerpts", kind))


def _export_job(request: HttpRequest, project: Project, kind: str, back: str) -> HttpResponse:
    """More excerpts than a download should wait for: asked (GET), the page offers to prepare
    the file in the background; confirmed (POST), a job writes it (exports/tasks.py) and its page
    shows the progress, then the file to download."""
    if request.method != "POST":
        context = {
            "project": project,
            "kind": kind,
            "back": back,
            "limit": settings.VERBATIM_EXPORT_JOB_ROWS,
        }
        return render(request, "exports/export_job.html", context)
    job = runner.start(
        task=EXCERPTS_TASK,
        title=_("Excerpts of %(project)s (%(format)s)")
        % {"project": project.name, "format": "Excel" if kind == "xlsx" else "CSV"},
        user=request.user,
        project=project,
        arguments={"query": request.GET.urlencode(), "format": kind},
        back_url=back,
    )
    return redirect("jobs:detail", job.pk)


@require_GET
def export_codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.EXPORT)
    project = membership.project
    kind = request.GET.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        back = reverse("coding:codebook", args=[project.pk])
        return _refused(project, [_("Choose CSV or Excel (xlsx).")], back)
    table = writers.codebook_table(project, visible_codings(membership))
    return _download(table, kind, _filename(project, "codebook", kind))


def _report_query(subcodes: bool, every_state: bool, **extra) -> str:
    params = {"subcodes": "1" if subcodes else None, "status": "all" if every_state else None}
    return urlencode({k: v for k, v in {**params, **extra}.items() if v is not None})


@require_GET
def code_report(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.EXPORT)
    project = membership.project
    code = get_object_or_404(Code, pk=code_id, project=project)
    kind = request.GET.get("format", "html")
    if kind not in ("html", "docx"):
        back = reverse("exports:code-report", args=[project.pk, code.pk])
        return _refused(project, [_("Choose the page or Word (docx).")], back)
    subcodes = request.GET.get("subcodes") == "1"
    every_state = request.GET.get("status") == "all"
    report = writers.code_report(
        code, subcodes=subcodes, every_state=every_state, seen=visible_codings(membership)
    )
    if kind == "docx":
        filename = _filename(project, slugify(code.name) or "code", "docx")
        return downloads.attachment(writers.report_docx(report), filename)
    context = {
        "project": project,
        "report": report,
        # Links keep the other choice: sub-codes and review states toggle independently.
        "subcodes_query": _report_query(not subcodes, every_state),
        "status_query": _report_query(subcodes, not every_state),
        "docx_query": _report_query(subcodes, every_state, format="docx"),
        **permissions.abilities(membership),
    }
    return render(request, "exports/code_report.html", context)
