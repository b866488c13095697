"""Background tasks of interviews: storing a confirmed import (jobs/runner.py runs it in the worker,
in one transaction, the job marked done in the same commit)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interviews import permissions, services
from interviews.models import ImportBatch
from interviews.permissions import Action
from jobs import runner

IMPORT_TASK = "interviews.import"


@runner.task(IMPORT_TASK)
def import_draft(job, progress) -> dict:
    """Store the admin's draft (`arguments`: its id and the preview form's choices) as the
    confirm page checked it; the draft is deleted with the same commit."""
    try:
        permissions.project_for(job.created_by, job.project_id, Action.IMPORT)
    except (Http404, PermissionDenied):
        raise runner.Failed([_("You may no longer import into this project.")]) from None
    batch = ImportBatch.objects.filter(
        pk=job.arguments["batch"], project_id=job.project_id, created_by=job.created_by
    ).first()
    if batch is None:
        raise runner.Failed(
            [
                _(
                    "This import's draft is gone (imported, discarded or expired): upload the files again."
                )
            ]
        )
    confirmation = services.draft_plans(batch, job.arguments["choices"])
    result = services.import_interviews(
        project=batch.project,
        plans=confirmation.plans,
        imported_by=job.created_by,
        problems=confirmation.problems,
        types=confirmation.types,
        valid_only=confirmation.valid_only,
        progress=progress,
    )
    if result.errors and not confirmation.valid_only:
        raise runner.Failed(result.errors)
    batch.delete()
    count = len(result.created)
    return {
        "summary": ngettext(
            "%(count)d interview imported.", "%(count)d interviews imported.", count
        )
        % {"count": count},
        "messages": result.skipped + result.errors,
        "link": batch.project.get_absolute_url(),
        "link_label": _("Open the project"),
    }
