"""An interview's recording: served to the project's members with HTTP ranges (the players of the
interview and excerpts pages seek in it), attached, replaced and removed by its admins from the
interview page (templates/coding/recording.html). interviews/recordings.py does the work."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from interviews import permissions, recordings
from interviews.models import Recording
from interviews.permissions import Action
from verbatim import ranges

log = logging.getLogger(__name__)


def _back(interview) -> HttpResponse:
    return redirect(interview.get_absolute_url() + "#recording")


@require_http_methods(["GET", "HEAD", "POST"])
def recording(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    if request.method == "POST":
        return _attach(request, project_id, interview_id)
    _membership, interview = permissions.interview_for(request.user, project_id, interview_id)
    found = get_object_or_404(Recording, interview=interview)
    storage, name = found.file.storage, found.file.name
    try:
        opened, size = storage.open(name, "rb"), storage.size(name)
    except FileNotFoundError:
        log.error("The file %s of interview %s's recording is missing", name, interview.pk)
        raise Http404 from None
    return ranges.serve(request, opened, size, found.content_type, found.original_name)


def _attach(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    _membership, interview = permissions.interview_for(
        request.user, project_id, interview_id, Action.MANAGE
    )
    dropped = getattr(request, "upload_refused", None)  # past the ceiling: verbatim.uploads
    upload = request.FILES.get("recording")
    try:
        if dropped is not None:
            limit = settings.VERBATIM_MAX_RECORDING_BYTES
            raise recordings.Refused(recordings.too_large(dropped, limit))
        if upload is None:
            raise recordings.Refused(_("Choose the file of the recording (audio or video) first."))
        attached = recordings.attach(interview, upload, request.user)
    except recordings.Refused as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            _("“%(name)s” is now the recording of this interview.")
            % {"name": attached.original_name},
        )
    return _back(interview)


@require_POST
def recording_delete(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    _membership, interview = permissions.interview_for(
        request.user, project_id, interview_id, Action.MANAGE
    )
    deleted, _counts = Recording.objects.filter(interview=interview).delete()
    if deleted:
        messages.success(request, _("The recording was removed. The transcript stays as it was."))
    return _back(interview)
