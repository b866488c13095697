"""Memos: a self-contained panel for one interview, code, coding or the project, and the project's memo list.

Every template here is a partial of templates/coding/memos.html, so the panel, the list and the edit form
share one markup source. The panel's forms target the panel itself, so any page can embed it with
`hx-get="…/memos/panel/?interview=<id>" hx-trigger="load" hx-swap="outerHTML"`.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from coding.memo_forms import MemoFilterForm, MemoForm
from coding.models import Code, Coding, Memo
from coding.visibility import visible_codings
from interviews import permissions
from interviews.models import Interview, Membership
from interviews.permissions import Action
from verbatim import fragments

TEMPLATE = "coding/memos.html"
PER_PAGE = 50


@dataclass(frozen=True)
class _Target:
    """What a panel's memos are attached to: an interview, a code, a coding, or the project itself."""

    kind: str  # "project", "interview", "code" or "coding": also the request parameter's name
    obj: models.Model

    @property
    def dom_id(self) -> str:
        return f"memos-{self.kind}-{self.obj.pk}"

    @property
    def fields(self) -> dict:
        """The Memo fields naming this target, to filter or create with."""
        if self.kind == "project":
            return {"interview": None, "code": None, "coding": None}
        return {self.kind: self.obj}

    @property
    def query(self) -> str:
        return "" if self.kind == "project" else urlencode({self.kind: self.obj.pk})

    # The memo-target partial reads these, as it reads a memo's.
    @property
    def interview(self):
        return self.obj if self.kind == "interview" else None

    @property
    def code(self):
        return self.obj if self.kind == "code" else None

    @property
    def coding(self):
        return self.obj if self.kind == "coding" else None


def _target_for(membership: Membership, params: QueryDict) -> _Target:
    """The target named by `params`, scoped to the project: another project's or a malformed id is
    a 404, and so is a coding the member may not see (coding/visibility.py)."""
    project = membership.project
    given = [kind for kind in ("interview", "code", "coding") if params.get(kind)]
    if not given:
        return _Target("project", project)
    if len(given) > 1:
        raise Http404
    kind = given[0]
    try:
        pk = int(params[kind])
    except ValueError:
        raise Http404 from None
    if kind == "interview":
        scoped = Interview.objects.filter(project=project).defer("text")
    elif kind == "code":
        scoped = Code.objects.filter(project=project)
    else:
        scoped = (
            Coding.objects.filter(visible_codings(membership).q(), interview__project=project)
            .select_related("interview", "code")
            .defer("interview__text")
        )
    return _Target(kind, get_object_or_404(scoped, pk=pk))


def _project_memos(membership: Membership):
    """The project's memos the member may see: all but those on codings hidden from them
    (coding/visibility.py). Everything the memo partial shows in one query, however many memos
    (tests/coding/test_memos.py)."""
    seen = visible_codings(membership)
    shown = Q(coding__isnull=True) | seen.q("coding__") if seen.blind else Q()
    return (
        Memo.objects.filter(shown, project=membership.project)
        .select_related("author", "interview", "code", "coding__interview", "coding__code")
        .defer("interview__text", "coding__interview__text")
    )


def _with_rights(membership: Membership, memos):
    for memo in memos:
        memo.can_edit = permissions.can_edit_memo(membership, memo)
    return memos


def _memo_for(membership: Membership, memo_id: int, action: Action = Action.VIEW) -> Memo:
    """A memo of the member's project (404 otherwise); for any action but VIEW, one they may edit (403)."""
    memo = get_object_or_404(_project_memos(membership), pk=memo_id)
    memo.can_edit = permissions.can_edit_memo(membership, memo)
    if action != Action.VIEW and not memo.can_edit:
        raise PermissionDenied
    return memo


def _render_panel(request, membership: Membership, target: _Target, form=None) -> HttpResponse:
    memos = _with_rights(membership, list(_project_memos(membership).filter(**target.fields)))
    context = {
        "page_kind": "panel",
        "project": membership.project,
        "membership": membership,
        "target": target,
        "memos": memos,
        "form": form or MemoForm(auto_id=f"{target.dom_id}-%s"),
        **permissions.abilities(membership),
    }
    return render(request, fragments.template(request, TEMPLATE, "memo-panel"), context)


def _render_list(request, membership: Membership, params: QueryDict, form=None) -> HttpResponse:
    project = membership.project
    filters = MemoFilterForm(params, project=project)
    memos = filters.filter(_project_memos(membership))
    page = Paginator(memos, PER_PAGE).get_page(params.get("page"))
    page.object_list = _with_rights(membership, list(page.object_list))
    data = getattr(filters, "cleaned_data", {})
    # A new project memo shows up in the list only when the filters let it: otherwise no form.
    can_add_here = (
        permissions.can(membership, Action.CODE)
        and data.get("kind") in ("", None, "project")
        and data.get("author") in (None, request.user)
    )
    context = {
        "page_kind": "list",
        "project": project,
        "membership": membership,
        "filters": filters,
        "filter_query": urlencode({k: v for k, v in filters.data.items() if k in filters.fields}),
        "page": page,
        "can_add_here": can_add_here,
        "target": _Target("project", project),
        "form": form or MemoForm(auto_id="memo-add-%s"),
        **permissions.abilities(membership),
    }
    return render(request, fragments.template(request, TEMPLATE, "memo-results"), context)


@vary_on_headers("HX-Request")
def memo_panel(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    return _render_panel(request, membership, _target_for(membership, request.GET))


@vary_on_headers("HX-Request")
def memos(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: the project's memo list; POST: a new memo (coding:memo-create is this same URL)."""
    if request.method == "POST":
        return memo_create(request, project_id)
    membership = permissions.project_for(request.user, project_id)
    return _render_list(request, membership, request.GET)


def memo_create(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    target = _target_for(membership, request.POST)
    from_list = "from_list" in request.POST  # the memo list's own form, not a panel's
    form = MemoForm(request.POST, auto_id=f"{target.dom_id}-%s")
    if form.is_valid():
        form.instance.project = membership.project
        form.instance.author = request.user
        for name, value in target.fields.items():
            setattr(form.instance, name, value)
        form.save()
        form = None
        if not request.htmx:
            if from_list:
                filters = MemoFilterForm(request.POST, project=membership.project)
                query = urlencode({k: v for k, v in filters.data.items() if k in filters.fields})
                return redirect(f"{reverse('coding:memos', args=[project_id])}?{query}")
            return redirect(f"{reverse('coding:memo-panel', args=[project_id])}?{target.query}")
    if from_list:
        return _render_list(request, membership, request.POST, form)
    return _render_panel(request, membership, target, form)


@vary_on_headers("HX-Request")
def memo_detail(request: HttpRequest, project_id: int, memo_id: int) -> HttpResponse:
    """One memo: what an edit form's Cancel swaps back in; outside htmx, its place in the list."""
    membership = permissions.project_for(request.user, project_id)
    memo = _memo_for(membership, memo_id)
    if not request.htmx:
        return redirect(f"{reverse('coding:memos', args=[project_id])}#memo-{memo.pk}")
    return render(request, f"{TEMPLATE}#memo", {"project": membership.project, "memo": memo})


@vary_on_headers("HX-Request")
def memo_edit(request: HttpRequest, project_id: int, memo_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    memo = _memo_for(membership, memo_id, Action.CODE)
    data = request.POST if request.method == "POST" else None
    form = MemoForm(data, instance=memo, auto_id=f"memo-{memo.pk}-%s")
    form.fields["body"].widget.attrs["autofocus"] = True  # htmx focuses it once swapped in
    if form.is_valid():  # an unbound form is never valid
        memo.save(update_fields=["body", "updated_at"])
        if not request.htmx:
            return redirect(f"{reverse('coding:memos', args=[project_id])}#memo-{memo.pk}")
        return render(request, f"{TEMPLATE}#memo", {"project": membership.project, "memo": memo})
    context = {
        "page_kind": "edit",
        "project": membership.project,
        "membership": membership,
        "memo": memo,
        "form": form,
    }
    return render(request, fragments.template(request, TEMPLATE, "memo-form"), context)


@require_POST
def memo_delete(request: HttpRequest, project_id: int, memo_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    memo = _memo_for(membership, memo_id, Action.CODE)
    memo.delete()
    if not request.htmx:
        return redirect("coding:memos", project_id)
    # The memo's <li> is the swap target: an empty answer removes it, on the panel and the list alike.
    # On the list page, the count above the list follows, with the filters of the page's own URL.
    page_url = urlsplit(request.htmx.current_url_abs_path or "")
    if page_url.path != reverse("coding:memos", args=[project_id]):
        return HttpResponse("")
    filters = MemoFilterForm(QueryDict(page_url.query), project=membership.project)
    count = filters.filter(Memo.objects.filter(project=membership.project)).count()
    return render(request, f"{TEMPLATE}#memo-count", {"count": count, "oob": True})
