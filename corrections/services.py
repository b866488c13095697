"""Correcting an interview's text after it was coded, without losing what points into it.

`correct()` replaces the text and, in the same transaction, moves everything that points into it
through a character diff (corrections/anchoring.py):

- a coding whose words are untouched moves with them (same characters, review decision kept);
- a coding whose words were partly edited keeps the mapped span, is flagged (`coding.TextChange`:
  old and new wording, for its coder and supervisors), and returns to review if it was reviewed
  (the database's `coding_review_on_change` trigger: its words changed);
- a coding whose words were all deleted is removed like any other (memos and review history kept on
  its audit event) and listed as `coding.DetachedCoding`, for its coder to place again or let go;
- turns and time marks (a recording's cues) move or, emptied, go; memos follow their codings; the
  search lines are indexed again (a trigger, migration interviews 0009).

Each correction is a new `TextVersion` (who, when, why) and remembers where every coding and turn
was in the version it replaces, so that `restore()` puts them back exactly. Corrections are out of
Ctrl+Z's reach (an undo would move codings on a text that changed under them): `Interview.undo_floor`
stops undo at the correction; restoring a version is how one goes back.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from coding.audit import recorded_as, remove, restore_removed
from coding.models import (
    CONTEXT_CHARS,
    Coding,
    CodingEvent,
    CodingRound,
    DetachedCoding,
    TextChange,
)
from corrections.anchoring import TextMap
from corrections.models import TextVersion
from interviews.models import Interview, TimeMark, Turn, text_checksum
from interviews.transcripts import parse_turns

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # what a broken paste leaves (category Cs)


class Refused(Exception):
    """A correction that cannot be saved; `message` says why, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Stale(Refused):
    """Someone saved another correction of this interview meanwhile."""


@dataclass
class Outcome:
    version: TextVersion
    moved: int = 0  # codings whose words only moved
    changed: list[TextChange] = field(default_factory=list)
    detached: list[DetachedCoding] = field(default_factory=list)
    turns_removed: int = 0


# --- Checks -----------------------------------------------------------------------------------


def checked_text(text: str) -> str:
    """The text as it will be stored (one newline convention), or Refused with the reason."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise Refused(_("The text contains a NUL character, which cannot be stored."))
    if LONE_SURROGATE.search(text):
        raise Refused(_("The text contains broken characters (lone surrogates): paste it again."))
    if not text.strip():
        raise Refused(_("A correction cannot empty the interview: delete the interview instead."))
    return text


def _locked(interview: Interview, expected_version: int, *, in_round: bool = False) -> Interview:
    """The interview, locked for this transaction, if nobody corrected it since the page was read
    and no open coding round compares codings on it (unless `in_round`)."""
    locked = Interview.objects.select_for_update().get(pk=interview.pk)
    if not in_round and CodingRound.objects.filter(interviews=locked, closed_at=None).exists():
        # Each coder's passages would move through the diff while the others' stay put in their
        # heads: the figures would compare codings of two different texts.
        raise Refused(
            _(
                "A blind coding round is open on this interview: its text can be corrected once "
                "the round is closed (Agreement page)."
            )
        )
    if locked.text_version != expected_version:
        raise Stale(
            _(
                "Someone saved another correction of this interview meanwhile (version %(version)s)."
                " Your text is kept below: compare it with the current one and save again."
            )
            % {"version": locked.text_version}
        )
    return locked


# --- Correcting ---------------------------------------------------------------------------------


def correct(
    interview: Interview,
    user,
    text: str | None,
    *,
    reason: str = "",
    expected_version: int,
    edits: list[tuple[int, int, str]] | None = None,
    in_round: bool = False,
    keep_previous: bool = True,
) -> Outcome:
    """Replace the interview's text with `text`, re-anchoring everything (see the module docstring).

    With `edits` ([start, end) of the current text replaced by a string), the text is those edits
    applied, and no diff is needed to know what moved. `in_round` allows it while a blind round is
    open on the interview (a pseudonymisation: names change, not what anyone coded). Without
    `keep_previous`, the text replaced is not recorded as a version one can restore: for a
    pseudonymisation, which purges it anyway (it holds the name)."""
    with recorded_as(user, interview_id=interview.pk, undoable=False):
        locked = _locked(interview, expected_version, in_round=in_round)
        if edits is not None:
            mapping = TextMap.from_edits(locked.text, edits)
            text = mapping.new
        text = checked_text(text)
        if text == locked.text:
            raise Refused(_("Nothing changed: the text is the same."))
        if edits is None:
            mapping = TextMap(locked.text, text)
        version = _new_version(locked, user, text, reason=reason, keep_previous=keep_previous)
        outcome = Outcome(version)
        outcome.turns_removed = _move_spans(Turn, locked, mapping)
        _move_spans(TimeMark, locked, mapping)
        _move_codings(locked, mapping, user, outcome)
    _sync(interview, locked)
    return outcome


def restore(interview: Interview, user, number: int, *, expected_version: int) -> Outcome:
    """A new version with the text of version `number`: its codings and turns go back where they
    were in it; codings made since move through the diff like in any correction."""
    with recorded_as(user, interview_id=interview.pk, undoable=False):
        locked = _locked(interview, expected_version)
        target = TextVersion.objects.filter(interview=locked, number=number).first()
        if target is None or target.anchors is None:
            raise Refused(
                _("There is no earlier version %(number)s to restore.") % {"number": number}
            )
        reason = _("Restored version %(number)s.") % {"number": number}
        mapping = TextMap(locked.text, target.text)
        version = _new_version(locked, user, target.text, reason=reason, restores=number)
        outcome = Outcome(version)
        _restore_turns(locked, target.anchors["turns"])
        _restore_marks(locked, target.anchors.get("marks", []))
        _move_codings(locked, mapping, user, outcome, exact=_int_keys(target.anchors["codings"]))
        _reattach(locked, user, target, outcome)
    _sync(interview, locked)
    return outcome


def _sync(interview: Interview, locked: Interview) -> None:
    """The caller's instance sees the corrected text."""
    for name in ("text", "text_length", "checksum", "word_count", "text_version", "undo_floor"):
        setattr(interview, name, getattr(locked, name))


def _int_keys(anchors: dict) -> dict[int, list[int]]:
    return {int(pk): span for pk, span in anchors.items()}


def _new_version(
    locked: Interview,
    user,
    text: str,
    *,
    reason: str,
    restores: int | None = None,
    keep_previous: bool = True,
) -> TextVersion:
    """Record where everything is in the current text (unless not `keep_previous`), then make
    `text` the interview's."""
    if keep_previous:
        current = _current_version(locked)
        current.anchors = _anchors(locked)
        current.save(update_fields=["anchors"])
    number = locked.text_version + 1
    version = TextVersion.objects.create(
        interview=locked,
        number=number,
        text=text,
        reason=reason[:500],
        created_by=user,
        created_at=timezone.now(),
        restores=restores,
    )
    floor = CodingEvent.objects.filter(interview_id=locked.pk).aggregate(m=Max("id"))["m"] or 0
    with connection.cursor() as cursor:
        # The database lets this transaction, and only it, change this interview's text.
        cursor.execute("SELECT set_config('verbatim.correction', %s, true)", [str(locked.pk)])
    locked.text, locked.checksum = text, text_checksum(text)
    locked.word_count, locked.text_version, locked.undo_floor = len(text.split()), number, floor
    try:
        with transaction.atomic():
            locked.save(
                update_fields=["text", "checksum", "word_count", "text_version", "undo_floor"]
            )
    except IntegrityError:
        raise Refused(
            _("Another interview of this project has exactly this text: nothing was saved.")
        ) from None
    locked.refresh_from_db(fields=["text_length"])
    return version


def _current_version(locked: Interview) -> TextVersion:
    """The current version's row; version 1, the text as imported, is written at the first correction."""
    current = TextVersion.objects.filter(interview=locked, number=locked.text_version).first()
    if current is None:
        current = TextVersion.objects.create(
            interview=locked,
            number=locked.text_version,
            text=locked.text,
            reason=_("As imported.") if locked.text_version == 1 else "",
            created_by=locked.imported_by,
            created_at=locked.created_at,
        )
    return current


def _anchors(locked: Interview) -> dict:
    codings = Coding.objects.filter(interview=locked).values_list("pk", "start", "end")
    turns = Turn.objects.filter(interview=locked).order_by("start")
    turns = turns.values_list("pk", "speaker_id", "start", "end", "timestamp")
    marks = TimeMark.objects.filter(interview=locked).order_by("start")
    marks = marks.values_list("pk", "start", "end", "time_start", "time_end")
    return {
        "codings": {str(pk): [start, end] for pk, start, end in codings},
        "turns": [[*turn[:4], _seconds(turn[4])] for turn in turns],
        "marks": [[*mark[:3], _seconds(mark[3]), _seconds(mark[4])] for mark in marks],
    }


def _seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()


# --- Moving what points into the text ----------------------------------------------------------


def _move_spans(model, locked: Interview, mapping: TextMap) -> int:
    """Each turn (or time mark) through the diff; one whose words were all deleted goes. How many
    went."""
    moved, gone = [], []
    for pk, start, end in model.objects.filter(interview=locked).values_list("pk", "start", "end"):
        span = mapping.span(start, end)
        if span.end > span.start and locked.text[span.start : span.end].strip():
            if (span.start, span.end) != (start, end):
                moved.append((pk, span.start, span.end))
        else:
            gone.append(pk)
    model.objects.filter(pk__in=gone).delete()
    _update_spans(model._meta.db_table, moved)
    return len(gone)


def _restore_turns(locked: Interview, turns: list) -> None:
    """The turns exactly as they were in a version (same ids: nothing else points at them)."""
    Turn.objects.filter(interview=locked).delete()
    Turn.objects.bulk_create(
        Turn(
            pk=pk,
            interview=locked,
            speaker_id=speaker_id,
            start=start,
            end=end,
            timestamp=None if seconds is None else timedelta(seconds=seconds),
        )
        for pk, speaker_id, start, end, seconds in turns
    )


def _restore_marks(locked: Interview, marks: list) -> None:
    """The time marks exactly as they were in a version."""
    TimeMark.objects.filter(interview=locked).delete()
    TimeMark.objects.bulk_create(
        TimeMark(
            pk=pk,
            interview=locked,
            start=start,
            end=end,
            time_start=timedelta(seconds=time_start),
            time_end=None if time_end is None else timedelta(seconds=time_end),
        )
        for pk, start, end, time_start, time_end in marks
    )


def _move_codings(
    locked: Interview, mapping: TextMap, user, outcome: Outcome, exact: dict | None = None
) -> None:
    """Read as tuples, not models: an interview has hundreds of codings, and a sweep of a name
    through 200 interviews spent half its time building Coding instances it did not need."""
    exact = exact or {}
    moves, changes, detach, around = [], [], [], []
    codings = Coding.objects.filter(interview=locked).order_by("start", "pk")
    for pk, start, end, text in codings.values_list("pk", "start", "end", "text"):
        if pk in exact:
            new_start, new_end = exact[pk]
            # Even in place, its words may differ: the row's copy of them must follow.
            if (new_start, new_end) != (start, end) or locked.text[new_start:new_end] != text:
                moves.append((pk, new_start, new_end))
            elif mapping.changed_near(start, end, CONTEXT_CHARS):
                around.append(pk)
            continue
        span = mapping.span(start, end)
        words = locked.text[span.start : span.end]
        if span.intact:
            if (span.start, span.end) != (start, end):
                moves.append((pk, span.start, span.end))
                outcome.moved += 1
            elif mapping.changed_near(start, end, CONTEXT_CHARS):
                around.append(pk)
        elif words.strip():
            moves.append((pk, span.start, span.end))
            changes.append(
                TextChange(coding_id=pk, version=locked.text_version, old_text=text, new_text=words)
            )
        else:
            detach.append(pk)
    _update_spans("coding_coding", moves)
    _recut_contexts(around)
    outcome.changed = TextChange.objects.bulk_create(changes)
    detached = Coding.objects.filter(pk__in=detach).order_by("start", "pk")
    outcome.detached = [_detach(locked, coding) for coding in detached]


def _detach(locked: Interview, coding: Coding) -> DetachedCoding:
    coding_id = coding.pk  # delete() forgets it
    remove(coding)
    event = (
        CodingEvent.objects.filter(coding_id=coding_id, action=CodingEvent.Action.DELETE)
        .order_by("-id")
        .first()
    )
    return DetachedCoding.objects.create(
        interview=locked,
        coding_id=coding_id,
        code_id=coding.code_id,
        coder_id=coding.coder_id,
        text=coding.text,
        start=coding.start,
        end=coding.end,
        version=locked.text_version,
        event=event,
    )


def _reattach(locked: Interview, user, target: TextVersion, outcome: Outcome) -> None:
    """Restoring a version: the codings its words held, detached since, come back where they were."""
    anchors = _int_keys(target.anchors["codings"])
    for detached in DetachedCoding.objects.filter(interview=locked, coding_id__in=list(anchors)):
        start, end = anchors[detached.coding_id]
        restore_removed(detached.event, user, start=start, end=end, review=False)
        detached.delete()
    # The flags of corrections undone by this restoration no longer say anything true.
    TextChange.objects.filter(
        coding__interview=locked, coding_id__in=list(anchors), version__gt=target.number
    ).delete()


def _recut_contexts(ids: list[int]) -> None:
    """The contexts of codings that stayed where they were while the text around them changed.
    Writing a coding's span, even unchanged, has the trigger that fills its words cut them again
    (migration coding 0016); its words, its review state and its audit trail stay as they were."""
    if ids:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE coding_coding SET start = start WHERE id = ANY(%s)", [ids])


def _update_spans(table: str, rows: list[tuple[int, int, int]]) -> None:
    """New [start, end) for many rows of `table` in one statement (its triggers check each)."""
    if not rows:
        return
    ids, starts, ends = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} t SET start = v.start, "end" = v."end"'  # noqa: S608 (a constant)
            f"{', updated_at = now()' if table == 'coding_coding' else ''}"
            ' FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) AS v(id, start, "end")'
            " WHERE t.id = v.id",
            [list(ids), list(starts), list(ends)],
        )


# --- Correcting one turn ----------------------------------------------------------------------


def correct_passage(
    interview: Interview,
    user,
    start: int,
    end: int,
    words: str,
    *,
    speaker=None,
    join_next: bool = False,
    reason: str = "",
    expected_version: int,
) -> Outcome:
    """Replace text[start:end] (a turn's words, or a block of untagged text) with `words`.

    With `speaker`, the turn at `start` gets that speaker, and its label in the text with it. With
    `join_next`, the next turn's words join this one (its label goes). Lines of `words` that open
    with a known speaker's label ("Martine : …") start turns of their own: that is how a turn is
    split.
    """
    text = interview.text
    turn = Turn.objects.filter(interview=interview, start=start).select_related("speaker").first()
    words = checked_text(words).strip() if words.strip() else ""
    head, tail = text[:start], text[end:]
    if turn and speaker is not None and speaker != turn.speaker:
        head = _relabelled(head, turn.speaker, speaker)
    following = None
    if join_next:
        following = (
            Turn.objects.filter(interview=interview, start__gte=end).order_by("start").first()
        )
        if turn is None or following is None:
            raise Refused(_("There is no next turn to join."))
        tail = "\n\n" + text[following.start :]
    with transaction.atomic():
        outcome = correct(
            interview, user, head + words + tail, reason=reason, expected_version=expected_version
        )
        _settle_turns(interview, len(head), len(head) + len(words), turn, speaker, following)
    return outcome


def _relabelled(head: str, old, new) -> str:
    """`head` (the text before a turn) with the turn's label line naming `new` instead of `old`."""
    line_start = head.rfind("\n") + 1
    line = head[line_start:]
    if old is not None and line.startswith(old.label):
        return head[:line_start] + new.label + line[len(old.label) :]
    return head[:line_start] + f"{new.label} : "


def _settle_turns(interview: Interview, start: int, end: int, turn, speaker, following) -> None:
    """After correcting [start, end) of the text: the turn's new speaker, the joined turn folded in,
    and a turn of its own for each line that opens with a known speaker's label."""
    current = Turn.objects.filter(pk=turn.pk).first() if turn else None
    if current is not None:
        if following is not None:
            joined = Turn.objects.get(pk=following.pk)
            current.end = joined.end
            joined.delete()
        if speaker is not None:
            current.speaker = speaker
        current.save(update_fields=["speaker", "end"])
        end = max(end, current.end)
    _split_at_labels(interview, start, end, current)


def _split_at_labels(interview: Interview, start: int, end: int, current) -> None:
    speakers = {s.label: s for s in interview.speakers.all()}
    found = parse_turns(interview.text[start:end], labels=set(speakers))
    if not found:
        return
    first_label = interview.text.rfind("\n", start, start + found[0].start) + 1 or start
    if current is not None:
        before = interview.text[current.start : max(first_label, current.start)].rstrip()
        if before.strip():
            current.end = current.start + len(before)
            current.save(update_fields=["end"])
        else:
            current.delete()
    Turn.objects.bulk_create(
        Turn(
            interview=interview,
            speaker=speakers[piece.label],
            start=start + piece.start,
            end=start + piece.end,
        )
        for piece in found
    )
