"""The agreement pages: figures per code, a code's interviews, the side-by-side comparison and its
consensus decisions, the XLSX; and the blind coding rounds.

Who may see what: supervisors and admins compare any coders on any interviews; a researcher sees
the figures and comparisons of closed rounds only (their codings were hidden from each other while
the round was open, coding/visibility.py). Every page reads the selection the same way
(agreement/selection.py): an interview, code or round of another project is a 404, a selection
that gives no figure is said in words.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from agreement import comparison, consensus, figures, methods, selection, workbook
from agreement.forms import RoundForm
from agreement.models import ConsensusDecision
from coding import workspace
from coding.codebook import code_paths
from coding.models import Code, Coding, CodingRound, ConsensusCoder, RoundDone
from coding.visibility import visible_codings
from interviews import permissions
from interviews.models import Interview, Membership
from interviews.permissions import Action
from verbatim import downloads, fragments, people
from verbatim.next_page import next_page

TEMPLATE = "agreement/figures.html"
COMPARE = "agreement/compare.html"
ROUNDS = "agreement/rounds.html"
SELECTION_KEYS = ("round", "coder", "interview", "code", "overlap", "unit")

SORTS = {
    "code": None,  # codebook order
    "percent": lambda row: row.percent.value,
    "kappa": lambda row: row.kappa.value,
    "alpha_u": lambda row: row.alpha_u.value,
    "segment": lambda row: row.segment.value,
    "alpha": lambda row: row.alpha_nominal.value,
}


def _reasons() -> dict[str, str]:
    return {key: str(text) for key, text in figures.REASONS.items()}


def _params(request: HttpRequest) -> dict:
    """The selection's parameters as given (lists for the repeatable ones)."""
    get = request.GET
    return {
        "round_id": get.get("round") or None,
        "coders": get.getlist("coder"),
        "interviews": get.getlist("interview"),
        "codes": get.getlist("code"),
        "overlap": get.get("overlap"),
        "unit": get.get("unit"),
    }


def _query(request: HttpRequest, **overrides) -> str:
    """The selection's query string (what links to other agreement pages carry)."""
    pairs = [(k, v) for k in SELECTION_KEYS for v in request.GET.getlist(k) if v]
    pairs = [(k, v) for k, v in pairs if k not in overrides]
    pairs += [(k, v) for k, v in overrides.items() if v not in (None, "")]
    return urlencode(pairs)


def _read(request: HttpRequest, membership: Membership, **narrow) -> selection.Selection:
    """The selection the request asks for, as the member may see it. Researchers compare closed
    rounds only, on the round's own coders and interviews (403 otherwise); another project's ids
    are a 404; a selection that gives no figure raises selection.Invalid."""
    params = _params(request)
    reviewer = permissions.can(membership, Action.REVIEW)
    if not reviewer:
        if params["round_id"] is None:
            raise PermissionDenied(_("Agreement figures are for supervisors, or closed rounds."))
        chosen = _round_for(membership, _id(params["round_id"]))  # another project's: a 404
        if chosen.is_open:
            raise PermissionDenied(_("The figures of this round show once it is closed."))
        params["coders"] = []
        params["interviews"] = []
    params.update(narrow)
    try:
        return selection.read_selection(
            membership.project, **params, seen=visible_codings(membership)
        )
    except selection.NotInProject:
        raise Http404 from None


def _id(value) -> int | None:
    return int(value) if value and str(value).isascii() and str(value).isdigit() else None


def _choices(membership: Membership, selected_interviews: set, selected_codes: set) -> dict:
    """The options of the selection form (reviewers only). The interviews' and codes' <option>s
    are built here: thousands of interviews cost milliseconds as a template loop."""
    project = membership.project
    users = get_user_model().objects.filter(
        Q(memberships__project=project) | Q(consensus_of__project=project)
    )
    interviews = Interview.objects.filter(project=project).order_by("title", "pk")
    return {
        "rounds": CodingRound.objects.filter(project=project),
        "coder_choices": users.distinct().order_by("username"),
        "interview_options": _options(interviews.values_list("pk", "title"), selected_interviews),
        "code_options": _options(
            ((code.pk, path) for code, path in code_paths(project.pk)), selected_codes
        ),
    }


def _options(choices, selected: set) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, mark_safe(" selected") if pk in selected else "", label) for pk, label in choices),
    )


def _sorted(codes: list, sort: str) -> list:
    key = SORTS.get(sort.lstrip("-"))
    if key is None:
        return codes
    defined = [c for c in codes if key(c) is not None]
    undefined = [c for c in codes if key(c) is None]  # last, whichever the direction
    return sorted(defined, key=key, reverse=sort.startswith("-")) + undefined


def _headers(request: HttpRequest, sort: str) -> list[dict]:
    labels = {
        "code": _("Code"),
        "percent": _("Agreement"),
        "kappa": _("Cohen’s κ"),
        "alpha_u": _("Krippendorff’s uα"),
        "segment": _("Segments"),
        "alpha": _("α (presence)"),
    }
    headers = []
    for column, label in labels.items():
        if sort == column:
            following, aria = f"-{column}", "ascending"
        elif sort == f"-{column}":
            following, aria = column, "descending"
        else:
            following, aria = column, ""
        headers.append(
            {
                "key": column,
                "label": label,
                "query": _query(request, sort=following),
                "aria_sort": aria,
            }
        )
    return headers


def _decisions(chosen: selection.Selection) -> int:
    """Live consensus decisions on the selection's interviews and codes."""
    return (
        ConsensusDecision.objects.live()
        .filter(
            project=chosen.project,
            interview_id__in=[i.pk for i in chosen.interviews],
            code_id__in=[c.pk for c, _p in chosen.codes],
        )
        .count()
    )


# --- Figures ---------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def agreement(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    reviewer = permissions.can(membership, Action.REVIEW)
    sort = request.GET.get("sort", "")
    sort = sort if sort.lstrip("-") in SORTS else ""
    context = {
        "project": membership.project,
        "membership": membership,
        "sort": sort,
        "query": _query(request),
        "thresholds": {"reliable": figures.RELIABLE, "tentative": figures.TENTATIVE},
        "selected_interviews": {_id(v) for v in request.GET.getlist("interview")},
        "selected_codes": {_id(v) for v in request.GET.getlist("code")},
        **permissions.abilities(membership),
    }
    asked = any(request.GET.get(key) for key in SELECTION_KEYS)
    if asked:
        try:
            chosen = _read(request, membership)
        except selection.Invalid as invalid:
            context["problems"] = invalid.messages
        else:
            computed = figures.compute(chosen)
            computed.codes = _sorted(computed.codes, sort)
            context.update(
                selection=chosen,
                figures=computed,
                headers=_headers(request, sort),
                methods=methods.paragraphs(computed, _decisions(chosen)),
            )
    if reviewer:
        selected = context["selected_interviews"], context["selected_codes"]
        context.update(_choices(membership, *selected))
    else:
        context["closed_rounds"] = CodingRound.objects.filter(
            project=membership.project, closed_at__isnull=False
        )
    return render(request, fragments.template(request, TEMPLATE, "figures"), context)


@require_GET
def agreement_export(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.EXPORT)
    try:
        chosen = _read(request, membership)
    except selection.Invalid as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect(f"{reverse('agreement:figures', args=[project_id])}?{_query(request)}")
    computed = figures.compute(chosen, cells=True)
    name = slugify(membership.project.name) or "verbatim"
    return downloads.attachment(
        workbook.workbook_file(computed, _reasons(), _decisions(chosen)),
        f"{name}-agreement-{timezone.localdate().isoformat()}.xlsx",
    )


@require_GET
@vary_on_headers("HX-Request")
def code_detail(request: HttpRequest, project_id: int, code_id: int) -> HttpResponse:
    """One code's figures in each interview, each with a link to the side-by-side view."""
    membership = permissions.project_for(request.user, project_id)
    code = get_object_or_404(Code, pk=code_id, project=membership.project)
    context = {
        "project": membership.project,
        "code": code,
        "query": _query(request),
        **permissions.abilities(membership),
    }
    try:
        chosen = _read(request, membership)
    except selection.Invalid as invalid:
        context["problems"] = invalid.messages
    else:
        computed = figures.compute(chosen, cells=True, code_ids={code.pk})
        context.update(selection=chosen, row=computed.codes[0] if computed.codes else None)
    return render(request, fragments.template(request, "agreement/code.html", "cells"), context)


# --- Side by side and consensus --------------------------------------------------------------


@require_GET
def side_by_side(request: HttpRequest, project_id: int, interview_id: int, code_id: int):
    membership, interview = permissions.interview_for(request.user, project_id, interview_id)
    code = get_object_or_404(Code, pk=code_id, project=membership.project)
    context = {
        "project": membership.project,
        "membership": membership,
        "interview": interview,
        "code": code,
        "query": _query(request),
        **permissions.abilities(membership),
    }
    try:
        chosen = _read(request, membership, interviews=[str(interview.pk)], codes=[str(code.pk)])
    except selection.Invalid as invalid:
        context["problems"] = invalid.messages
        return render(request, COMPARE, context, status=200)
    context.update(_comparison(membership, interview, code, chosen))
    context["here"] = request.get_full_path()
    return render(request, COMPARE, context)


def _comparison(membership, interview, code, chosen: selection.Selection) -> dict:
    coders = chosen.coders
    coder_ids = [coder.pk for coder in coders]
    by_coder = comparison.codings(interview.pk, code.pk, coder_ids, chosen.seen)
    found = comparison.regions(by_coder, coder_ids, interview.text_length)
    decisions = list(
        ConsensusDecision.objects.live()
        .filter(interview=interview, code=code)
        .select_related("decided_by", "kept")
    )
    consensus_user = ConsensusCoder.objects.filter(project=membership.project).first()
    consensus_passages = []
    if consensus_user and chosen.seen.shows(interview.pk, consensus_user.user_id):
        consensus_passages = list(
            Coding.objects.filter(
                interview=interview, code=code, coder_id=consensus_user.user_id
            ).values_list("start", "end")
        )
    comparison.attach(found, decisions, consensus_passages)
    blocks = workspace.display_blocks(interview)
    stripes: set[str] = set()
    for block in blocks:
        for paragraph in block.paragraphs:
            # Built from escaped text by agreement.comparison.
            paragraph.html = mark_safe(
                comparison.paragraph_html(
                    paragraph.start, paragraph.text, found, coder_ids, stripes
                )
            )
    items = _items(found, interview, chosen, by_coder)
    return {
        **_settle_context(interview, code, chosen),
        "discuss_url": reverse("review:discuss", args=[interview.project_id]),
        "coders": [(lane, c, people.name(c)) for lane, c in enumerate(coders)],
        "consensus_lane": len(coders),
        "blocks": blocks,
        "stripes": comparison.stylesheet(len(coders), stripes),
        "regions": found,
        "agreements": sum(not r.disagreement for r in found),
        "disagreements": items,
        "cell": figures.compute(chosen).codes[0],
        "can_settle": permissions.can(membership, Action.REVIEW)
        and (consensus_user is None or consensus_user.user_id not in coder_ids),
    }


def _items(found: list, interview, chosen: selection.Selection, by_coder: dict) -> list[dict]:
    """What each disagreement's card shows: each coder's version quoted, the codings it involves
    (to send to review), the consensus so far."""
    names = {coder.pk: people.name(coder) for coder in chosen.coders}
    labels = {pk: _("%(name)s’s version") % {"name": name} for pk, name in names.items()}
    items = []
    for region in found:
        if not region.disagreement:
            continue
        versions = [
            {
                "coder": coder,
                "name": names[coder.pk],
                "label": labels[coder.pk],
                "lane": lane,
                "quotes": [
                    comparison.quote(interview.text, s, e) for s, e in region.passages[coder.pk]
                ],
            }
            for lane, coder in enumerate(chosen.coders)
        ]
        codings = [
            coding_id
            for rows in by_coder.values()
            for coding_id, s, e in rows
            if s < region.end and e > region.start
        ]
        consensus = [comparison.quote(interview.text, s, e) for s, e in region.consensus]
        items.append(
            {
                "region": region,
                "number": len(items) + 1,
                "versions": versions,
                "codings": codings,
                "consensus": consensus,
            }
        )
    return items


def _settle_context(interview, code, chosen: selection.Selection) -> dict:
    """What a settle form needs beside its region: where it posts, and the selection it carries
    (hidden fields in the form, a query string for the link that loads it)."""
    fields = [("round", chosen.round.pk)] if chosen.round else []
    fields += [("coder", coder.pk) for coder in chosen.coders]
    return {
        "selection": chosen,
        "selection_fields": format_html_join(
            "", '<input type="hidden" name="{}" value="{}">', fields
        ),
        "selection_query": urlencode(fields),
        "settle_url": reverse(
            "agreement:settle", args=[interview.project_id, interview.pk, code.pk]
        ),
    }


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def settle(request: HttpRequest, project_id: int, interview_id: int, code_id: int):
    """GET: the form settling one disagreement (`start`, `end` of its region), loaded when its card
    opens. POST: settle it as `choice` says: `coder:<id>`, `all`, `span` (with `span_start`,
    `span_end`) or `none`, with a `comment`."""
    membership, interview = permissions.interview_for(
        request.user, project_id, interview_id, Action.REVIEW
    )
    code = get_object_or_404(Code, pk=code_id, project=membership.project)
    compare = reverse("agreement:compare", args=[project_id, interview.pk, code.pk])
    data = request.POST if request.method == "POST" else request.GET
    back = next_page(request, compare)
    try:
        chosen = selection.read_selection(
            membership.project,
            round_id=data.get("round") or None,
            coders=data.getlist("coder"),
            interviews=[str(interview.pk)],
            codes=[str(code.pk)],
        )
    except selection.NotInProject:
        raise Http404 from None
    except selection.Invalid as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect(back)
    if request.method == "GET":
        return _settle_form(request, membership, interview, code, chosen)
    post = request.POST
    start, end = _int(post.get("start")), _int(post.get("end"))
    span_start, span_end = _int(post.get("span_start")), _int(post.get("span_end"))
    # "coder:<id>" keeps that coder's version; "all", "span" or "none" otherwise.
    choice, _colon, kept = post.get("choice", "").partition(":")
    asked = consensus.Request(
        start=start if start is not None else -1,
        end=end if end is not None else -1,
        choice=choice,
        kept=_int(kept),
        span=(span_start, span_end) if span_start is not None and span_end is not None else None,
        comment=post.get("comment", ""),
    )
    try:
        consensus.settle(membership, interview, code, chosen.coders, asked, round=chosen.round)
    except consensus.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Settled: the consensus coding is stored."))
    return redirect(back)


def _settle_form(request, membership, interview, code, chosen: selection.Selection):
    coder_ids = [coder.pk for coder in chosen.coders]
    by_coder = comparison.codings(interview.pk, code.pk, coder_ids, chosen.seen)
    start, end = _int(request.GET.get("start")), _int(request.GET.get("end"))
    found = [
        r
        for r in comparison.regions(by_coder, coder_ids, interview.text_length)
        if (r.start, r.end) == (start, end)
    ]
    if not found:
        raise Http404  # changed meanwhile: the page, reloaded, shows what is there now
    compare = reverse("agreement:compare", args=[interview.project_id, interview.pk, code.pk])
    context = {
        **_settle_context(interview, code, chosen),
        "project": membership.project,
        "interview": interview,
        "code": code,
        "item": _items(found, interview, chosen, by_coder)[0],
        "region": found[0],
        "here": f"{compare}?{_settle_context(interview, code, chosen)['selection_query']}",
        **permissions.abilities(membership),
    }
    return render(
        request, fragments.template(request, "agreement/settle.html", "settle-form"), context
    )


@require_POST
def undo_decision(request: HttpRequest, project_id: int, decision_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.REVIEW)
    decision = get_object_or_404(ConsensusDecision, pk=decision_id, project=membership.project)
    back = next_page(
        request,
        reverse("agreement:compare", args=[project_id, decision.interview_id, decision.code_id]),
    )
    try:
        consensus.undo(membership, decision)
    except consensus.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Decision undone: its consensus coding is removed."))
    return redirect(back)


# --- Coding rounds ---------------------------------------------------------------------------


@vary_on_headers("HX-Request")
def rounds(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: the project's rounds (a researcher: those they code in, and the closed ones); POST: a
    new round (supervisors and admins)."""
    membership = permissions.project_for(request.user, project_id)
    project = membership.project
    reviewer = permissions.can(membership, Action.REVIEW)
    form = None
    if reviewer:
        form = RoundForm(request.POST or None, project=project)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                form.instance.created_by = request.user
                created = form.save()
            drawn = form.cleaned_data.get("sample")
            opened = (
                ngettext(
                    "Round « %(name)s » opened, with %(count)s interview drawn at random.",
                    "Round « %(name)s » opened, with %(count)s interviews drawn at random.",
                    drawn,
                )
                if drawn
                else _("Round « %(name)s » opened.")
            )
            messages.success(request, opened % {"name": created.name, "count": drawn})
            return redirect("agreement:round", project_id, created.pk)
    elif request.method == "POST":
        raise PermissionDenied
    listed = CodingRound.objects.filter(project=project).annotate(
        interview_count=Count("interviews", distinct=True),
        coder_count=Count("coders", distinct=True),
    )
    if not reviewer:
        listed = listed.filter(Q(coders=request.user) | Q(closed_at__isnull=False)).distinct()
    context = {
        "project": project,
        "membership": membership,
        "rounds": listed,
        "form": form,
        **permissions.abilities(membership),
    }
    return render(request, ROUNDS, context)


def _round_for(membership: Membership, round_id: int) -> CodingRound:
    return get_object_or_404(CodingRound, pk=round_id, project=membership.project)


@require_GET
def round_detail(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    """Progress, coder × interview, with each coder's "done" marks (and, for supervisors, how many
    codings each made); a coder marks their own; supervisors close the round."""
    membership = permissions.project_for(request.user, project_id)
    chosen = _round_for(membership, round_id)
    reviewer = permissions.can(membership, Action.REVIEW)
    coders = list(chosen.coders.order_by("username"))
    members = set(
        Membership.objects.filter(project=membership.project).values_list("user_id", flat=True)
    )
    interviews = list(chosen.interviews.order_by("title", "pk").defer("text"))
    scoped = set(chosen.codes.values_list("pk", flat=True))
    done = set(chosen.done.values_list("coder_id", "interview_id"))
    counts = {}
    if reviewer:
        counts = {
            (coder_id, interview_id): n
            for coder_id, interview_id, n in Coding.objects.filter(
                interview__in=interviews, coder__in=coders
            )
            .values_list("coder_id", "interview_id")
            .annotate(n=Count("pk"))
            .values_list("coder_id", "interview_id", "n")
        }
    rows = [
        {
            "coder": coder,
            "left": coder.pk not in members,
            "mine": coder.pk == request.user.pk,
            "done": sum((coder.pk, i.pk) in done for i in interviews),
            "cells": [
                {
                    "interview": interview,
                    "done": (coder.pk, interview.pk) in done,
                    "codings": counts.get((coder.pk, interview.pk), 0),
                }
                for interview in interviews
            ],
        }
        for coder in coders
    ]
    context = {
        "project": membership.project,
        "membership": membership,
        "round": chosen,
        "rows": rows,
        "interviews": interviews,
        "codes": [path for code, path in code_paths(project_id) if code.pk in scoped],
        "is_coder": any(row["mine"] for row in rows),
        "all_done": all(row["done"] == len(interviews) for row in rows),
        "may_see_figures": reviewer or not chosen.is_open,
        "figures_query": urlencode({"round": chosen.pk}),
        **permissions.abilities(membership),
    }
    return render(request, "agreement/round.html", context)


@require_POST
def round_done(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    """A coder marks one of the round's interviews done (`done=1`) or not yet (`done=0`)."""
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    chosen = _round_for(membership, round_id)
    if not chosen.coders.filter(pk=request.user.pk).exists():
        raise PermissionDenied
    interview = get_object_or_404(chosen.interviews, pk=_int(request.POST.get("interview")))
    if not chosen.is_open:
        messages.error(request, _("This round is closed."))
    elif request.POST.get("done") == "1":
        RoundDone.objects.get_or_create(round=chosen, coder=request.user, interview=interview)
    else:
        RoundDone.objects.filter(round=chosen, coder=request.user, interview=interview).delete()
    return redirect(next_page(request, reverse("agreement:round", args=[project_id, chosen.pk])))


@require_POST
def round_close(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    """Close the round: its coders see each other's codings again, and its figures."""
    membership = permissions.project_for(request.user, project_id, Action.REVIEW)
    chosen = _round_for(membership, round_id)
    updated = CodingRound.objects.filter(pk=chosen.pk, closed_at=None).update(
        closed_at=timezone.now(), closed_by=request.user
    )
    if updated:
        messages.success(
            request,
            _("Round « %(name)s » closed: its coders now see each other’s codings and the figures.")
            % {"name": chosen.name},
        )
    else:
        messages.error(request, _("This round was already closed."))
    return redirect("agreement:round", project_id, chosen.pk)
