"""Supervisor screens: the review queue and its decisions; the coder's "to revise" list; a coding's history.

The queue reads the same filters as the excerpts page (coding.excerpts.Filters), with the
review state "pending" unless the address names another. Each decision answers with the excerpt's card
alone (htmx swaps it in place), or out-of-band cards for a bulk approval. What a decision may do is
decided in review/workflow.py.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from coding.models import Coding
from coding.visibility import reads_along, visible_codings
from excerpts import interview_list, queries
from excerpts.filters import (
    Filters,
    member_filters,
    member_statements,
    page_number,
    read_filters,
)
from interviews import permissions
from interviews.models import Membership
from interviews.permissions import Action
from review import workflow
from review.cards import Shared, card_html
from review.queries import reviewed_codings, reviewed_page
from verbatim import fragments, people
from verbatim.next_page import next_page
from verbatim.options import option_list

QUEUE = "review:queue"
TEMPLATE = "review/queue.html"
REVISE_TEMPLATE = "review/revise.html"
HISTORY_TEMPLATE = "review/history.html"
PER_PAGE = 25
COUNT_LIMIT = 10_000  # as on the excerpts page
QUEUE_ORDER = ("created_at", "pk")  # oldest first: who waited longest is reviewed first
REVISE_ORDER = ("interview__title", "interview_id", "start", "pk")  # through each interview
ID = re.compile(r"[0-9]{1,18}", re.ASCII)


def _queue_params(params: QueryDict) -> QueryDict:
    """The queue's filters: those of the address, pending codings unless it names a state."""
    params = params.copy()
    if not params.getlist("status"):
        params.setlist("status", [Coding.Status.PENDING])
    return params


def _excerpts(filters: Filters, ids) -> list[Coding]:
    """Those of these codings that pass the filters, as excerpt cards show them (with their
    history), oldest first (the queue's order)."""
    passing = queries.matching(filters).filter(pk__in=list(ids)).order_by(*QUEUE_ORDER)
    return reviewed_codings(list(passing.values_list("pk", flat=True)))


def _page(filters: Filters, asked, order=QUEUE_ORDER) -> tuple:
    """One page of excerpts: its ids, the cards' data for those ids alone (whatever the select
    list computes is computed for every row an OFFSET skips) and the count, in one round trip.
    The page asked for is read as Paginator.get_page reads it: the first for a `page` that is no
    number, the last past the end (an old link, or a number of more than nine digits)."""
    number = page_number(asked)
    if number == 1 and asked and asked.isascii() and asked.isdigit() and int(asked) > 1:
        number = PAST_THE_END
    return _read_page(filters, number, order)


PAST_THE_END = 10**9  # a page past any project's last (page_number reads nine digits at most)


def _read_page(filters: Filters, number: int, order) -> tuple:
    codings, (counted_rows,) = reviewed_page(
        queries.page_ids_query(filters, (number - 1) * PER_PAGE, PER_PAGE, order),
        queries.count_query(filters, COUNT_LIMIT),
    )
    ((counted,),) = counted_rows
    # Counted up to COUNT_LIMIT + 1: counting all 85,000 pending codings of a large project costs
    # more than the whole page. Paginator takes the length of a range as the count.
    paginator = Paginator(range(counted), PER_PAGE)
    if not codings and number > paginator.num_pages:
        return _read_page(filters, paginator.num_pages, order)
    page = Page([coding.pk for coding in codings], number, paginator)
    page.more = counted > COUNT_LIMIT
    return page, codings


# Where a sentence ends, in a context: its mark, the closing quote or bracket after it, then space.
SENTENCE_END = re.compile(r"[.!?…][»”\")\]]*\s+")


def _sentences(coding) -> dict[str, str]:
    """The coding's context cut at sentence ends: the sentence around the passage shows, the rest
    of the context unfolds on demand ("near" and "far" on each side)."""
    before, after = coding.context_before, coding.context_after
    ends = list(SENTENCE_END.finditer(before))
    cut = ends[-1].end() if ends else 0
    found = SENTENCE_END.search(after)
    stop = found.end() if found else len(after)
    return {
        "before_far": before[:cut],
        "before_near": before[cut:],
        "after_near": after[:stop],
        "after_far": after[stop:],
    }


def _cards(membership: Membership, filters: Filters, codings) -> list[dict]:
    return [
        {
            "coding": coding,
            "context": _sentences(coding),
            "path": filters.paths.get(coding.code_id, coding.code.name),
            "may_review": workflow.may_review(membership, coding),
            "approvable": coding.status in workflow.APPROVABLE,
            "can_send_back": coding.status in workflow.SENDABLE_BACK,
        }
        for coding in codings
    ]


def _cards_html(request: HttpRequest, membership: Membership, cards, oob=False) -> SafeString:
    """The cards as HTML (review/cards.py), their forms signed with the request's CSRF token."""
    csrf = csrf_input(request)
    shared = Shared.now()
    return mark_safe(  # noqa: S308 -- card_html escapes every value
        "".join(
            card_html(
                card,
                project_id=membership.project_id,
                user_id=membership.user_id,
                csrf=csrf,
                oob=oob,
                shared=shared,
            )
            for card in cards
        )
    )


def _fresh_cards(membership: Membership, coding_ids, **extra) -> list[dict]:
    """Fresh cards of these codings of the member's project (after a decision), in queue order."""
    filters = read_filters(membership.project, QueryDict(), member=membership)
    codings = _excerpts(filters, coding_ids)
    cards = _cards(membership, filters, codings)
    for card in cards:
        card.update(extra)
    return cards


def _coding_for(membership: Membership, coding_id: int) -> Coding:
    """A coding of the member's project that they may see (coding/visibility.py); 404 for any
    other id, so nothing of another project, or of a blind round, leaks."""
    return get_object_or_404(
        Coding.objects.filter(visible_codings(membership).q())
        .select_related("interview", "coder")
        .defer("interview__text"),
        pk=coding_id,
        interview__project_id=membership.project_id,
    )


def _attempt(request: HttpRequest, transition, *args) -> str | None:
    """Run a review transition; None when done, else why not. A role that may never do it gets a
    403 page without htmx; with htmx, like any refusal, a message on the card."""
    try:
        transition(*args)
    except workflow.NotAllowed as refused:
        if not request.htmx:
            raise PermissionDenied(refused.message) from None
        return refused.message
    except workflow.ReviewRefused as refused:
        return refused.message
    return None


def _chips(filters: Filters):
    """The active filters but a lone review state, which the form's own menu shows (and which
    would come back as the default if removed)."""
    return [chip for chip in filters.chips() if "status=" in chip.query]


def _filter_choices(filters: Filters, members, interview_count: int) -> dict:
    """The filter form's menus, built as HTML (verbatim/options.py): a codebook's paths cost the
    template most of a millisecond. The interviews come when their list is opened
    (excerpts/interview_list.py): a large project's thousands were most of the page."""
    return {
        "code_options": option_list(filters.paths.items(), filters.code_ids),
        "coder_options": option_list(((m.pk, m.name) for m in members), filters.coders),
        **interview_list.context(filters, interview_count),
        "status_choices": Coding.Status.choices,
    }


# The review queue


def _menus(request: HttpRequest, project_id: int) -> list[tuple[str, list]]:
    """What the queue reads beside its filters: the form's menus, on the whole page."""
    return [] if fragments.asked(request) else queries.menu_queries(project_id)


def _read_along(request: HttpRequest, project_id: int) -> list[tuple[str, list]]:
    return member_statements(project_id, _menus(request, project_id))


@vary_on_headers("HX-Request")
@require_GET
@reads_along(_read_along)
def review_queue(request: HttpRequest, project_id: int) -> HttpResponse:
    fragment = fragments.asked(request)
    # The member, the codebook and the form's menus in one round trip (with the session's,
    # coding.visibility.ReadAhead).
    membership, filters, menu_rows = member_filters(
        request.user,
        project_id,
        _queue_params(request.GET),
        Action.REVIEW,
        also=_menus(request, project_id),
    )
    project = membership.project
    if interview_list.asked(request):
        return interview_list.every_interview(filters)
    context = {
        "project": project,
        "membership": membership,
        "filters": filters,
        **permissions.abilities(membership),
    }
    if filters.is_valid():
        page, codings = _page(filters, request.GET.get("page"))
        context.update(
            page=page,
            cards=_cards_html(request, membership, _cards(membership, filters, codings)),
            chips=_chips(filters),
        )
    if fragment:
        return render(request, f"{TEMPLATE}#review-results", context)
    context.update(_filter_choices(filters, *queries.menus(*menu_rows)))
    return render(request, TEMPLATE, context)


@require_POST
def review_decide(request: HttpRequest, project_id: int, coding_id: int) -> HttpResponse:
    """`decision=approve|send_back`, with a `comment` (required to send back)."""
    membership = permissions.project_for(request.user, project_id, Action.REVIEW)
    coding = _coding_for(membership, coding_id)
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    message = None
    if decision == "approve":
        error = _attempt(request, workflow.approve, coding, membership, comment)
        message = _("Approved.")
    elif decision == "send_back":
        error = _attempt(request, workflow.send_back, coding, membership, comment)
        message = _("Sent back to %(name)s with your comment.") % {
            "name": people.name(coding.coder)
        }
    else:
        error = _("Unknown decision: approve or send back.")
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, message)
        return redirect(next_page(request, reverse(QUEUE, args=[project_id])))
    extra = {"message": error or message, "error": bool(error), "decided": True}
    if error and decision == "send_back":
        extra["comment"] = comment  # what they typed stays in the box
    cards = _fresh_cards(membership, [coding.pk], **extra)
    if not cards:  # removed meanwhile
        return render(request, f"{TEMPLATE}#gone", {"coding_id": coding_id, **extra})
    return HttpResponse(_cards_html(request, membership, cards))


@require_POST
def review_bulk(request: HttpRequest, project_id: int) -> HttpResponse:
    """Approve the selected excerpts (`coding=<id>`, repeated) at once."""
    membership = permissions.project_for(request.user, project_id, Action.REVIEW)
    ids = [int(value) for value in request.POST.getlist("coding") if ID.fullmatch(value)]
    if not ids:
        result, message, error = None, _("Select the excerpts to approve first."), True
    else:
        result = workflow.bulk_approve(membership, ids)
        message, error = _bulk_message(result), not result.approved
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, message)
        return redirect(next_page(request, reverse(QUEUE, args=[project_id])))
    status = {"message": message, "error": error, "oob": True}
    parts = [render_to_string(f"{TEMPLATE}#bulk-status", status)]
    if result is not None:
        reasons = result.skipped
        cards = _fresh_cards(membership, result.approved + list(reasons), decided=False)
        for card in cards:
            card["message"] = reasons.get(card["coding"].pk)
            card["error"] = card["message"] is not None
        parts.append(_cards_html(request, membership, cards, oob=True))
    return HttpResponse("".join(parts))


@require_POST
def review_discuss(request: HttpRequest, project_id: int) -> HttpResponse:
    """Send codings (`coding=<id>`, repeated: the versions of a disagreement, from the agreement
    pages) to the queue as an item to discuss, with a `comment`; back to `next`."""
    membership = permissions.project_for(request.user, project_id, Action.REVIEW)
    ids = [int(value) for value in request.POST.getlist("coding") if ID.fullmatch(value)]
    back = next_page(request, reverse(QUEUE, args=[project_id]))
    if not ids:
        messages.error(request, _("Nothing to discuss: no coding was chosen."))
        return redirect(back)
    try:
        result = workflow.discuss(membership, ids, request.POST.get("comment", ""))
    except workflow.ReviewRefused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    count = len(result.codings)
    messages.success(
        request,
        ngettext(
            "%(count)d coding is in the review queue, to discuss.",
            "%(count)d codings are in the review queue, to discuss.",
            count,
        )
        % {"count": count},
    )
    return redirect(back)


def _bulk_message(result: workflow.BulkResult) -> str:
    parts = [
        ngettext(
            "%(count)d excerpt approved.", "%(count)d excerpts approved.", len(result.approved)
        )
        % {"count": len(result.approved)}
    ]
    if result.skipped:
        reasons: dict[str, int] = {}
        for reason in result.skipped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        details = ", ".join(f"{reason} ({count})" for reason, count in reasons.items())
        parts.append(_("Not approved: %(details)s.") % {"details": details})
    if result.missing:
        parts.append(
            ngettext(
                "%(count)d excerpt no longer exists.",
                "%(count)d excerpts no longer exist.",
                result.missing,
            )
            % {"count": result.missing}
        )
    return " ".join(parts)


# A coding's history


@vary_on_headers("HX-Request")
@require_GET
def review_history(request: HttpRequest, project_id: int, coding_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    seen = Coding.objects.filter(visible_codings(membership).q(), interview__project_id=project_id)
    if not seen.filter(pk=coding_id).exists():  # another project's, or hidden by a blind round
        raise Http404
    coding = reviewed_codings([coding_id])[0]
    context = {"project": membership.project, "membership": membership, "coding": coding}
    return render(request, fragments.template(request, HISTORY_TEMPLATE, "history"), context)


# "To revise": the coder's codings sent back


@vary_on_headers("HX-Request")
@require_GET
def to_revise(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    mine = QueryDict(f"status={Coding.Status.NEEDS_CHANGE}&coder={membership.user_id}")
    filters = read_filters(membership.project, mine, member=membership)
    page, codings = _page(filters, request.GET.get("page"), REVISE_ORDER)
    cards = [
        {"coding": coding, "path": filters.paths.get(coding.code_id, coding.code.name)}
        for coding in codings
    ]
    context = {
        "project": membership.project,
        "membership": membership,
        "page": page,
        "cards": cards,
        **permissions.abilities(membership),
    }
    return render(request, fragments.template(request, REVISE_TEMPLATE, "revise-results"), context)


@require_POST
def resubmit(request: HttpRequest, project_id: int, coding_id: int) -> HttpResponse:
    """Back to the review queue, with an optional `answer` to the reviewer."""
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    coding = _coding_for(membership, coding_id)
    answer = request.POST.get("answer", "")
    error = _attempt(request, workflow.resubmit, coding, membership, answer)
    message = error or _("Back in the review queue.")
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, message)
        return redirect(next_page(request, reverse("review:to-revise", args=[project_id])))
    filters = read_filters(membership.project, QueryDict(), member=membership)
    coding = next(iter(_excerpts(filters, [coding.pk])), None)
    if coding is None:
        return render(request, f"{TEMPLATE}#gone", {"coding_id": coding_id, "message": message})
    card = {
        "coding": coding,
        "path": filters.paths.get(coding.code_id, coding.code.name),
        "message": message,
        "error": bool(error),
        "answer": answer if error else "",
        "decided": True,
    }
    context = {
        "project": membership.project,
        "card": card,
        "count": workflow.revise_count(request.user, project_id),
        "oob": True,
    }
    card_html = render_to_string(
        f"{REVISE_TEMPLATE}#revise-card", {**context, "oob": False}, request
    )
    count_html = render_to_string(f"{REVISE_TEMPLATE}#revise-count", context)
    return HttpResponse(card_html + count_html)


@require_GET
def revise_badge(request: HttpRequest, project_id: int) -> HttpResponse:
    """The number of the user's codings to revise, for the project navigation (loaded lazily)."""
    membership = permissions.project_for(request.user, project_id)
    count = (
        workflow.revise_count(request.user, project_id)
        if permissions.can(membership, Action.CODE)
        else 0
    )
    context = {"project": membership.project, "count": count}
    return render(request, f"{REVISE_TEMPLATE}#revise-badge", context)
