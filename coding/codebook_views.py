"""The codebook: the tree with its counts, and its editing (create, rename, recolour, move, merge, delete)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.vary import vary_on_headers

from coding.codebook import code_tree
from interviews import permissions


def _int_or_404(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


@vary_on_headers("HX-Request")
def codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    interview = None
    if interview_id := request.GET.get("interview"):
        # Scoped to the member's project: another project's interview id is a 404.
        interviews = membership.project.interviews.only("id", "project_id", "title")
        interview = get_object_or_404(interviews, pk=_int_or_404(interview_id))
    context = {
        "project": membership.project,
        "membership": membership,
        "interview": interview,
        "tree": code_tree(project_id, interview_id=interview.pk if interview else None),
        **permissions.abilities(membership),
    }
    template = "coding/codebook.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#codebook"
    return render(request, template, context)
