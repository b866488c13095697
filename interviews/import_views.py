"""Importing interviews, for project admins: upload → preview and map speakers → attributes → confirm.

Between upload and confirmation the admin's draft lives in the database (`ImportBatch`, one per admin
and project, with an `ImportFile` per transcript), already pseudonymised: the uploaded files are
read, pseudonymised and forgotten within the upload request. Reading and storing is done by
interviews/services.py, shared with `manage.py import_interviews`. Also the replacement list page.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from interviews import formats, permissions, pseudonyms, services
from interviews.forms import PseudonymsForm, SheetForm, UploadForm
from interviews.models import Attribute, ImportBatch, ImportFile, Pseudonym, Speaker, Turn
from interviews.permissions import Action
from interviews.tasks import IMPORT_TASK
from interviews.transcripts import blocks
from jobs import isolation, runner
from jobs.models import Job
from verbatim import fragments

PROGRESS_MARK = "<!--progress-->"


def _draft(membership) -> ImportBatch | None:
    """The admin's import in progress in this project, once drafts past their time are gone."""
    cutoff = timezone.now() - timedelta(hours=settings.VERBATIM_IMPORT_DRAFT_HOURS)
    ImportBatch.objects.filter(created_at__lt=cutoff).delete()
    return ImportBatch.objects.filter(
        project=membership.project, created_by=membership.user
    ).first()


# Lines of each reading shown side by side when the encoding is unsure.
READING_LINES = 6


def _readings(file: ImportFile) -> list[dict]:
    """The readings of a file whose encoding is unsure, side by side: the first lines where they
    differ (where accents are), or the first lines."""
    texts = {file.encoding: file.text, **file.alternatives}
    split = {codec: text.split("\n") for codec, text in texts.items()}
    rows = max(len(lines) for lines in split.values())
    differing = [
        i for i in range(rows) if len({tuple(lines[i : i + 1]) for lines in split.values()}) > 1
    ][:READING_LINES] or list(range(min(rows, READING_LINES)))
    return [
        {
            "codec": codec,
            "label": formats.encoding_label(codec),
            "chosen": codec == file.encoding,
            "lines": [lines[i] if i < len(lines) else "" for i in differing],
        }
        for codec, lines in split.items()
    ]


def _comment(text: str, comment: dict) -> dict:
    return {**comment, "passage": text[comment["start"] : comment["end"]][:300]}


def _preview_context(membership, batch, data=None, errors=()) -> dict:
    confirmation = services.draft_plans(batch, data)
    pairs, match = confirmation.pairs, confirmation.match
    plans = [plan for _file, plan in pairs]
    names = confirmation.columns
    types = {name: data.get(f"type-{i}", "") for i, name in enumerate(names)} if data else {}
    attributes = {a.name: a for a in services.plan_attributes(batch.project, plans, types)}
    existing = {pseudonyms.name_key(a.name): a for a in batch.project.attributes.all()}
    columns = []
    for index, name in enumerate(names):
        known = existing.get(pseudonyms.name_key(name))
        type_ = known.type if known else getattr(attributes.get(name), "type", Attribute.Type.TEXT)
        columns.append({"index": index, "name": name, "new": known is None, "type": type_})
    items = []
    seen = {}  # checksum → the batch's first file with that text, as services.import_interviews
    for index, (file, plan) in enumerate(pairs):
        problems = services.check_values(plan, list(attributes.values()))
        if match and index in match.file_errors:
            problems.insert(0, match.file_errors[index])
        checksum = services.text_checksum(plan.text)
        duplicate = services.duplicate_of(batch.project, plan.text)
        twin = None if duplicate else seen.get(checksum)
        seen.setdefault(checksum, file.name)
        items.append(
            {
                "file": file,
                "plan": plan,
                "duplicate": duplicate,
                "twin": twin,  # an earlier file of this batch with the same text
                "problems": problems,
                "values": [(column, plan.values.get(column["name"], "")) for column in columns],
                "readings": _readings(file) if not file.encoding_sure else [],
                "comments": [_comment(file.text, c) for c in file.comments],
            }
        )
    return {
        "project": membership.project,
        "membership": membership,
        "batch": batch,
        "items": items,
        # What the button promises: duplicates are skipped, in the project or in the batch.
        "importable": sum(1 for item in items if not item["duplicate"] and not item["twin"]),
        "unreadable": [f for f in batch.files.all() if f.error],
        "columns": columns,
        "types": Attribute.Type.choices,
        "roles": services.ROLE_CHOICES,
        "match": match,
        "sheet_form": SheetForm(),
        "errors": errors,
        "encoding_names": formats.ENCODINGS,
        **permissions.abilities(membership),
    }


# /projects/<project_id>/import/


def import_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch, _created = ImportBatch.objects.get_or_create(
            project=membership.project, created_by=request.user
        )
        page = render_to_string(
            "interviews/import_upload.html",
            {"project": membership.project, "membership": membership, "processing": True},
            request=request,
        )
        head, tail = page.split(PROGRESS_MARK)
        response = StreamingHttpResponse(
            _process(batch, form.cleaned_data["files"], form.cleaned_data["encoding"], head, tail)
        )
        response["X-Accel-Buffering"] = "no"  # let a proxy pass each line on as it comes
        return response
    context = {
        "project": membership.project,
        "membership": membership,
        "form": form,
        "draft": _draft(membership),
        "max_mb": settings.VERBATIM_MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "interviews/import_upload.html", context)


def _process(batch, uploads, encoding, head, tail):
    """Read the files one by one, telling the browser as each is done: a large batch shows progress.

    Each file's draft row is committed at once; the original bytes are dropped when the request ends.
    """
    yield head
    pseudonymiser = pseudonyms.for_project(batch.project)
    position = batch.files.count()
    for number, upload in enumerate(uploads, start=1):
        if upload.size > settings.VERBATIM_MAX_UPLOAD_BYTES:
            error = str(formats.too_large())
            found = [services.Prepared(pseudonymiser.apply(upload.name)[:255], error=error)]
        else:
            found = services.prepare(
                name=upload.name,
                data=upload.read(),
                pseudonymiser=pseudonymiser,
                encoding=encoding or None,
            )
        for prepared in found:
            position += 1
            ImportFile.objects.create(batch=batch, position=position, **prepared.__dict__)
            yield _progress_line(number, len(uploads), prepared)
    yield tail


def _progress_line(number: int, total: int, prepared) -> str:
    if prepared.error:
        return format_html(
            '<li class="problem">{}/{} <strong>{}</strong>: {}</li>\n',
            number,
            total,
            prepared.name,
            prepared.error,
        )
    words = len(prepared.text.split())
    return format_html(
        '<li class="ok">{}/{} <strong>{}</strong>: {}</li>\n',
        number,
        total,
        prepared.name,
        ngettext("%(count)d word", "%(count)d words", words) % {"count": words},
    )


# /projects/<project_id>/import/preview/


@vary_on_headers("HX-Request")
def import_preview(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    batch = _draft(membership)
    if batch is None:
        return redirect("interviews:import", project_id)
    if request.method == "POST":
        # Buttons of the preview form: remove=<file id>, or encoding=<file id>:<encoding>.
        file_id, _sep, encoding = request.POST.get(
            "remove", request.POST.get("encoding", "")
        ).partition(":")
        file = get_object_or_404(ImportFile, pk=file_id if file_id.isdigit() else 0, batch=batch)
        if "remove" in request.POST:
            file.delete()
        elif encoding in file.alternatives:
            file.encoding, file.text = encoding, file.alternatives[encoding]
            file.save(update_fields=["encoding", "text"])
        return redirect("interviews:import-preview", project_id)
    if "file" in request.GET:
        return _file_preview(request, membership, batch)
    return render(request, "interviews/import_preview.html", _preview_context(membership, batch))


def _file_preview(request, membership, batch) -> HttpResponse:
    """One transcript as the interview page will show it, with the speakers as proposed."""
    file_id = request.GET["file"]
    file = get_object_or_404(
        ImportFile, pk=file_id if file_id.isdigit() else 0, batch=batch, error=""
    )
    plan = services.plan_for(file)
    kept = {s.label: s for s in plan.speakers if s.role != services.NOT_A_SPEAKER}
    turns = [
        Turn(
            start=t.start,
            end=t.end,
            timestamp=t.timestamp,
            speaker=Speaker(label=t.label, name=kept[t.label].name, role=kept[t.label].role),
        )
        for t in services.parse_turns(file.text, labels=set(kept), marks=_time_marks(plan))
    ]
    template = fragments.template(request, "interviews/import_preview.html", "file-text")
    context = {
        "project": membership.project,
        "membership": membership,
        "file": file,
        "blocks": blocks(file.text, turns),
        "single": True,
    }
    return render(request, template, context)


def _time_marks(plan) -> list[formats.TimeMark]:
    return sorted((formats.TimeMark(*mark) for mark in plan.marks), key=lambda mark: mark.start)


# /projects/<project_id>/import/attributes/


@require_POST
def import_attributes(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    batch = _draft(membership)
    if batch is None:
        return redirect("interviews:import", project_id)
    if "clear" in request.POST:
        batch.sheet = {}
        batch.save(update_fields=["sheet"])
        return redirect("interviews:import-preview", project_id)
    form = SheetForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a .csv or .xlsx file."))
        return redirect("interviews:import-preview", project_id)
    upload = form.cleaned_data["sheet"]
    try:
        if upload.size > settings.VERBATIM_MAX_UPLOAD_BYTES:
            raise formats.too_large()
        # Spreadsheets are zips of XML too: read in the isolated reader, like transcripts.
        rows = isolation.run(formats.read_sheet, upload.name, upload.read(), what=_("The sheet"))
    except (formats.Unreadable, isolation.Exhausted) as problem:
        messages.error(request, f"{upload.name}: {problem}")
        return redirect("interviews:import-preview", project_id)
    # Sheets name people too: the replacement list applies to them as to transcripts.
    pseudonymiser = pseudonyms.for_project(membership.project)
    rows = [[pseudonymiser.apply(cell) for cell in row] for row in rows]
    batch.sheet = {"name": pseudonymiser.apply(upload.name), "rows": rows}
    batch.save(update_fields=["sheet"])
    return redirect("interviews:import-preview", project_id)


# /projects/<project_id>/import/confirm/


@require_POST
def import_confirm(request: HttpRequest, project_id: int) -> HttpResponse:
    """Check the draft as it would be stored, then store it in the background: the job page shows
    the progress and, once done, what was imported or why nothing was."""
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    batch = _draft(membership)
    if batch is None:
        return redirect("interviews:import", project_id)
    running = _running_import(membership)
    if running:
        return redirect("jobs:detail", running.pk)
    confirmation = services.draft_plans(batch, request.POST)
    result, valid, _attributes = services.check_import(
        project=membership.project,
        plans=confirmation.plans,
        problems=confirmation.problems,
        types=confirmation.types,
    )
    if result.errors and not confirmation.valid_only:
        context = _preview_context(membership, batch, request.POST, result.errors)
        return render(request, "interviews/import_preview.html", context)
    choices = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    job = runner.start(
        task=IMPORT_TASK,
        title=ngettext(
            "Import of %(count)d interview", "Import of %(count)d interviews", len(valid)
        )
        % {"count": len(valid)},
        user=request.user,
        project=membership.project,
        arguments={"batch": batch.pk, "choices": choices},
        back_url=reverse("interviews:import-preview", args=[project_id]),
    )
    return redirect("jobs:detail", job.pk)


def _running_import(membership) -> Job | None:
    """The admin's import of this project still queued or running (a second confirm joins it)."""
    return Job.objects.filter(
        task=IMPORT_TASK,
        project=membership.project,
        created_by=membership.user,
        state__in=[Job.State.QUEUED, Job.State.RUNNING],
    ).first()


# /projects/<project_id>/import/discard/


@require_POST
def import_discard(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    ImportBatch.objects.filter(project=membership.project, created_by=request.user).delete()
    messages.info(request, _("The import was discarded: nothing was stored."))
    return redirect("interviews:import", project_id)


# /projects/<project_id>/pseudonyms/


def pseudonym_list(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    project = membership.project
    form = PseudonymsForm(request.POST or None, project=project)
    if request.method == "POST":
        if "delete" in request.POST:
            pk = request.POST["delete"]
            if pk.isascii() and pk.isdigit() and len(pk) <= 18:  # else no line of the list
                project.pseudonyms.filter(pk=pk).delete()
            return redirect("interviews:pseudonyms", project_id)
        if form.is_valid():
            Pseudonym.objects.bulk_create(
                Pseudonym(project=project, real_name=real[:200], pseudonym=pseudonym[:200])
                for real, pseudonym in form.cleaned_data["rules"]
            )
            messages.success(request, _("Replacements added."))
            return redirect("interviews:pseudonyms", project_id)
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "pseudonyms": project.pseudonyms.all(),
        "import_url": reverse("interviews:import", args=[project_id]),
        **permissions.abilities(membership),
    }
    return render(request, "interviews/import_pseudonyms.html", context)
