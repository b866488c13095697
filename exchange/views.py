"""REFI-QDA exchange pages: import a .qdpx as a new project or a .qdc into a codebook (upload →
preview and map the file's users → confirm), download a project or its codebook, and hand an
imported placeholder account's work to a member.

Between upload and confirmation the file is not kept: what was read from it waits in an
`ImportDraft` (exchange.plans.dump). Reading is exchange.plans.parse, storing exchange.importing.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from exchange import exporting, importing, placeholders, plans, refi
from exchange.forms import ConfirmProjectForm, HandOverForm, UploadForm
from exchange.models import ImportDraft, Placeholder
from exchange.tasks import IMPORT_TASK
from interviews import permissions
from interviews.permissions import Action
from jobs import runner
from verbatim import people

KINDS = {plans.PROJECT: ImportDraft.Kind.PROJECT, plans.CODEBOOK: ImportDraft.Kind.CODEBOOK}


def _draft(user, project=None) -> ImportDraft | None:
    """The person's import waiting for confirmation (into `project`, or as a new project), once
    drafts past their time are gone."""
    cutoff = timezone.now() - timedelta(hours=settings.VERBATIM_IMPORT_DRAFT_HOURS)
    ImportDraft.objects.filter(created_at__lt=cutoff).delete()
    return ImportDraft.objects.filter(created_by=user, project=project).first()


def _parse(upload, kind: str) -> plans.Plan:
    """Step 1: read the upload. Raises refi.RefiError, with a translated message as `refusal`."""
    limits = importing.limits(settings.VERBATIM_MAX_QDPX_BYTES)
    try:
        return plans.parse(upload, kind, file_name=upload.name[:255], limits=limits)
    except refi.RefiError as error:
        error.refusal = importing.refusal(error, limits)
        raise


def _save_draft(user, project, plan: plans.Plan) -> None:
    ImportDraft.objects.update_or_create(
        created_by=user,
        project=project,
        defaults={
            "kind": KINDS[plan.kind],
            "file_name": plan.file_name,
            "plan": plans.dump(plan),
            "created_at": timezone.now(),
        },
    )


def _filename(project, extension: str) -> str:
    name = slugify(project.name) or "verbatim"
    return f"{name}-{timezone.localdate().isoformat()}.{extension}"


# /exchange/import/: a .qdpx as a new project (anyone may start a project, and becomes its admin)


def import_project(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None, kind=plans.PROJECT)
    if request.method == "POST" and form.is_valid():
        try:
            plan = _parse(form.cleaned_data["file"], plans.PROJECT)
        except refi.RefiError as error:
            form.add_error("file", error.refusal)
        else:
            _save_draft(request.user, None, plan)
            return redirect("exchange:import-preview")
    context = {
        "form": form,
        "draft": _draft(request.user),
        "max_mb": settings.VERBATIM_MAX_QDPX_BYTES // (1024 * 1024),
    }
    return render(request, "exchange/import_upload.html", context)


def import_preview(request: HttpRequest) -> HttpResponse:
    draft = _draft(request.user)
    if draft is None:
        messages.info(request, _("No import is waiting: upload the file again."))
        return redirect("exchange:import")
    plan = plans.load(draft.plan)
    candidates = placeholders.colleagues(request.user)
    form = ConfirmProjectForm(request.POST or None, plan=plan, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        # Stored by the background worker (exchange/tasks.py); its page shows the progress.
        job = runner.start(
            task=IMPORT_TASK,
            title=_("REFI-QDA import: %(name)s") % {"name": form.cleaned_data["name"]},
            user=request.user,
            arguments={"draft": draft.pk, "answers": {f: form.data.get(f) for f in form.fields}},
            back_url=reverse("exchange:import-preview"),
        )
        return redirect("jobs:detail", job.pk)
    context = {
        "draft": draft,
        "plan": plan,
        "preview": importing.preview(plan),
        "form": form,
        "discard_url": "exchange:import-discard",
    }
    return render(request, "exchange/import_preview.html", context)


@require_POST
def import_discard(request: HttpRequest) -> HttpResponse:
    ImportDraft.objects.filter(created_by=request.user, project=None).delete()
    messages.info(request, _("The import was discarded: nothing was stored."))
    return redirect("interviews:project-list")


# /projects/<project_id>/exchange/: downloads, a codebook to import, imported accounts


def exchange_page(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.EXCHANGE)
    project = membership.project
    abilities = permissions.abilities(membership)
    accounts = []
    if abilities["can_manage"]:
        for placeholder in Placeholder.objects.filter(project=project).select_related("user"):
            placeholder.codings = placeholder.user.codings.count()
            accounts.append(placeholder)
    context = {
        "project": project,
        "membership": membership,
        "upload": UploadForm(kind=plans.CODEBOOK),
        "draft": _draft(request.user, project) if abilities["can_import"] else None,
        "accounts": accounts,
        "hand_over": HandOverForm(),
        **abilities,
    }
    return render(request, "exchange/exchange.html", context)


@require_GET
def export_project(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.EXCHANGE)
    project = membership.project
    line_endings = "crlf" if request.GET.get("for") == "maxqda" else "as_is"
    # Streamed as it is written, not made whole first (verbatim/downloads.py): a large project's
    # zip takes seconds to write, and a download that has begun shows the wait. Its snapshot's
    # transaction lasts as long as the client reads (a proxy that buffers answers, nginx's default,
    # reads for it): a client that stops reading loses it to WEB_IDLE_TRANSACTION_TIMEOUT.
    response = StreamingHttpResponse(
        exporting.project_chunks(project, line_endings=line_endings),
        content_type="application/zip",
    )
    response["Content-Disposition"] = content_disposition_header(True, _filename(project, "qdpx"))
    return response


@require_GET
def export_codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.EXCHANGE)
    project = membership.project
    if not project.codes.exists():
        messages.error(request, _("The codebook has no code yet: there is nothing to export."))
        return redirect("exchange:project", project_id)
    response = HttpResponse(exporting.codebook_bytes(project), content_type="application/xml")
    response["Content-Disposition"] = content_disposition_header(True, _filename(project, "qdc"))
    return response


@require_POST
def import_codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    project = membership.project
    form = UploadForm(request.POST, request.FILES, kind=plans.CODEBOOK)
    if form.is_valid():
        try:
            plan = _parse(form.cleaned_data["file"], plans.CODEBOOK)
        except refi.RefiError as error:
            form.add_error("file", error.refusal)
        else:
            _save_draft(request.user, project, plan)
            return redirect("exchange:codebook-preview", project_id)
    for error in form.errors.get("file", []):
        messages.error(request, error)
    return redirect("exchange:project", project_id)


def codebook_preview(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    project = membership.project
    draft = _draft(request.user, project)
    if draft is None:
        messages.info(request, _("No import is waiting: upload the file again."))
        return redirect("exchange:project", project_id)
    plan = plans.load(draft.plan)
    if request.method == "POST":
        created = importing.store_codebook(plan, project=project, user=request.user)
        draft.delete()
        messages.success(
            request,
            ngettext(
                "%(count)d code added to the codebook.",
                "%(count)d codes added to the codebook.",
                created,
            )
            % {"count": created},
        )
        return redirect("coding:codebook", project_id)
    context = {
        "project": project,
        "membership": membership,
        "draft": draft,
        "plan": plan,
        "preview": importing.preview(plan, project),
        "discard_url": "exchange:codebook-discard",
        **permissions.abilities(membership),
    }
    return render(request, "exchange/import_preview.html", context)


@require_POST
def codebook_discard(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    ImportDraft.objects.filter(created_by=request.user, project=membership.project).delete()
    messages.info(request, _("The import was discarded: nothing was stored."))
    return redirect("exchange:project", project_id)


@require_POST
def hand_over(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.MANAGE)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("exchange:project", project_id)
    placeholder = get_object_or_404(
        Placeholder, pk=form.cleaned_data["placeholder"], project=membership.project
    )
    member = form.cleaned_data["username"]
    placeholders.hand_over(placeholder, member, by=request.user)
    messages.success(
        request,
        _("The work of « %(name)s » now belongs to %(user)s.")
        % {"name": placeholder.name, "user": people.name(member)},
    )
    return redirect("exchange:project", project_id)
