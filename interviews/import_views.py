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
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from interviews import formats, permissions, pseudonyms, services
from interviews.forms import PseudonymsForm, SheetForm, UploadForm
from interviews.models import Attribute, ImportBatch, ImportFile, Pseudonym, Speaker, Turn
from interviews.permissions import Action
from interviews.transcripts import blocks

PROGRESS_MARK = "<!--progress-->"
# Lazy: a module-level string is read once, in whatever language the process started with.
ROLE_CHOICES = [*Speaker.Role.choices, (services.NOT_A_SPEAKER, gettext_lazy("Not a speaker"))]


def _draft(membership) -> ImportBatch | None:
    """The admin's import in progress in this project, once drafts past their time are gone."""
    cutoff = timezone.now() - timedelta(hours=settings.VERBATIM_IMPORT_DRAFT_HOURS)
    ImportBatch.objects.filter(created_at__lt=cutoff).delete()
    return ImportBatch.objects.filter(
        project=membership.project, created_by=membership.user
    ).first()


def _plans(batch: ImportBatch, data=None) -> tuple[list, services.SheetMatch | None]:
    """What each readable file of the draft would become: the proposal, then the sheet's values,
    then what the admin typed in the preview form (`data`, a POST)."""
    files = [f for f in batch.files.all() if not f.error]
    plans = [services.plan_for(f) for f in files]
    match = None
    if batch.sheet.get("rows"):
        match = services.match_sheet(batch.sheet["rows"], plans)
        for index, row in match.rows.items():
            services.apply_sheet(plans[index], row)
    if data is not None:
        columns = _columns(batch, plans)
        for file, plan in zip(files, plans, strict=True):
            _apply_form(file, plan, data, columns)
    return list(zip(files, plans, strict=True)), match


def _columns(batch: ImportBatch, plans) -> list[str]:
    """Attribute columns of the preview: the project's attributes, then the sheet's new ones."""
    names = list(batch.project.attributes.values_list("name", flat=True))
    known = {pseudonyms.name_key(name) for name in names}
    for plan in plans:
        for name in plan.values:
            if pseudonyms.name_key(name) not in known:
                names.append(name)
                known.add(pseudonyms.name_key(name))
    return names


def _apply_form(file: ImportFile, plan, data, columns: list[str]) -> None:
    prefix = f"f{file.pk}"
    plan.title = data.get(f"{prefix}-title", plan.title).strip()[:255]
    plan.participant = data.get(f"{prefix}-participant", plan.participant).strip()[:200]
    if f"{prefix}-date" in data:
        plan.interviewed_on = services.parse_date(data[f"{prefix}-date"])
    for index, speaker in enumerate(plan.speakers):
        speaker.name = data.get(f"{prefix}-s{index}-name", speaker.name).strip() or speaker.label
        role = data.get(f"{prefix}-s{index}-role", speaker.role)
        speaker.role = role if role in dict(ROLE_CHOICES) else speaker.role
    for index, name in enumerate(columns):
        if f"{prefix}-v{index}" in data:
            plan.values[name] = data[f"{prefix}-v{index}"].strip()


def _preview_context(membership, batch, data=None, errors=()) -> dict:
    pairs, match = _plans(batch, data)
    plans = [plan for _file, plan in pairs]
    names = _columns(batch, plans)
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
                "encodings": [(c, formats.ENCODINGS.get(c, c)) for c in file.alternatives],
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
        "roles": ROLE_CHOICES,
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
        for t in services.parse_turns(file.text, labels=set(kept))
    ]
    template = "interviews/import_preview.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#file-text"
    context = {
        "project": membership.project,
        "membership": membership,
        "file": file,
        "blocks": blocks(file.text, turns),
        "single": True,
    }
    return render(request, template, context)


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
        rows = formats.read_sheet(upload.name, upload.read())
    except formats.Unreadable as problem:
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
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    batch = _draft(membership)
    if batch is None:
        return redirect("interviews:import", project_id)
    pairs, match = _plans(batch, request.POST)
    problems = [f"{f.name}: {f.error}" for f in batch.files.all() if f.error]
    refused = set()
    if match:
        sheet = batch.sheet.get("name", "")
        problems += [f"{sheet}: {error}" for error in match.errors]
        for index, error in match.file_errors.items():
            problems.append(f"{pairs[index][0].name}: {error}")
            refused.add(index)
    plans = [plan for index, (_f, plan) in enumerate(pairs) if index not in refused]
    columns = _columns(batch, [plan for _f, plan in pairs])
    types = {name: request.POST.get(f"type-{i}", "") for i, name in enumerate(columns)}
    valid_only = bool(request.POST.get("valid_only"))
    result = services.import_interviews(
        project=membership.project,
        plans=plans,
        imported_by=request.user,
        problems=problems,
        types={k: v for k, v in types.items() if v in dict(Attribute.Type.choices)},
        valid_only=valid_only,
    )
    if result.errors and not valid_only:
        context = _preview_context(membership, batch, request.POST, result.errors)
        return render(request, "interviews/import_preview.html", context)
    batch.delete()
    for message in result.skipped:
        messages.info(request, message)
    messages.success(
        request,
        ngettext(
            "%(count)d interview imported.", "%(count)d interviews imported.", len(result.created)
        )
        % {"count": len(result.created)},
    )
    return redirect(membership.project)


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
