"""Who did what to codings, and undoing it.

The trigger of migrations coding 0002/0003 writes one CodingEvent per inserted, changed or deleted
coding. `recorded_as` tells it who acts and opens an action group: every coding touched inside one
`with recorded_as(user):` block is one action, which `undo_last` reverts as a whole.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery

from coding.models import Code, Coding, CodingEvent, Memo, ReviewEvent, TextChange
from interviews.models import Interview
from verbatim.plain_sql import Prepared, batch

INTERVIEW_LOCK = 7301  # first key of the advisory locks that order an interview's writers

# Fields an undo restores; `text` is the database's own snapshot and follows start and end.
RESTORED = ("interview_id", "code_id", "coder_id", "start", "end", "status")


@contextmanager
def recorded_as(
    user,
    *,
    interview_id: int | None = None,
    undo_of: int | None = None,
    group: int | None = None,
    undoable: bool = True,
):
    """A transaction whose coding changes are recorded as one action by `user`; yields its group.

    The actor and group travel to the trigger as transaction-local settings, so they cannot leak to
    the next request on a reused connection. With `interview_id`, writers of that interview take
    turns (a transaction-level advisory lock): its audit events then commit in the order of their
    ids, which is what lets the workspace poll "events after N" without ever skipping one.
    With `group` (yielded by an enclosing block), the changes join that action: "code all search
    results" writes each interview in its own nested block, as one action that one undo reverts.
    `undoable=False` records changes without a group, out of Ctrl+Z's reach: review decisions have
    their own history (review.workflow), which an undo of the status alone would contradict.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(*_settings(user, interview_id, undo_of, group, undoable))
            group = cursor.fetchone()[1]
        yield int(group) if group else None


def _settings(user, interview_id, undo_of, group, undoable) -> tuple[str, list]:
    """recorded_as's statement: the actor, the group (its second column) and the undone group as
    transaction-local settings, and the interview's writer lock."""
    return (
        "SELECT set_config('verbatim.actor_id', %s, true),"
        " set_config('verbatim.group', CASE WHEN %s THEN"
        " coalesce(%s::bigint, nextval('coding_action_group'))::text ELSE '' END, true),"
        " set_config('verbatim.undo_of', %s, true),"
        # One round trip on the hot path: the interview's lock goes with the settings.
        " CASE WHEN %s::bigint IS NULL THEN NULL"
        " ELSE pg_advisory_xact_lock(%s, %s::bigint::int) END",
        [
            str(user.pk),
            undoable,
            group,
            "" if undo_of is None else str(undo_of),
            interview_id,
            INTERVIEW_LOCK,
            interview_id,
        ],
    )


# What a removal keeps of the coding's memos and review events, to restore them as they were.
KEPT = {
    "memos": (Memo, ("id", "project_id", "author_id", "body", "updated_at", "created_at")),
    "reviews": (ReviewEvent, ("id", "reviewer_id", "status", "comment", "undo", "created_at")),
}


def _removal() -> str:
    """One statement that deletes a coding with every row that points at it (its memos, review
    events and text changes: the models with a foreign key to Coding; a new one must join them,
    or the deferred foreign key check refuses the removal at commit) and returns what KEPT keeps,
    as JSON with ISO dates to the microsecond. One round trip where Django's cascade took six.
    Every parameter is the coding's id (`_removal_params`)."""
    kept = [
        f"(SELECT coalesce(jsonb_agg(jsonb_build_object({_pairs(fields)}) ORDER BY id), '[]')"
        f" FROM {name})"
        for name, (_model, fields) in KEPT.items()
    ]
    ctes = [
        f"{name} AS (DELETE FROM {model._meta.db_table} WHERE coding_id = %s"
        f" RETURNING {', '.join(fields)})"
        for name, (model, fields) in KEPT.items()
    ]
    # What it keeps is also left in a transaction-local setting, for KEEP (remove_alone).
    return (
        f"WITH {', '.join(ctes)},"
        f" changes AS (DELETE FROM {TextChange._meta.db_table} WHERE coding_id = %s),"
        f" gone AS (DELETE FROM {Coding._meta.db_table} WHERE id = %s),"
        f" kept (memos, reviews) AS (SELECT {', '.join(kept)})"
        " SELECT memos, reviews,"
        " set_config('verbatim.kept', jsonb_build_array(memos, reviews)::text, true) FROM kept"
    )


def _pairs(fields) -> str:
    return ", ".join(f"'{field}', {field}" for field in fields)


def remove(coding: Coding) -> int:
    """Delete a coding inside recorded_as(). Its memos and review history go with it, kept on its
    audit event so that undo_last brings them back too. The number of memos removed."""
    with connection.cursor() as cursor:
        cursor.execute(REMOVAL, _removal_params(coding.pk))
        memos = json.loads(cursor.fetchone()[0])
        cursor.execute(KEEP, [coding.pk])
    return len(memos)


# Prepared, as KEEP: planning the two again on every removal cost 0.25 ms of its 0.67
# (docs/benchmarks.md, issue 21).
REMOVAL = Prepared(_removal())


def _removal_params(coding_id: int) -> list[int]:
    return [coding_id] * REMOVAL.count("%s")


# The removal's audit event (the trigger wrote it as the removal ended) keeps what the removal
# left in 'verbatim.kept', when there is anything.
KEEP = Prepared(f"""
    UPDATE {CodingEvent._meta.db_table} e SET memos = kept.value -> 0, reviews = kept.value -> 1
      FROM (SELECT current_setting('verbatim.kept')::jsonb AS value) kept
     WHERE e.id = (SELECT max(id) FROM {CodingEvent._meta.db_table}
                    WHERE coding_id = %s AND action = '{CodingEvent.Action.DELETE}')
       AND kept.value <> '[[], []]'::jsonb
    RETURNING e.id""")


def remove_alone(coding: Coding, user, then=()) -> tuple[int | None, int, list]:
    """remove() as an action of its own by `user` (recorded_as), in one round trip: the settings
    and the interview's lock, the removal, and what it keeps on its audit event, one transaction;
    then the statements `then` (reads seeing the removal: what the page redraws). The action's
    group, the number of memos removed, and the rows of each statement of `then`."""
    settings, removed, _, *then_rows = batch(
        _settings(user, coding.interview_id, None, None, True),
        (REMOVAL, _removal_params(coding.pk)),
        (KEEP, [coding.pk]),
        *then,
    )
    group, memos = settings[0][1], json.loads(removed[0][0])
    return (int(group) if group else None), len(memos), then_rows


def lock_interviews(interview_ids) -> None:
    """Take the writer lock of each interview (see recorded_as), in id order, so that two actions
    spanning several interviews never wait for each other in a cycle."""
    with connection.cursor() as cursor:
        for interview_id in sorted(set(interview_ids)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s::bigint::int)", [INTERVIEW_LOCK, interview_id]
            )


def last_undoable_group(user, interview_id: int, group: int | None = None) -> int | None:
    """The group of the user's latest action in this interview that is neither an undo nor undone,
    nor made on an older text of it (before a correction: `Interview.undo_floor`); with `group`:
    that one, if it is such an action."""
    undone = CodingEvent.objects.filter(undo_of__isnull=False).values("undo_of")
    floor = Interview.objects.filter(pk=interview_id).values("undo_floor")
    events = CodingEvent.objects.filter(interview_id=interview_id, actor=user, undo_of__isnull=True)
    if group is not None:
        events = events.filter(group=group)
    event = (
        events.filter(id__gt=Subquery(floor))
        .exclude(group__isnull=True)
        .exclude(group__in=undone)
        .order_by("-id")
        .only("group")
        .first()
    )
    return event.group if event else None


@dataclass
class UndoResult:
    events: list[CodingEvent]  # what was reverted, oldest first
    conflicts: int = 0  # changes that could not be reverted (the coding or its code is gone)


def undo_last(user, interview_id: int, group: int | None = None) -> UndoResult | None:
    """Revert the user's last coding action in the interview (or action `group`, if it is one of
    theirs there and not undone yet), as a new action; None if there is none."""
    group = last_undoable_group(user, interview_id, group)
    if group is None:
        return None
    return undo_group(user, group, interview_id)


def undo_group(user, group: int, interview_id: int | None = None) -> UndoResult:
    """Revert the action `group`, as a new action of `user` (the caller decides they may: its
    actor, or a consensus decision's supervisor in agreement/consensus.py)."""
    # An event made on a text since corrected would put its coding on the wrong characters.
    floor = Interview.objects.filter(pk=OuterRef("interview_id")).values("undo_floor")
    events = list(
        CodingEvent.objects.filter(group=group).annotate(floor=Subquery(floor)).order_by("id")
    )
    result = UndoResult(events)
    with recorded_as(user, undo_of=group):
        # A "code all search results" action spans interviews: each one's pollers need its lock.
        touched = {e.interview_id for e in events if e.interview_id}
        lock_interviews(touched | ({interview_id} if interview_id else set()))
        for event in reversed(events):
            try:
                with transaction.atomic():
                    if not _revert(event, user):
                        result.conflicts += 1
            except IntegrityError:
                result.conflicts += 1
    return result


def _revert(event: CodingEvent, user) -> bool:
    """Put the coding back as it was before `event`; False when that is no longer possible."""
    if event.floor is not None and event.id <= event.floor:
        return False
    if event.action == CodingEvent.Action.CREATE:
        return Coding.objects.filter(pk=event.coding_id).delete()[0] > 0
    before = {field: event.before[field] for field in RESTORED}
    if not Code.objects.filter(pk=before["code_id"]).exists():
        return False
    if event.action == CodingEvent.Action.DELETE:
        Coding.objects.create(pk=event.coding_id, **before)  # same id: links to it still fit
        _restore(event)
        return True
    # An update: restore only what this action changed, so a later review decision survives.
    changed = {f: v for f, v in before.items() if event.after.get(f) != v}
    if not Coding.objects.filter(pk=event.coding_id).update(**changed):
        return False
    if "status" in changed:  # the change had sent it back to review: its history says it came back
        ReviewEvent.objects.create(
            coding_id=event.coding_id, reviewer=user, status=changed["status"], undo=True
        )
    return True


def restore_removed(
    event: CodingEvent, user, *, start: int, end: int, review: bool = True
) -> Coding:
    """Bring back a coding `remove()` removed, with its id, memos and review history, on the passage
    [start, end). With `review`, what the passage says now was not reviewed: it waits for review."""
    before = {field: event.before[field] for field in RESTORED} | {"start": start, "end": end}
    reviewed = review and before["status"] != Coding.Status.PENDING
    if reviewed:
        before["status"] = Coding.Status.PENDING
    coding = Coding.objects.create(pk=event.coding_id, **before)
    _restore(event)
    if reviewed:
        ReviewEvent.objects.create(coding=coding, reviewer=user, status=Coding.Status.PENDING)
    return coding


def _restore(event: CodingEvent) -> None:
    """Bring back what remove() kept of a coding, with the same ids and dates."""
    for name, (model, _fields) in KEPT.items():
        for row in getattr(event, name) or []:
            dates = {f: v for f, v in row.items() if f.endswith("_at")}
            fields = {f: v for f, v in row.items() if f not in dates}
            model.objects.create(coding_id=event.coding_id, **fields)
            # As they were: create() would stamp them with the time of the undo.
            model.objects.filter(pk=row["id"]).update(**dates)
