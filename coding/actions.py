"""What each coding action does, and what it says: apply a code, change, remove, undo.

The workspace views (coding/views.py) authorise and validate, call one function here, and render
what it returns (an `Outcome`) with the paragraphs that changed (coding/workspace.py). The rules of
a coding themselves live in PostgreSQL, written once for every caller (migration coding 0010):
`coding_apply` applies a code, merging with the coder's touching codings of that code; the
`coding_back_to_review` trigger returns a changed coding to review.
"""

from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coding.audit import recorded_as, remove_alone, undo_last
from coding.codebook import next_color, next_position
from coding.forms import CODE_GONE
from coding.models import Code, Coding
from interviews.models import Interview
from verbatim.plain_sql import Prepared, batch


@dataclass
class Outcome:
    """What an action did, as the page must say it."""

    message: str
    error: bool = False
    code_ids: set[int] = field(default_factory=set)  # codes whose counts changed
    new_code: Code | None = None  # a code created by the action (in vivo): not on the page yet
    group: int | None = None  # the action group an undo of this action names
    label: str = ""  # what an undo of it would undo ("« Voisinage » applied to ‘Pis rien…’")
    then_rows: list | None = None  # the rows of each statement read along with the action


def _passage(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 40 else words[:39].rstrip() + "…"


def label(verb: str, code: str, text: str) -> str:
    """What an action did, short enough for the Undo button's side."""
    names = {"code": code, "text": _passage(text)}
    if verb == "apply":
        return _("« %(code)s » applied to ‘%(text)s’") % names
    if verb == "remove":
        return _("« %(code)s » removed from ‘%(text)s’") % names
    return _("« %(code)s » changed on ‘%(text)s’") % names


@dataclass(frozen=True)
class Applied:
    coding_id: int | None
    code_name: str | None
    outcome: str  # 'no code', 'created', 'merged' or 'already' (see coding_apply)
    group: int | None = None  # the action group of the change
    then_rows: list | None = None  # the rows of each of apply()'s `then` statements


# The group is drawn here rather than inside coding_apply, so that undo can name it. Prepared:
# planning it again on every apply cost 0.07 ms of its 0.5 (docs/benchmarks.md, issue 21).
APPLY = Prepared(
    "SELECT a.coding_id, a.code_name, a.outcome, g.id"
    " FROM (SELECT coalesce(%s::bigint, nextval('coding_action_group')) AS id) g,"
    " LATERAL coding_apply(%s, %s, %s, %s, %s, %s, g.id, %s) a"
)


def apply(
    interview: Interview,
    code_id: int,
    coder,
    start: int,
    end: int,
    *,
    group=None,
    actor=None,
    then: list[tuple[str, list]] | None = None,
) -> Applied:
    """Code [start, end) with the project's code `code_id` for `coder`: one statement, one action
    (or part of action `group`). A passage meeting the coder's codings of that code merges with them.
    With `actor`, someone else acts for the coder (a supervisor writing the consensus coder's
    codings): the audit trail and Ctrl+Z are the actor's. `then`: statements to run right after,
    in the same round trip, seeing the change (the workspace's events since its page's and what it
    expects to redraw); their rows are the result's `then_rows`."""
    actor = actor or coder
    applied = (
        APPLY,
        [group, actor.pk, interview.project_id, interview.pk, code_id, start, end, coder.pk],
    )
    rows, *then_rows = batch(applied, *(then or ()))
    return Applied(*rows[0], then_rows=then_rows if then else None)


def apply_each(interview: Interview, code_id: int, coder, ranges, *, group: int) -> list[str]:
    """`apply` for many passages of one interview, in order, as part of action `group`: each
    passage's outcome."""
    starts, ends = [start for start, _ in ranges], [end for _, end in ranges]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT outcome FROM coding_apply_each(%s, %s, %s, %s, %s, %s, %s)",
            [coder.pk, interview.project_id, interview.pk, code_id, starts, ends, group],
        )
        return [outcome for (outcome,) in cursor.fetchall()]


def apply_code(
    interview: Interview,
    user,
    *,
    code_id: int | None,
    new_code: str,
    start: int,
    end: int,
    then: list[tuple[str, list]] | None = None,
) -> Outcome:
    """The workspace's "apply": an existing code, or a new top-level one named `new_code` (in vivo),
    which exists only with its first coding. `then`: as apply()'s, their rows the outcome's."""
    created = None
    # The common apply is one statement, its own transaction: no BEGIN/COMMIT round trips.
    with transaction.atomic() if code_id is None else nullcontext():
        if code_id is None:
            code, is_new = _in_vivo_code(interview.project_id, new_code, user)
            code_id, created = code.pk, code if is_new else None
        applied = apply(interview, code_id, user, start, end, then=then)
    if applied.outcome == "no code":
        return Outcome(str(CODE_GONE), error=True, then_rows=applied.then_rows)
    name = {"code": applied.code_name}
    if applied.outcome == "already":
        message = _("Already coded « %(code)s ».") % name
    elif created:
        message = _("New code « %(code)s » applied.") % name
    else:
        message = _("« %(code)s » applied.") % name
    if applied.outcome == "already":
        return Outcome(message, code_ids={code_id}, then_rows=applied.then_rows)
    text = interview.text[start:end]
    return Outcome(
        message,
        code_ids={code_id},
        new_code=created,
        group=applied.group,
        label=label("apply", applied.code_name, text),
        then_rows=applied.then_rows,
    )


def _in_vivo_code(project_id: int, name: str, user) -> tuple[Code, bool]:
    """The top-level code with this name (any case), created if need be."""
    existing = Code.objects.filter(project_id=project_id, parent=None, name__iexact=name).first()
    if existing:
        return existing, False
    code = Code.objects.create(
        project_id=project_id,
        name=name,
        created_by=user,
        color=next_color(project_id, None),
        position=next_position(project_id, None),
    )
    return code, True


def change(
    coding: Coding, user, *, code: Code | None, start: int | None, end: int | None
) -> Outcome:
    """Another code and/or new boundaries for a coding, as one action. A reviewed coding goes back
    to review (the database's coding_back_to_review trigger)."""
    old_code = coding.code_id
    with recorded_as(user, interview_id=coding.interview_id) as group:
        if code is not None and code.pk != coding.code_id:
            coding.code = code
            coding.save(update_fields=["code", "updated_at"])
        if start is not None:
            coding.start, coding.end = start, end
            coding.save(update_fields=["start", "end", "updated_at"])
    coding.refresh_from_db(fields=["text", "status"])
    what = label("change", coding.code.name, coding.text)
    return Outcome(
        _("Coding changed."), code_ids={old_code, coding.code_id}, group=group, label=what
    )


def remove_coding(coding: Coding, user, then: list[tuple[str, list]] | None = None) -> Outcome:
    """The workspace's "remove"; `then`: as apply()'s, their rows the outcome's."""
    text = coding.text
    group, memos, then_rows = remove_alone(coding, user, then or ())
    names = {"code": coding.code.name, "count": memos}
    if memos:
        message = ngettext(
            "Coding « %(code)s » and its memo removed. Undo with Ctrl+Z.",
            "Coding « %(code)s » and its %(count)d memos removed. Undo with Ctrl+Z.",
            memos,
        )
    else:
        message = _("Coding « %(code)s » removed. Undo with Ctrl+Z.")
    what = label("remove", coding.code.name, text)
    return Outcome(
        message % names,
        code_ids={coding.code_id},
        group=group,
        label=what,
        then_rows=then_rows if then else None,
    )


def undo(interview: Interview, user, group: int | None = None) -> Outcome:
    """Undo action `group` of the user in this interview (the workspace's tab names its own last
    one), or without a group the user's last one; the message says what was undone."""
    result = undo_last(user, interview.pk, group=group)
    if result is None:
        return Outcome(_("Nothing to undo."), error=True)
    if result.conflicts:
        message = _("Partly undone: some codings had changed since, or their code was deleted.")
        return Outcome(message, error=True)
    return Outcome(_("Undone: %(what)s.") % {"what": _describe(interview, result.events)})


def _describe(interview: Interview, events) -> str:
    """The label of the action these audit events make up (its first coding)."""
    first = events[0]
    row = first.after or first.before
    verb = {"create": "apply", "delete": "remove"}.get(first.action, "change")
    code = Code.objects.filter(pk=row["code_id"]).values_list("name", flat=True).first() or "?"
    return label(verb, code, interview.text[row["start"] : row["end"]])
