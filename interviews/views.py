from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Func, Q, Sum, TextField, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interviews import interview_rows, permissions
from interviews.forms import AddMemberForm, MemberRoleForm, ProjectForm
from interviews.models import Interview, Membership, Project
from interviews.permissions import Action


def project_list(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            project = form.save()
            Membership.objects.create(
                project=project, user=request.user, role=Membership.Role.ADMIN
            )
        return redirect(project)
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("project")
        .annotate(interview_count=Count("project__interviews", distinct=True))
        .order_by("project__name")
    )
    return render(
        request, "interviews/project_list.html", {"memberships": memberships, "form": form}
    )


# Interviews per page of the project's list (and of the analysis's lists of interviews): a study's
# twenty or sixty on one page; at L, 2,000 of them took 1.7 MB and 500 ms of rendering, and the
# coding progress of 2,000 interviews × 3 coders 5.5 MB in 1.6 s.
INTERVIEWS_PER_PAGE = 100
FIND_LENGTH = 200  # characters of the words that find an interview by its title or participant


class Unaccented(Func):
    """verbatim_unaccent(), the search's (migration interviews 0006): accents and ligatures away."""

    function = "verbatim_unaccent"
    output_field = TextField()


def _found(interviews, words: str):
    """The interviews whose title or participant holds `words`, capitals and accents aside: on a
    project of hundreds of interviews, the one a member looks for is rarely on the first page."""
    if not words:
        return interviews
    wanted = Unaccented(Value(words))
    return interviews.alias(
        title_plain=Unaccented("title"), participant_plain=Unaccented("participant")
    ).filter(Q(title_plain__icontains=wanted) | Q(participant_plain__icontains=wanted))


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    project = membership.project
    words = request.GET.get("q", "").strip()[:FIND_LENGTH]
    listed = _found(project.interviews.all(), words)
    # coding/visibility.py's rule, which this layer cannot import: in an open blind round, a
    # coder counts only their own codings (tests/agreement/test_visibility.py pins them together).
    blind = []
    if not permissions.can(membership, Action.REVIEW):
        rounds = project.interviews.filter(
            coding_rounds__closed_at=None, coding_rounds__coders=request.user
        )
        blind = list(rounds.values_list("pk", flat=True))
    pages = Paginator(listed.order_by("title", "pk"), INTERVIEWS_PER_PAGE)
    page = pages.get_page(request.GET.get("page"))
    # The counts per interview and coder that triggers keep (coding.CoderCount), a few rows per
    # interview, rather than the codings themselves: a million at L, 370 ms a visit. Summed for
    # the page's interviews alone, chosen first: summing every interview's and then keeping a
    # page took 3.9 ms at L (2,000 interviews), this 0.5 to 1.3 (docs/benchmarks.md).
    mine = Q(coder_counts__coder=request.user)
    codings = "coder_counts__codings"
    page.object_list = (
        Interview.objects.filter(pk__in=page.object_list.values("pk"))
        .defer("text")
        .annotate(
            coding_count=Coalesce(Sum(codings, filter=~Q(pk__in=blind) | mine), 0),
            my_coding_count=Coalesce(Sum(codings, filter=mine), 0),
        )
        .order_by("title", "pk")  # Meta.ordering does not apply to aggregating queries
    )
    context = {
        "project": project,
        "membership": membership,
        "page": page,
        "words": words,
        "find_length": FIND_LENGTH,
        "words_query": urlencode({"q": words}) if words else "",
        "rows": interview_rows.rows_html(page.object_list),
        **permissions.abilities(membership),
    }
    return render(request, "interviews/project_detail.html", context)


def members(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    project = membership.project
    form = AddMemberForm(request.POST or None, project=project)
    if request.method == "POST":
        permissions.require(membership, Action.MANAGE)
        if form.is_valid():
            Membership.objects.create(
                project=project, user=form.cleaned_data["username"], role=form.cleaned_data["role"]
            )
            messages.success(request, _("Member added."))
            return redirect("interviews:members", project.pk)
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "members": project.memberships.select_related("user").order_by("user__username"),
        "roles": Membership.Role.choices,
        **permissions.abilities(membership),
    }
    return render(request, "interviews/members.html", context)


@require_POST
def member_update(request: HttpRequest, project_id: int, membership_id: int) -> HttpResponse:
    permissions.project_for(request.user, project_id, Action.MANAGE)
    with transaction.atomic():
        # A project's membership changes take turns (a lock on the project row, which leaves
        # codings, codes and memos referring to it free), and everything below is read after
        # the lock: two admins demoting or removing each other at once cannot both go through,
        # and the second sees what the first did, its own role included. `no_key`: inserts that
        # reference the project (key-share locks) are not held up.
        Project.objects.select_for_update(no_key=True).filter(pk=project_id).exists()
        membership = permissions.project_for(request.user, project_id, Action.MANAGE)
        target = get_object_or_404(
            Membership.objects.select_related("user"), pk=membership_id, project_id=project_id
        )
        admins = Membership.objects.filter(project_id=project_id, role=Membership.Role.ADMIN)
        last_admin = target.role == Membership.Role.ADMIN and admins.count() == 1
        if "remove" in request.POST:
            if last_admin:
                messages.error(request, _("A project keeps at least one admin."))
            else:
                target.delete()
                messages.success(
                    request, _("%(user)s no longer has access.") % {"user": target.user}
                )
                if target.user_id == request.user.id:
                    return redirect("interviews:project-list")
        else:
            form = MemberRoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose a valid role."))
            elif last_admin and form.cleaned_data["role"] != Membership.Role.ADMIN:
                messages.error(request, _("A project keeps at least one admin."))
            else:
                target.role = form.cleaned_data["role"]
                target.save(update_fields=["role"])
                messages.success(request, _("Role changed."))
    if target.user_id == request.user.id and target.role != Membership.Role.ADMIN:
        return redirect(membership.project)
    return redirect("interviews:members", project_id)
