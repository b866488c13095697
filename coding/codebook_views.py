"""The codebook: the tree with its counts, its editing (create, edit and move, merge, delete), and
the trash where deleted and merged codes wait to be restored (coding.trash).

Every editing view shows its form in place of the code in the sidebar (an htmx fragment) or as a page
of its own without JavaScript. After a change the sidebar comes back whole, retargeted to `#codebook`,
with the `codes-changed` event for the rest of the page (highlights, colours, code pickers).
"""

import hashlib
from copy import copy

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotModified,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from coding import codebook as codebook_service
from coding import codebook_html, trash
from coding.codebook import code_tree, deletion_summary, next_color, next_position
from coding.codebook_forms import CodeForm, MergeForm
from coding.models import Code, TrashedCode
from coding.visibility import visible_codings
from interviews import permissions
from interviews.models import Interview, Membership
from interviews.permissions import Action
from verbatim import fragments

FORM_TEMPLATE = "coding/code_form.html"


def _int_or_404(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def _param(request: HttpRequest, name: str) -> str:
    # The sidebar's filter form travels with every request made from it (hx-include): in the query
    # string of a GET, in the body of a POST.
    return request.POST.get(name) or request.GET.get(name) or ""


def _interview(request: HttpRequest, membership: Membership) -> Interview | None:
    if not (interview_id := _param(request, "interview")):
        return None
    # Scoped to the member's project: another project's interview id is a 404.
    interviews = membership.project.interviews.only("id", "project_id", "title")
    return get_object_or_404(interviews, pk=_int_or_404(interview_id))


def _code(membership: Membership, code_id: int) -> Code:
    return get_object_or_404(
        Code.objects.select_related("project"), pk=code_id, project=membership.project
    )


def _render_codebook(request: HttpRequest, membership: Membership, partial: str) -> HttpResponse:
    interview = _interview(request, membership)
    query = _param(request, "q").strip()
    abilities = permissions.abilities(membership)
    tree = code_tree(
        membership.project_id,
        interview_id=interview.pk if interview else None,
        query=query,
        seen=visible_codings(membership),
    )
    page = codebook_html.Page.of(
        membership.project_id,
        interview=interview is not None,
        can_code=abilities["can_code"],
        csrf_input=csrf_input(request),
    )
    context = {
        "project": membership.project,
        "membership": membership,
        "interview": interview,
        "query": query,
        "tree": tree,
        "tree_html": codebook_html.tree_html(tree, page),
        **abilities,
    }
    template = "coding/codebook.html"
    if partial:
        template += f"#{partial}"
    return render(request, template, context)


def _changed(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The answer to a successful change: the whole sidebar again, or the codebook page."""
    if not request.htmx:
        return redirect("coding:codebook", membership.project_id)
    response = _render_codebook(request, membership, "codebook")
    # The form that asked was swapped in place of one code; the answer replaces the whole sidebar.
    retarget(response, "#codebook")
    reswap(response, "outerHTML")
    return trigger_client_event(response, "codes-changed")


def _form_page(request: HttpRequest, partial: str, context: dict) -> HttpResponse:
    template = fragments.template(request, FORM_TEMPLATE, partial)
    context = {**context, "partial": partial, "in_place": bool(request.htmx)}
    return render(request, template, context)


def _saved(form: CodeForm) -> bool:
    """Save the code; what someone else did meanwhile (took the name, moved the chosen parent under
    this code) becomes a form error, not a 500."""
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError as error:
        if getattr(error.__cause__, "diag", None) and error.__cause__.diag.constraint_name == (
            "code_tree_acyclic"
        ):
            form.add_error("parent", _("A code cannot be moved under itself or its sub-codes."))
        else:
            form.add_error("name", _("A code with this name already exists at this level."))
        return False
    return True


@vary_on_headers("HX-Request")
def codebook(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    partial = ""
    if fragments.asked(request):
        # The filter box asks for the tree alone, so the box keeps its focus while typing.
        partial = "code-tree" if request.htmx.target == "code-tree" else "codebook"
    return _render_codebook(request, membership, partial)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def code_create(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    project = membership.project
    parent = None
    if parent_id := request.GET.get("parent"):
        parent = get_object_or_404(project.codes, pk=_int_or_404(parent_id))
    initial = {
        "parent": parent and parent.pk,
        "color": next_color(project.pk, parent and parent.pk),
    }
    data = request.POST if request.method == "POST" else None
    # Ids unique on the page, which may show this form next to a code's edit form.
    auto_id = f"code-new-{parent.pk if parent else 'top'}-%s"
    form = CodeForm(data, initial=initial, project=project, auto_id=auto_id)
    if form.is_valid():
        form.instance.created_by = request.user
        form.instance.position = next_position(project.pk, form.instance.parent_id)
        if _saved(form):
            return _changed(request, membership)
    action = reverse("coding:code-create", args=[project.pk])
    if parent:
        action += f"?parent={parent.pk}"
    context = {"project": project, "form": form, "parent": parent, "action": action}
    return _form_page(request, "code-panel", context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def code_edit(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    code = _code(membership, code_id)
    data = request.POST if request.method == "POST" else None
    # The form changes its instance while validating; `code` keeps the name the page shows.
    form = CodeForm(
        data, instance=copy(code), project=membership.project, auto_id=f"code-{code.pk}-%s"
    )
    if form.is_valid():
        if form.instance.parent_id != code.parent_id:
            form.instance.position = next_position(code.project_id, form.instance.parent_id)
        if _saved(form):
            return _changed(request, membership)
    action = reverse("coding:code-edit", args=[membership.project_id, code.pk])
    context = {"project": membership.project, "form": form, "code": code, "action": action}
    return _form_page(request, "code-panel", context)


@require_POST
@vary_on_headers("HX-Request")
def code_reorder(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    code = _code(membership, code_id)
    step = {"up": -1, "down": 1}.get(request.POST.get("direction"))
    if step is None:
        return HttpResponseBadRequest()
    codebook_service.reorder(code, step)
    return _changed(request, membership)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def code_merge(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    code = _code(membership, code_id)
    data = request.POST if request.method == "POST" else None
    form = MergeForm(data, source=code, auto_id=f"code-{code.pk}-%s")
    if form.is_valid():
        try:
            trash.merge(code, form.cleaned_data["target"], request.user)
        except ValidationError as error:  # the codebook changed since the form was checked
            form.add_error("target", error)
        except IntegrityError:
            form.add_error("target", _("The codebook changed meanwhile: please try again."))
        else:
            return _changed(request, membership)
    context = {
        "project": membership.project,
        "form": form,
        "code": code,
        "trash_days": settings.VERBATIM_TRASH_DAYS,
    }
    return _form_page(request, "merge-form", context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def code_delete(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    code = _code(membership, code_id)
    if request.method == "POST":
        with transaction.atomic():
            # Decided on what is there once nobody can add to it any more.
            trash.lock(code)
            summary = deletion_summary(code, request.user)
            if not permissions.can_delete_code(membership, others_work=summary.others_work):
                raise PermissionDenied
            trash.delete(code, request.user)
        return _changed(request, membership)
    summary = deletion_summary(code, request.user)
    context = {
        "project": membership.project,
        "code": code,
        "summary": summary,
        "may_delete": permissions.can_delete_code(membership, others_work=summary.others_work),
        "trash_days": settings.VERBATIM_TRASH_DAYS,
    }
    return _form_page(request, "delete-confirm", context)


@require_GET
def code_colors(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's code colours as a stylesheet: class `c-ID` sets `--code-color` for code ID.

    A stylesheet rather than inline styles, which the Content-Security-Policy refuses. Revalidated on
    each page (ETag): a recoloured code shows on the next page, and the workspace swaps the link's
    `v` after a change.
    """
    membership = permissions.project_for(request.user, project_id)
    colors = Code.objects.filter(project=membership.project).values_list("pk", "color")
    css = "".join(f".c-{pk}{{--code-color:{color}}}\n" for pk, color in colors.order_by("pk"))
    tag = '"' + hashlib.md5(css.encode(), usedforsecurity=False).hexdigest() + '"'
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response


# The trash: /projects/<project_id>/trash/


def trash_list(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    entries = membership.project.trash.select_related("by", "merged_into").defer("rows")
    if not permissions.sees_whole_trash(membership):
        entries = entries.filter(by=request.user)
    context = {
        "project": membership.project,
        "membership": membership,
        "entries": [
            {"entry": entry, "can_restore": permissions.can_restore_code(membership, entry.by_id)}
            for entry in entries
        ],
        "trash_days": settings.VERBATIM_TRASH_DAYS,
        "whole_trash": permissions.sees_whole_trash(membership),
        **permissions.abilities(membership),
    }
    return render(request, "coding/trash.html", context)


@require_POST
def trash_restore(request: HttpRequest, project_id: int, entry_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    entries = TrashedCode.objects.defer("rows").filter(project=membership.project)
    entry = get_object_or_404(entries, pk=entry_id)
    if not permissions.can_restore_code(membership, entry.by_id):
        raise Http404  # someone else's deletion: not on this researcher's trash page either
    try:
        restored = trash.restore(entry, request.user)
    except TrashedCode.DoesNotExist:
        messages.error(request, _("It was restored by someone else meanwhile."))
    except IntegrityError:
        messages.error(request, _("The codebook changed meanwhile: please try again."))
    else:
        messages.success(request, _restored_message(restored, entry))
    return redirect("coding:trash", membership.project_id)


def _restored_message(restored: trash.Restored, entry: TrashedCode) -> str:
    parts = [_("« %(name)s » is back, with its codings and memos.") % {"name": entry.name}]
    if restored.renamed:
        parts.append(
            _("Its name was taken meanwhile: it is now « %(name)s ».")
            % {"name": restored.code.name}
        )
    if restored.lost:
        parts.append(
            ngettext(
                "%(count)d coding could not come back: its interview or coder is gone, or it was "
                "removed since.",
                "%(count)d codings could not come back: their interview or coder is gone, or they "
                "were removed since.",
                restored.lost,
            )
            % {"count": restored.lost}
        )
    return " ".join(parts)
