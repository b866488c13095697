"""Retroactive pseudonymisation in the background worker (jobs/): replacing a name across a
project's interviews re-anchors every coding of each, which takes seconds to minutes — too long to
hold a web worker. The job page shows how many interviews are done; cancelling rolls it all back."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from corrections import pseudonymise as sweep
from interviews import permissions
from interviews.models import Interview, Pseudonym
from interviews.permissions import Action
from jobs import runner

PSEUDONYMISE_TASK = "corrections.pseudonymise"


@runner.task(PSEUDONYMISE_TASK)
def pseudonymise_interviews(job, progress) -> dict:
    """`arguments`: the rule's id, the places to leave (`Hit.key`s) and the text version of each
    interview they are in when the admin chose them."""
    try:
        membership = permissions.project_for(job.created_by, job.project_id, Action.IMPORT)
    except (Http404, PermissionDenied):
        raise runner.Failed([_("You may no longer change this project's interviews.")]) from None
    project = membership.project
    rule = Pseudonym.objects.filter(pk=job.arguments["rule"], project=project).first()
    if rule is None:
        raise runner.Failed([_("This name is no longer on the project's replacement list.")])
    _refuse_moved_places(project, job.arguments["versions"])
    hits = sweep.find(project, rule)
    chosen = {hit.key for hit in hits} - set(job.arguments["leave"])
    swept = sweep.apply(project, job.created_by, rule, chosen, progress=progress, hits=hits)
    return {
        "summary": sweep.summary(swept),
        "link": reverse("interviews:pseudonyms", args=[project.pk]),
        "link_label": _("Back to the replacement list"),
    }


def _refuse_moved_places(project, versions: dict[str, int]) -> None:
    """A place to leave is known by its offset: if its interview was corrected since the admin
    chose, that offset may now be another word's, which would be replaced or left by mistake."""
    current = dict(
        Interview.objects.filter(project=project, pk__in=[int(pk) for pk in versions]).values_list(
            "pk", "text_version"
        )
    )
    moved = [pk for pk, version in versions.items() if current.get(int(pk)) != version]
    if moved:
        raise runner.Failed(
            [
                _(
                    "An interview was corrected after you chose the places to leave: nothing was "
                    "replaced. Open the replacement list again and choose anew."
                )
            ]
        )
