"""The coding workspace: an interview's transcript with its codings, and every change to them.

Each action answers with out-of-band fragments only (its forms use hx-swap="none"): the status line,
the paragraphs whose highlights changed since the page's `since` event (whoever changed them), the
counts of the codes involved, and the new `since`.
"""

import json
from collections import Counter
from html import escape

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.crypto import get_random_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from coding import actions, page, visibility, workspace
from coding.codebook import code_paths, fold
from coding.forms import ApplyCodeForm, UpdateCodingForm
from coding.models import Code, Coding, ReviewEvent, TextChange
from interviews import permissions, recordings
from interviews.models import Recording
from interviews.permissions import Action
from verbatim import fragments, plain_sql
from verbatim.options import option_list

TEMPLATE = "coding/workspace.html"
SHORTCUTS = 9
USAGE_WINDOW = 500
# How far _lately first looks: 0.6 ms at most (10,000 codings took 1 ms when they held fewer than
# the window; MERGE then answers in about 1.4 ms more), far enough for a researcher who coded a few
# thousand times elsewhere since (2,000 was not, at S: the long interview's 1,666 codings).
RECENT_WALK = 10 * USAGE_WINDOW


def _state(request: HttpRequest) -> tuple[int, workspace.CoderFilter]:
    """The page's `since` event and coder filter, sent along with every workspace request."""
    data = request.POST if request.method == "POST" else request.GET
    since = data.get("since", "")
    return (int(since) if since.isdigit() else 0), workspace.CoderFilter.parse(data.get("coders"))


def _lately(user_id: int, code_ids: list[int]) -> list[int]:
    """The codes of the user's last USAGE_WINDOW codings of `code_ids` (a project's), newest first.

    Usually the project is where the user coded last, and walking their codings newest first
    (index coding_coder_recent, which holds the code) finds the window at once. But a user who has
    since coded much in another project would walk all of that first (at M, the bench's researcher
    has 255,000 newer codings in L: 5.8 ms). So the walk stops after RECENT_WALK codings; only if it
    found fewer than the window there are the newest codings of each code merged (MERGE). Both give
    the same window: a full one from the walk skipped no coding of the project newer than its last.
    """
    # The codes as a bigint array, as the column: PostgreSQL then looks each row's up in a hash of
    # them, where a smallint array (what psycopg picks for small numbers) is compared item by item.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code_id FROM (SELECT code_id FROM coding_coding WHERE coder_id = %s"
            " ORDER BY created_at DESC LIMIT %s) k WHERE code_id = ANY(%s::bigint[]) LIMIT %s",
            [user_id, RECENT_WALK, code_ids, USAGE_WINDOW],
        )
        lately = [code_id for (code_id,) in cursor.fetchall()]
        if len(lately) == USAGE_WINDOW:
            return lately
        parameters = {
            "codes": code_ids,
            "user": user_id,
            "first": FIRST_LOOK,
            "window": USAGE_WINDOW,
        }
        cursor.execute(MERGE, parameters)
        return [code_id for (code_id,) in cursor.fetchall()]


# The newest USAGE_WINDOW codings of the user among several codes (index coding_coder_code_recent:
# coder, code, newest first), without reading the whole window of every code. First each code's
# newest FIRST_LOOK; `cutoff` is the moment of the window's last among them. A code whose FIRST_LOOK
# all lie in that window ("fuller") may have more there, so it is read again down to the cutoff;
# any other code's older codings are older than the cutoff, so the window stays exact. At M (58
# codes, the bench's researcher) 1.4 ms where reading up to the window's size of each code took 2.5.
FIRST_LOOK = 20
MERGE = """
WITH first AS MATERIALIZED (
  SELECT k.code_id, k.created_at FROM unnest(%(codes)s::bigint[]) c(id) CROSS JOIN LATERAL
    (SELECT code_id, created_at FROM coding_coding WHERE coder_id = %(user)s AND code_id = c.id
      ORDER BY created_at DESC LIMIT %(first)s) k
), cutoff AS MATERIALIZED (
  SELECT coalesce((SELECT created_at FROM first ORDER BY created_at DESC
                   OFFSET %(window)s - 1 LIMIT 1), '-infinity') AS at
), fuller AS MATERIALIZED (
  SELECT code_id FROM first GROUP BY code_id
  HAVING count(*) = %(first)s AND min(created_at) >= (SELECT at FROM cutoff)
)
SELECT code_id FROM (
  SELECT code_id, created_at FROM first WHERE code_id NOT IN (SELECT code_id FROM fuller)
  UNION ALL
  SELECT k.code_id, k.created_at FROM fuller CROSS JOIN LATERAL
    (SELECT code_id, created_at FROM coding_coding WHERE coder_id = %(user)s
        AND code_id = fuller.code_id AND created_at >= (SELECT at FROM cutoff)
      ORDER BY created_at DESC LIMIT %(window)s) k
) window_ ORDER BY created_at DESC LIMIT %(window)s
"""


def _choices(request: HttpRequest, paths: list[tuple[Code, str]]) -> dict:
    """The popover's codes (`paths`, the project's: coding.codebook.code_paths): shortcuts 1–9
    first, in digit order, on the codes the user applied most in their last USAGE_WINDOW codings of
    the project (stable while they work, unlike recency, and cheap however much they coded before:
    _lately), then the whole codebook."""
    lately = _lately(request.user.pk, [code.pk for code, _ in paths])
    position = {code.pk: i for i, (code, _) in enumerate(paths)}
    uses = Counter(lately)
    shortcut_ids = sorted(uses, key=lambda code_id: (-uses[code_id], position[code_id]))
    shortcut_ids = shortcut_ids[:SHORTCUTS]
    shortcut_ids += [c.pk for c, _ in paths if c.pk not in shortcut_ids][
        : SHORTCUTS - len(shortcut_ids)
    ]
    return {
        "choice_items": _choice_items(paths, shortcut_ids),
        # The stripes' code menu.
        "code_options": option_list(((code.pk, code.name) for code, _ in paths), ()),
    }


CHOICE = (
    '<li role="option" aria-selected="false" id="choice-{group}-{pk}" class="{group}" '
    'data-code="{pk}" data-name="{search}" data-leaf="{name}"{digit}>'
    '<span class="swatch c-{pk}" aria-hidden="true"></span><span class="code-path">{path}</span>'
    "{kbd}</li>"
)


def _choice_items(paths: list[tuple[Code, str]], shortcut_ids: list[int]) -> SafeString:
    """The popover's options: the shortcuts, each with its digit ("Voisinage courtois 1"), then
    every code. Written here: 130 options through a template partial cost 2–3 ms a page."""
    by_id = {code.pk: (code, path) for code, path in paths}
    items = [
        _choice("shortcut", *by_id[code_id], digit=n)
        for n, code_id in enumerate(shortcut_ids, start=1)
    ]
    items += [_choice("all", code, path) for code, path in paths]
    return mark_safe("".join(items))  # noqa: S308 -- _choice escapes every value


def _choice(group: str, code: Code, path: str, digit: int | None = None) -> str:
    return CHOICE.format(
        group=group,
        pk=code.pk,
        search=escape(fold(path)),
        name=escape(code.name),
        path=escape(path),
        digit=f' data-shortcut="{digit}"' if digit else "",
        kbd=f"<kbd>{digit}</kbd>" if digit else "",
    )


def _colors_link(project) -> str:
    """The code stylesheet's link again, with a new version: a code was created or recoloured."""
    context = {"project": project, "version": get_random_string(8), "oob": True}
    return render_to_string("base.html#code-colors", context)


def _respond(
    request,
    interview,
    seen: visibility.Visibility,
    outcome: actions.Outcome | None = None,
    *,
    extra="",
    changes: workspace.Changes | None = None,
    codes_changed=False,
    expected: workspace.Expected | None = None,
):
    """Everything the page must redraw after an action, out of band (see the module docstring).

    Without an `outcome`, the status line stays as it is. `seen` is the view's own
    `visibility.interview_for`'s: read once per request. `expected`: the reads the action sent
    along (workspace.expect), its `then_rows` after the events.
    """
    since, coders = _state(request)
    changed = frozenset(outcome.code_ids if outcome else ())
    changes = changes or workspace.changes_since(
        interview,
        since,
        request.user,
        coders,
        seen=seen,
        also_count=changed,
        events=outcome.then_rows[0] if outcome and outcome.then_rows else None,
        expected=expected,
    )
    context = {"since": changes.since, "oob": True}
    parts = [*changes.paragraphs, extra, render_to_string(f"{TEMPLATE}#since", context)]
    if outcome is not None:
        status = {"message": outcome.message, "error": outcome.error, "oob": True}
        parts.insert(0, render_to_string(f"{TEMPLATE}#status", status))
    code_ids = changes.code_ids | changed
    counted = (
        changes.counts
        if changes.counts is not None and code_ids <= changes.counted
        else workspace.counted_codes(interview.project_id, interview.pk, code_ids, seen=seen)
    )
    for code in counted:
        count_context = {"code": code, "interview": interview, "oob": True}
        parts.append(render_to_string("coding/codebook.html#code-count", count_context))
    response = HttpResponse("".join(parts))
    if outcome is not None and outcome.group is not None:
        # The tab keeps it, to undo its own actions only (static/coding/workspace.js).
        trigger_client_event(
            response, "coding-done", {"group": outcome.group, "label": outcome.label}
        )
    if codes_changed:
        # The codebook sidebar reloads itself on "codebook-stale"; "codes-changed" is what the
        # codebook's own editing sends, on which this page only refreshes its code list and colours.
        trigger_client_event(response, "codebook-stale")
        trigger_client_event(response, "codes-changed")
    return response


def _redraw_reads(request, interview, seen, start: int, end: int, code_id: int | None):
    """The reads of an action's redraw, to send with the action: the events since the page's, then
    the paragraphs and count the action on [start, end) with `code_id` is expected to change
    (workspace.expect; read again only if the events say otherwise)."""
    since, coders = _state(request)
    expected = workspace.expect(
        interview,
        request.user,
        coders,
        seen=seen,
        ranges=[(start, end)],
        code_ids=[code_id] if code_id else [],
    )
    return [workspace.events_query(interview, since), *expected.statements], expected


def _refused(request, interview, seen, form) -> HttpResponse:
    outcome = actions.Outcome(form.non_field_errors()[0], error=True)
    return _respond(request, interview, seen, outcome)


# The coding an action is about, with its code (the messages name it). Plain SQL: an action's hot
# path (as coding/workspace.py's), read in the round trip that checks the membership.
CODING = plain_sql.Prepared(
    f"SELECT {plain_sql.columns(Coding, 'k')}, {plain_sql.columns(Code, 'c')}"
    " FROM coding_coding k JOIN coding_code c ON c.id = k.code_id"
    " WHERE k.id = %s AND k.interview_id = %s"
)


def _coding_read(request, project_id: int, interview_id: int, coding_id: int) -> list:
    """What an action on one coding reads with the membership (visibility.reads_along)."""
    return [(CODING, [coding_id, interview_id])]


def _with_coding(request, project_id: int, interview_id: int, coding_id: int):
    """visibility.interview_for for an action on one coding, and that coding, in one round trip
    (with the session's: the views declare it, visibility.reads_along). A coding the member may
    not see does not exist for them (404); one they may not change, 403."""
    membership, interview, seen, (rows,) = visibility.interview_with(
        request.user,
        project_id,
        interview_id,
        Action.CODE,
        also=_coding_read(request, project_id, interview_id, coding_id),
    )
    coding, code = plain_sql.instances(rows[0], Coding, Code) if rows else (None, None)
    if coding is None or not seen.shows(coding.interview_id, coding.coder_id):
        raise Http404
    coding.code, coding.interview = code, interview
    permissions.require_coding_change(membership, coding)
    return membership, interview, seen, coding


def _cues(interview) -> list[recordings.Cue] | None:
    """The interview's timeline when it has a recording to play (None without one)."""
    if not Recording.objects.filter(interview=interview).exists():
        return None
    return recordings.timeline([interview.pk])[interview.pk]


def _cards(membership, interview, codings, codes: list[tuple[Code, str]]) -> list[dict]:
    """What the inspector shows of each coding; `codes` are the project's, with their paths."""
    paths = {code.pk: path for code, path in codes}
    cues = _cues(interview)
    return [
        {
            "coding": coding,
            "path": paths.get(coding.code_id, coding.code.name),
            "can_change": permissions.can_change_coding(membership, coding),
            "steps": workspace.word_steps(interview.text, coding.start, coding.end),
            "last_review": coding.latest_reviews[-1] if coding.latest_reviews else None,
            "play": recordings.passage_times(cues, coding.start, coding.end) if cues else None,
        }
        for coding in codings
    ]


def _inspected(interview, ids, seen: visibility.Visibility):
    reviews = ReviewEvent.objects.select_related("reviewer").order_by("created_at")
    return (
        Coding.objects.filter(seen.q(), interview=interview, pk__in=ids)
        .select_related("code", "coder")
        .prefetch_related(
            Prefetch("reviews", queryset=reviews, to_attr="latest_reviews"),
            # Words a correction of the transcript changed, not yet checked (corrections/).
            Prefetch(
                "text_changes",
                queryset=TextChange.objects.filter(seen_at=None),
                to_attr="open_changes",
            ),
        )
        .order_by("start", "end", "id")
    )


# Pages


@vary_on_headers("HX-Request")
@require_GET
def interview_workspace(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview, seen = visibility.interview_for(request.user, project_id, interview_id)
    coders = workspace.CoderFilter.parse(request.GET.get("coders"))
    fragment = fragments.asked(request)
    reads = page.read(interview, request.user, coders, seen, whole_page=not fragment)
    context = {
        "project": membership.project,
        "membership": membership,
        "interview": interview,
        "turns": reads.transcript,
        "since": reads.since,
        "coders": coders.value,
        "blind": interview.pk in seen.blind,  # a blind coding round's: say why others' are hidden
        "recording": reads.recording,
        "coder_choices": reads.coders,
        **permissions.abilities(membership),
    }
    if fragment:
        return render(request, f"{TEMPLATE}#transcript", context)
    context.update(attribute_values=reads.attribute_values, **_choices(request, reads.paths))
    if reads.recording:
        context["cues"] = json.dumps([[c.start, c.end, c.time, c.until] for c in reads.cues])
    context["max_recording"] = settings.VERBATIM_MAX_RECORDING_BYTES
    return render(request, TEMPLATE, context)


@require_GET
def code_choices(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    """After the codebook changed: the popover's code list, the colours, and the highlights that a
    merge or a deletion changed."""
    membership, interview, seen = visibility.interview_for(request.user, project_id, interview_id)
    context = {
        **_choices(request, code_paths(project_id)),
        "oob": True,
    }
    extra = render_to_string(f"{TEMPLATE}#code-choices", context)
    extra += _colors_link(membership.project)
    return _respond(request, interview, seen, extra=extra)


@require_GET
def changes(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    """Light polling: others' new codings, out of band; 204 when nothing changed."""
    _, interview, seen = visibility.interview_for(request.user, project_id, interview_id)
    since, coders = _state(request)
    found = workspace.changes_since(interview, since, request.user, coders, seen=seen)
    if not found.paragraphs:
        return HttpResponse(status=204)
    return _respond(request, interview, seen, changes=found)


@require_GET
def inspect_codings(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview, seen = visibility.interview_for(request.user, project_id, interview_id)
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()]
    codes = code_paths(project_id)
    context = {
        "project": membership.project,
        "interview": interview,
        "cards": _cards(
            membership,
            interview,
            _inspected(interview, ids, seen),
            codes,
        ),
        "codes": codes,
    }
    return render(request, f"{TEMPLATE}#inspector", context)


# Actions


@require_POST
def apply_code(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview, seen = visibility.interview_for(
        request.user, project_id, interview_id, Action.CODE
    )
    form = ApplyCodeForm(request.POST, interview=interview)
    if not form.is_valid():
        return _refused(request, interview, seen, form)
    data = form.cleaned_data
    then, expected = _redraw_reads(
        request, interview, seen, data["start"], data["end"], data["code"]
    )
    outcome = actions.apply_code(
        interview,
        request.user,
        code_id=data["code"],
        new_code=data["new_code"],
        start=data["start"],
        end=data["end"],
        then=then,
    )
    expected.rows = outcome.then_rows[1:]
    extra = _colors_link(membership.project) if outcome.new_code else ""  # its colour is new
    return _respond(
        request,
        interview,
        seen,
        outcome,
        extra=extra,
        codes_changed=outcome.new_code is not None,
        expected=expected,
    )


@require_POST
@visibility.reads_along(_coding_read)
def update_coding(
    request: HttpRequest, project_id: int, interview_id: int, coding_id: int
) -> HttpResponse:
    membership, interview, seen, coding = _with_coding(request, project_id, interview_id, coding_id)
    form = UpdateCodingForm(request.POST, interview=interview)
    if not form.is_valid():
        return _refused(request, interview, seen, form)
    data = form.cleaned_data
    outcome = actions.change(
        coding, request.user, code=data["code"], start=data["start"], end=data["end"]
    )
    codes = code_paths(project_id)
    inspected = _inspected(interview, [coding.pk], seen)
    card = _cards(membership, interview, inspected, codes)[0]
    extra = render_to_string(
        f"{TEMPLATE}#coding-card",
        {
            "card": card,
            "codes": codes,
            "project": membership.project,
            "interview": interview,
            "oob": True,
        },
        request,
    )
    return _respond(request, interview, seen, outcome, extra=extra)


@require_POST
@visibility.reads_along(_coding_read)
def remove_coding(
    request: HttpRequest, project_id: int, interview_id: int, coding_id: int
) -> HttpResponse:
    membership, interview, seen, coding = _with_coding(request, project_id, interview_id, coding_id)
    then, expected = _redraw_reads(
        request, interview, seen, coding.start, coding.end, coding.code_id
    )
    outcome = actions.remove_coding(coding, request.user, then=then)
    expected.rows = outcome.then_rows[1:]
    extra = f'<div id="coding-card-{coding_id}" hx-swap-oob="delete"></div>'
    return _respond(request, interview, seen, outcome, extra=extra, expected=expected)


@require_POST
def undo(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    _, interview, seen = visibility.interview_for(
        request.user, project_id, interview_id, Action.CODE
    )
    group = request.POST.get("group", "")
    outcome = actions.undo(interview, request.user, int(group) if group.isdigit() else None)
    return _respond(request, interview, seen, outcome)
