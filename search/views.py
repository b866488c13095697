"""Full-text search across a project's transcripts, and coding every result at once.

The query side is search/index.py. The search page serves its results as an htmx fragment too
(the form swaps them and pushes the URL). "Code all results" first previews what it would do (GET),
then does it (POST) as one action: every interview is written in its own recorded_as() block, all
sharing one action group, so one undo reverts the whole of it, here or from any interview it touched.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from coding import actions
from coding.audit import last_undoable_group, recorded_as, undo_last
from coding.codebook import code_paths
from coding.models import Code, Coding, CodingEvent
from interviews import permissions
from interviews.models import Interview, Membership
from interviews.permissions import Action
from search import index
from search.index import Unit
from verbatim import fragments

TEMPLATE = "search/search.html"
PER_PAGE = 20
MAX_CODE_ALL = 2000  # paragraphs: beyond, the preview asks for a narrower search


class CodeAllForm(forms.Form):
    q = forms.CharField(required=False, widget=forms.HiddenInput)  # index.parse() says what's wrong
    code = forms.TypedChoiceField(label=gettext_lazy("Code"), coerce=int)
    unit = forms.ChoiceField(
        label=gettext_lazy("Code what"),
        choices=[
            (Unit.WORDS, gettext_lazy("the words found")),
            (Unit.SENTENCE, gettext_lazy("their sentence")),
            (Unit.TURN, gettext_lazy("the speaker’s turn")),
            (Unit.PARAGRAPH, gettext_lazy("their paragraph")),
        ],
        initial=Unit.WORDS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, paths: list[tuple[Code, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = {code.pk: code for code, _path in paths}
        self.fields["code"].choices = [("", "—")] + [(code.pk, path) for code, path in paths]


@dataclass
class _Plan:
    """What coding every result would do: passages per interview, and how they meet existing ones."""

    total: int  # paragraphs found
    ranges: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    new: int = 0  # passages that become codings of their own
    extend: int = 0  # passages that merge with one of the user's codings with that code
    already: int = 0  # passages that coding already covers
    interviews: list[tuple[Interview, int]] = field(default_factory=list)

    @property
    def too_many(self) -> bool:
        return self.total > MAX_CODE_ALL

    @property
    def passages(self) -> int:
        return self.new + self.extend + self.already

    @property
    def changes(self) -> int:
        return self.new + self.extend


def _grouped(hits: list[index.Hit], per_interview: dict[int, int]) -> list[dict]:
    """The page's hits under their interview, with the interview's number of hits (all pages)."""
    groups = []
    for hit in hits:
        if not groups or groups[-1]["interview_id"] != hit.interview_id:
            total = per_interview.get(hit.interview_id, 0)
            groups.append(
                {"interview_id": hit.interview_id, "title": hit.title, "total": total, "hits": []}
            )
        groups[-1]["hits"].append(hit)
    return groups


def _results_context(membership: Membership, params, paths=None) -> dict:
    """The search page's context for the query in `params` (none on a first visit)."""
    project = membership.project
    context = {
        "project": project,
        "membership": membership,
        "q": params.get("q", ""),
        "max_length": index.MAX_LENGTH,
        **permissions.abilities(membership),
    }
    if "q" not in params:
        return context
    try:
        query = index.parse(project.pk, params["q"])
    except index.SearchError as error:
        return context | {"problem": error.message}
    results = index.Results(query)
    page = Paginator(results, PER_PAGE).get_page(params.get("page"))
    context |= {
        "query": query,
        "results": results,
        "page": page,
        "groups": _grouped(page.object_list, results.per_interview),
        "page_query": urlencode({"q": query.text}),
    }
    if context["can_code"] and results.total:
        paths = code_paths(project.pk) if paths is None else paths
        context["code_all_form"] = CodeAllForm(initial={"q": query.text}, paths=paths)
    return context


def _plan(query: index.Query, code: Code, unit: str, user) -> _Plan:
    counts = index.counts(query)
    plan = _Plan(total=sum(counts.values()))
    if plan.too_many or not plan.total:
        return plan
    # Paragraphs and turns need no marks: ts_headline runs only for words and sentences.
    found = index.hits(query, marks=unit in (Unit.WORDS, Unit.SENTENCE))
    plan.ranges = index.passages(found, unit)
    existing = defaultdict(list)
    rows = Coding.objects.filter(code=code, coder=user, interview_id__in=plan.ranges)
    for interview_id, start, end in rows.values_list("interview_id", "start", "end"):
        existing[interview_id].append((start, end))
    for interview_id, spans in plan.ranges.items():
        for start, end in spans:
            # A preview of coding_apply's rule: codings that overlap or touch the passage merge.
            touching = [(s, e) for s, e in existing[interview_id] if s <= end and e >= start]
            if any(s <= start and end <= e for s, e in touching):
                plan.already += 1
            elif touching:
                plan.extend += 1
            else:
                plan.new += 1
    interviews = Interview.objects.filter(project_id=query.project_id, pk__in=plan.ranges)
    plan.interviews = [
        (interview, len(plan.ranges[interview.pk]))
        for interview in interviews.only("id", "title", "project_id").order_by("title", "id")
    ]
    return plan


def _apply(plan: _Plan, code: Code, user) -> int | None:
    """Code every passage of the plan as one action; its action group (None when nothing to do)."""
    if not plan.changes:
        return None
    group = None
    with transaction.atomic():
        # Interviews in id order: concurrent code-alls take their interviews' locks in one order.
        for interview, _count in sorted(plan.interviews, key=lambda row: row[0].pk):
            with recorded_as(user, interview_id=interview.pk, group=group) as group:
                _code_interview(interview, plan.ranges[interview.pk], code, user, group)
    return group


def _code_interview(interview: Interview, ranges, code: Code, user, group: int) -> None:
    """Code the (already merged) passages of one interview as part of action `group`, by the rule
    every coding follows (coding_apply: a passage meeting the user's codings of the code merges)."""
    actions.apply_each(interview, code.pk, user, ranges, group=group)


# Pages


@vary_on_headers("HX-Request")
@require_GET
def search_transcripts(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    context = _results_context(membership, request.GET)
    return render(request, fragments.template(request, TEMPLATE, "search-results"), context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def code_all(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: what coding every result would do; POST: do it."""
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    paths = code_paths(project_id)
    data = request.POST if request.method == "POST" else request.GET
    form = CodeAllForm(data, paths=paths)
    context = {"project": membership.project, "code_all_form": form, "max_code_all": MAX_CODE_ALL}
    plan = None
    if form.is_valid():
        code, unit = form.codes[form.cleaned_data["code"]], form.cleaned_data["unit"]
        try:
            query = index.parse(project_id, form.cleaned_data["q"])
        except index.SearchError as error:
            form.add_error(None, error.message)
        else:
            plan = _plan(query, code, unit, request.user)
            context |= {"plan": plan, "code": code}
    if request.method == "POST" and plan is not None and not plan.too_many:
        group = _apply(plan, code, request.user)
        done = _done_message(plan, code, group)
        if not request.htmx:
            messages.success(request, done)
            return redirect(_search_url(project_id, form.cleaned_data["q"]))
        context |= {"plan": None, "done": done, "group": group}
    if fragments.asked(request):
        return render(request, f"{TEMPLATE}#code-all", context)
    # Without htmx, the preview sits in the search page, under the results it was made from.
    page = _results_context(membership, {"q": data.get("q", "")}, paths)
    return render(request, TEMPLATE, page | context)


@require_POST
def code_all_undo(request: HttpRequest, project_id: int) -> HttpResponse:
    """Revert a "code all results" action, if it is still the user's last in one of its interviews."""
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    group = request.POST.get("group", "")
    if not group.isdigit():
        return HttpResponseBadRequest()
    events = CodingEvent.objects.filter(
        project_id=project_id, group=int(group), actor=request.user, undo_of__isnull=True
    )
    message = _(
        "Nothing to undo here: it was undone already, or you have coded these interviews since. "
        "Use Undo in an interview."
    )
    for interview_id in events.values_list("interview_id", flat=True).distinct():
        if last_undoable_group(request.user, interview_id) == int(group):
            result = undo_last(request.user, interview_id)
            message = ngettext(
                "Undone: %(count)d change reverted.",
                "Undone: %(count)d changes reverted.",
                len(result.events),
            ) % {"count": len(result.events)}
            break
    q = request.POST.get("q", "")
    if not request.htmx:
        messages.info(request, message)
        return redirect(_search_url(project_id, q))
    form = CodeAllForm(initial={"q": q}, paths=code_paths(project_id))
    context = {"project": membership.project, "code_all_form": form, "undone": message}
    return render(request, f"{TEMPLATE}#code-all", context)


def _done_message(plan: _Plan, code: Code, group: int | None) -> str:
    if group is None:
        return _("Nothing to code: every passage already has this code.")
    return ngettext(
        "%(count)d passage coded with “%(code)s”.",
        "%(count)d passages coded with “%(code)s”.",
        plan.changes,
    ) % {"count": plan.changes, "code": code.name}


def _search_url(project_id: int, q: str) -> str:
    return f"{reverse('search:search', args=[project_id])}?{urlencode({'q': q})}"
