"""Correcting a transcript: the correction page (one turn at a time, the whole text, or a corrected
file), its history of versions, and the codings a correction changed or detached.

Who corrects: anyone who may code in the project (researchers, supervisors, admins). Nothing is lost:
every correction is a version that can be restored, changed codings are flagged for their coders,
and detached ones are kept until placed again or let go (docs/corrections.md).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding import workspace
from coding.audit import recorded_as, restore_removed
from coding.models import DetachedCoding, TextChange
from coding.visibility import visible_codings
from corrections import diffs, services
from corrections import pseudonymise as sweep
from corrections.forms import PassageForm, TextForm, UploadForm
from corrections.models import TextVersion
from corrections.tasks import PSEUDONYMISE_TASK
from interviews import formats, permissions, pseudonyms
from interviews.models import Interview, Pseudonym
from interviews.permissions import Action
from jobs import runner

PAGE = "corrections/correction.html"


def _interview(request, project_id: int, interview_id: int, action=Action.VIEW):
    return permissions.interview_for(request.user, project_id, interview_id, action)


def _said(request, outcome: services.Outcome) -> None:
    """What a correction did to the codings, as a message on the next page."""
    parts = [_("Version %(number)s saved.") % {"number": outcome.version.number}]
    if outcome.changed:
        parts.append(
            ngettext(
                "%(count)d coding had its words changed: it is flagged for its coder.",
                "%(count)d codings had their words changed: they are flagged for their coders.",
                len(outcome.changed),
            )
            % {"count": len(outcome.changed)}
        )
    if outcome.detached:
        parts.append(
            ngettext(
                "%(count)d coding lost all its words: it is kept, detached, to be placed again.",
                "%(count)d codings lost all their words: they are kept, detached, to be placed again.",
                len(outcome.detached),
            )
            % {"count": len(outcome.detached)}
        )
    messages.success(request, " ".join(parts))


def _changes(membership, interview):
    """The codings' open text changes the member may see (blind rounds: coding/visibility.py)."""
    seen = visible_codings(membership)
    return TextChange.objects.filter(seen.q("coding__"), coding__interview=interview, seen_at=None)


def _detached(membership, interview):
    return DetachedCoding.objects.filter(visible_codings(membership).q(), interview=interview)


def _context(membership, interview, **extra) -> dict:
    return {
        "project": membership.project,
        "membership": membership,
        "interview": interview,
        "open_changes": _changes(membership, interview).count(),
        "detached_count": _detached(membership, interview).count(),
        **permissions.abilities(membership),
        **extra,
    }


# The correction page


@vary_on_headers("HX-Request")
def correction(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    context = _context(membership, interview, blocks=workspace.display_blocks(interview))
    return render(request, PAGE, context)


@vary_on_headers("HX-Request")
def correct_passage(
    request: HttpRequest, project_id: int, interview_id: int, start: int, end: int
) -> HttpResponse:
    """GET: the form for one turn (or untagged block) [start, end); POST: save it."""
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    if end > interview.text_length or start >= end:
        return _gone(request, membership, interview)
    form = PassageForm(request.POST or None, interview=interview, start=start, end=end)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.correct_passage(
                interview,
                request.user,
                start,
                end,
                data["words"],
                speaker=data["speaker"],
                join_next=data["join_next"],
                reason=data["reason"],
                expected_version=data["version"],
            )
        except services.Refused as refused:
            form.add_error(None, refused.message)
        else:
            _said(request, outcome)
            return _back_to_page(request, project_id, interview_id, start, outcome.version.number)
    context = _context(membership, interview, form=form, start=start, end=end)
    template = "corrections/parts.html#passage-form" if request.htmx else "corrections/passage.html"
    return render(request, template, context)


def _gone(request, membership, interview) -> HttpResponse:
    messages.error(
        request, _("That passage is no longer where it was: the text changed. Here it is now.")
    )
    return _back_to_page(request, membership.project_id, interview.pk)


def _back_to_page(
    request, project_id: int, interview_id: int, start: int | None = None, version=None
):
    url = reverse("corrections:correction", args=[project_id, interview_id])
    if version is not None:  # a new address: the browser loads the page (a hash alone would not)
        url += f"?version={version}"
    if start is not None:
        url += f"#at-{start}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@vary_on_headers("HX-Request")
def correct_text(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    """The whole text at once (or a corrected file): GET the editor; POST shows the differences;
    POST with `confirm` saves them."""
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    form = TextForm(request.POST or None, initial={"text": interview.text})
    upload = UploadForm()
    context = _context(membership, interview, form=form, upload=upload)
    if request.method == "POST" and form.is_valid():
        return _preview_or_save(request, membership, interview, form, context)
    return render(request, "corrections/text.html", context)


@require_POST
def correct_upload(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    """A corrected file, read as an import would (pseudonymised), then shown as differences."""
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    upload = UploadForm(request.POST, request.FILES)
    form = TextForm(initial={"text": interview.text})
    context = _context(membership, interview, form=form, upload=upload)
    if not upload.is_valid():
        return render(request, "corrections/text.html", context)
    file = upload.cleaned_data["file"]
    try:
        extracted = formats.read_transcript(file.name, file.read(), upload.cleaned_data["encoding"])
    except formats.Unreadable as problem:
        upload.add_error("file", str(problem))
        return render(request, "corrections/text.html", context)
    text = pseudonyms.for_project(membership.project).apply(extracted.text)
    form = TextForm({"text": text, "version": interview.text_version, "reason": file.name[:200]})
    form.is_valid()
    return _preview_or_save(request, membership, interview, form, context)


def _preview_or_save(request, membership, interview, form, context) -> HttpResponse:
    data = form.cleaned_data
    try:
        new_text = services.checked_text(data["text"])
    except services.Refused as refused:
        form.add_error("text", refused.message)
        return render(request, "corrections/text.html", context | {"form": form})
    if "confirm" not in request.POST:
        context |= {"form": form, "diff": diffs.shown(interview.text, new_text)}
        return render(request, "corrections/text.html", context)
    try:
        outcome = services.correct(
            interview,
            request.user,
            new_text,
            reason=data["reason"],
            expected_version=data["version"],
        )
    except services.Refused as refused:
        form.add_error(None, refused.message)
        return render(request, "corrections/text.html", context | {"form": form})
    _said(request, outcome)
    return redirect("corrections:correction", membership.project_id, interview.pk)


# History


def versions(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview = _interview(request, project_id, interview_id)
    rows = list(
        TextVersion.objects.filter(interview=interview)
        .select_related("created_by")
        .defer("anchors")
        .order_by("-number")
    )
    shown = request.GET.get("version", "")
    chosen = next((v for v in rows if str(v.number) == shown), rows[0] if rows else None)
    diff = None
    if chosen is not None:
        previous = next((v for v in rows if v.number == chosen.number - 1), None)
        if previous is not None:
            diff = diffs.shown(previous.text, chosen.text)
    context = _context(membership, interview, versions=rows, chosen=chosen, diff=diff)
    return render(request, "corrections/versions.html", context)


@require_POST
def restore(request: HttpRequest, project_id: int, interview_id: int, number: int) -> HttpResponse:
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    version = request.POST.get("version", "")
    try:
        outcome = services.restore(
            interview,
            request.user,
            number,
            expected_version=int(version) if version.isdigit() else -1,
        )
    except services.Refused as refused:
        messages.error(request, refused.message)
        return redirect("corrections:versions", project_id, interview_id)
    _said(request, outcome)
    return redirect("corrections:versions", project_id, interview_id)


# Codings a correction changed or detached


def corrected_codings(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview = _interview(request, project_id, interview_id)
    changes = (
        _changes(membership, interview)
        .select_related("coding__code", "coding__coder")
        .order_by("coding__start")
    )
    detached = _detached(membership, interview).select_related("code", "coder")
    for item in detached:
        item.can_place = permissions.can_change_coding(membership, item)
    context = _context(membership, interview, changes=changes, detached=detached)
    return render(request, "corrections/codings.html", context)


@require_POST
def change_seen(
    request: HttpRequest, project_id: int, interview_id: int, change_id: int
) -> HttpResponse:
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    change = get_object_or_404(_changes(membership, interview), pk=change_id)
    permissions.require_coding_change(membership, change.coding)
    change.seen_by, change.seen_at = request.user, timezone.now()
    change.save(update_fields=["seen_by", "seen_at"])
    return redirect("corrections:codings", project_id, interview_id)


@require_POST
def place_again(
    request: HttpRequest, project_id: int, interview_id: int, detached_id: int
) -> HttpResponse:
    """A detached coding back on the words the coder typed (their nearest occurrence to where it
    was), with its id, memos and review history."""
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    detached = get_object_or_404(_detached(membership, interview), pk=detached_id)
    permissions.require_coding_change(membership, detached)
    words = " ".join(request.POST.get("words", "").split())
    found = diffs.nearest(interview.text, words, detached.start)
    if found is None:
        messages.error(
            request,
            _("These words are not in the transcript: « %(words)s ».") % {"words": words[:200]},
        )
        return redirect("corrections:codings", project_id, interview_id)
    with recorded_as(request.user, interview_id=interview.pk):
        restore_removed(detached.event, request.user, start=found[0], end=found[1])
        detached.delete()
    messages.success(request, _("The coding « %(code)s » is back.") % {"code": detached.code.name})
    return redirect("corrections:codings", project_id, interview_id)


@require_POST
def let_go(
    request: HttpRequest, project_id: int, interview_id: int, detached_id: int
) -> HttpResponse:
    membership, interview = _interview(request, project_id, interview_id, Action.CODE)
    detached = get_object_or_404(_detached(membership, interview), pk=detached_id)
    permissions.require_coding_change(membership, detached)
    detached.delete()
    messages.success(request, _("The detached coding was let go."))
    return redirect("corrections:codings", project_id, interview_id)


# Retroactive pseudonymisation (admins)


def pseudonymise(request: HttpRequest, project_id: int, rule_id: int) -> HttpResponse:
    """GET: every place of the stored interviews where a name of the replacement list is, in
    context; POST: a background job replaces them all but those ticked to be left
    (corrections/tasks.py), and its page shows how far it is."""
    membership = permissions.project_for(request.user, project_id, Action.IMPORT)
    rule = get_object_or_404(Pseudonym, pk=rule_id, project=membership.project)
    if request.method == "POST":
        # Every place is replaced but those ticked to be left (a namesake, a street): a form with
        # a field per place would outgrow Django's DATA_UPLOAD_MAX_NUMBER_FIELDS on a big project.
        # Not searched again here (half a second at 200 interviews, in the request): the job
        # replaces the places it finds, less these, and a key that names no place leaves nothing.
        left = {key for key in request.POST.getlist("leave") if sweep.KEY.fullmatch(key)}
        places = {int(key.split(":")[0]) for key in left}
        interviews = Interview.objects.filter(project=membership.project, pk__in=places)
        versions = dict(interviews.values_list("pk", "text_version"))
        job = runner.start(
            task=PSEUDONYMISE_TASK,
            # The pseudonym only: the job list must not show the real name once it is replaced.
            title=_("Replacing a name by « %(pseudonym)s » in %(project)s")
            % {"pseudonym": rule.pseudonym, "project": membership.project.name},
            user=request.user,
            project=membership.project,
            arguments={"rule": rule.pk, "leave": sorted(left), "versions": versions},
            back_url=reverse("interviews:pseudonyms", args=[project_id]),
        )
        return redirect("jobs:detail", job.pk)
    hits = sweep.find(membership.project, rule)
    context = {
        "project": membership.project,
        "membership": membership,
        "rule": rule,
        "hits": hits,
        "interview_count": len({hit.interview_id for hit in hits}),
        **permissions.abilities(membership),
    }
    return render(request, "corrections/pseudonymise.html", context)
