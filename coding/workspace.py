"""What the coding workspace shows of an interview's codings.

Shared by the interview page and every action on it (apply, change, remove, undo, polling; what the
actions do is coding/actions.py): each action answers with the paragraphs whose highlights changed
since the page last heard from the server, whoever changed them, so two researchers coding one
interview see each other's work.
"""

import json
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from django.db import connection
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from coding import counts
from coding.highlights import Span, paragraphs_html
from coding.turns import transcript_html
from coding.visibility import Visibility
from interviews.models import Interview, Turn
from interviews.transcripts import blocks
from verbatim import people, plain_sql


@dataclass(frozen=True)
class CoderFilter:
    """Whose codings the page shows: "all", "mine", or one coder's id (the `coders` GET parameter)."""

    value: str = "all"

    @classmethod
    def parse(cls, raw: str | None) -> "CoderFilter":
        raw = (raw or "all").strip()
        return cls(raw if raw in ("all", "mine") or raw.isdigit() else "all")

    def coder_id(self, user) -> int | None:
        """The one coder shown, or None for everyone."""
        if self.value == "mine":
            return user.pk
        return int(self.value) if self.value.isdigit() else None


class _Speaker(NamedTuple):
    name: str
    role: str


class _Turn(NamedTuple):
    """What a page shows of a turn (its bounds, time and speaker): read as tuples, a third of the
    cost of 200 Turn and Speaker models."""

    start: int
    end: int
    timestamp: object  # timedelta | None
    speaker: _Speaker


TURNS = plain_sql.Prepared(
    'SELECT t.start, t."end", t.timestamp, s.name, s.role FROM interviews_turn t'
    " LEFT JOIN interviews_speaker s ON s.id = t.speaker_id"
    " WHERE t.interview_id = %s ORDER BY t.start"
)


def turns_query(interview: Interview) -> tuple[str, list]:
    """The interview's turns as (start, end, timestamp, speaker name, speaker role), in order."""
    return TURNS, [interview.pk]


def _turn_rows(interview: Interview) -> tuple[tuple, ...]:
    with connection.cursor() as cursor:
        cursor.execute(*turns_query(interview))
        return tuple(cursor.fetchall())


def _blocks(text: str, turn_rows) -> list:
    turns = [
        _Turn(start, end, time, _Speaker(name, role)) for start, end, time, name, role in turn_rows
    ]
    return blocks(text, turns)


def display_blocks(interview: Interview):
    return _blocks(interview.text, _turn_rows(interview))


def transcript(interview: Interview, turn_rows, shown, *, playable: bool) -> SafeString:
    """The interview page's transcript: its turns (rows of turns_query) and paragraphs with the
    codings the member sees (rows of span_query) drawn in (coding.turns, coding.highlights);
    `playable` when a recording plays from its times. coding/page.py reads the rows.

    Built from what is read here, and cached by all of it: a page opened again with nothing changed
    (back from the excerpts, a reload, another coder of the same round) reuses the HTML, 5–6 ms of a
    500-coding interview's 19 at rest; after a change, only the paragraphs it touched are drawn
    again (coding.highlights keeps each paragraph's HTML). Any change to what the HTML shows (a
    coding, a code's or a coder's name, a speaker, the text after a correction, the language) is a
    different key, so no entry can be stale, and another member's codings are part of another key:
    nothing to invalidate.
    """
    shown, turn_rows = tuple(shown), tuple(turn_rows)  # hashable: the cache's key
    html = _transcript(interview.text, turn_rows, shown, playable, get_language())
    return mark_safe(html)  # noqa: S308 -- escaped by coding.turns and coding.highlights


# Entries hold a transcript, its rows and its HTML: about 0.5 MB for a 90-minute interview, 4 MB
# for the bench's million-character one.
TRANSCRIPT_CACHE_SIZE = 32


@lru_cache(maxsize=TRANSCRIPT_CACHE_SIZE)
def _transcript(text: str, turn_rows, shown, playable: bool, language: str | None) -> str:
    """A pure function of its arguments (the active `language` names unknown speakers)."""
    found = _blocks(text, turn_rows)
    paragraphs = [p for block in found for p in block.paragraphs]
    htmls = paragraphs_html(paragraphs, [Span(*row) for row in shown])
    for paragraph, html in zip(paragraphs, htmls, strict=True):
        paragraph.html = html  # built from escaped text by coding.highlights
    return transcript_html(found, playable)


class _Bounds(NamedTuple):
    start: int
    end: int


class _Paragraphs(NamedTuple):
    items: list  # interviews.transcripts.Paragraph, in text order
    starts: list[int]


# An interview's text and turn bounds never change once stored, so its paragraphs are cut once per
# process rather than on every action (keyed by the text too, in case an id ever meets other text).
_paragraph_cache: dict[tuple[int, int], _Paragraphs] = {}
_paragraph_cache_lock = threading.Lock()  # production workers serve several threads
PARAGRAPH_CACHE_SIZE = 64


def paragraphs(interview: Interview) -> _Paragraphs:
    """The page's paragraphs, from the turns' bounds alone (cheaper than display_blocks)."""
    key = (interview.pk, hash(interview.text))
    found = _paragraph_cache.get(key)
    if found is None:
        bounds = Turn.objects.filter(interview=interview).order_by("start")
        bounds = map(_Bounds._make, bounds.values_list("start", "end"))
        items = [p for block in blocks(interview.text, bounds) for p in block.paragraphs]
        found = _Paragraphs(items, [p.start for p in items])
        with _paragraph_cache_lock:
            if len(_paragraph_cache) >= PARAGRAPH_CACHE_SIZE:
                _paragraph_cache.pop(next(iter(_paragraph_cache)))  # the oldest entry
            _paragraph_cache[key] = found
    return found


def touched_paragraphs(interview: Interview, ranges) -> list:
    """The paragraphs that share at least one character with one of the [start, end) ranges."""
    cut = paragraphs(interview)
    touched = set()
    for start, end in ranges:
        i = max(bisect_right(cut.starts, start) - 1, 0)
        while i < len(cut.items) and cut.starts[i] < end:
            if cut.starts[i] + len(cut.items[i].text) > start:
                touched.add(i)
            i += 1
    return [cut.items[i] for i in sorted(touched)]


# span_rows() and changes_since() run on every workspace action: plain SQL saves more time than
# PostgreSQL needs to run them, which the ORM would spend compiling the same statements.


def span_rows(
    interview: Interview,
    user,
    coders: CoderFilter,
    start: int = 0,
    end: int | None = None,
    *,
    seen: Visibility,
):
    """The codings shown on [start, end) of the interview (the whole of it by default), of those
    the member may see (`seen`, coding/visibility.py), as the fields of a Span."""
    with connection.cursor() as cursor:
        cursor.execute(*span_query(interview, user, coders, start, end, seen=seen))
        return cursor.fetchall()


def span_query(
    interview: Interview, user, coders: CoderFilter, start: int = 0, end: int | None = None, *, seen
) -> tuple[str, list]:
    # With the names a highlight's title and stripes show (primary-key joins: cheap).
    sql = (
        f'SELECT k.id, k.code_id, k.start, k."end", k.coder_id, code.name, {people.name_sql("u")}'
        " FROM coding_coding k JOIN coding_code code ON code.id = k.code_id"
        " JOIN auth_user u ON u.id = k.coder_id WHERE k.interview_id = %s"
    )
    params = [interview.pk]
    if interview.pk in seen.blind:
        condition, extra = seen.sql("k")
        sql += f" AND {condition}"
        params += extra
    if start or end is not None:
        sql += ' AND k.start < %s AND k."end" > %s'
        params += [interview.text_length if end is None else end, start]
    coder_id = coders.coder_id(user)
    if coder_id is not None:
        sql += " AND k.coder_id = %s"
        params.append(coder_id)
    return plain_sql.prepared(sql), params


# The page's `since`: its last audit event, 0 before any.
LAST_EVENT = plain_sql.Prepared(
    "SELECT coalesce(max(id), 0) FROM coding_codingevent WHERE interview_id = %s"
)


def last_event_id(interview: Interview) -> int:
    with connection.cursor() as cursor:
        cursor.execute(LAST_EVENT, [interview.pk])
        return cursor.fetchone()[0]


class CodeCount(NamedTuple):
    pk: int
    interview_count: int
    project_count: int


@dataclass
class Changes:
    """What changed in an interview after event `since`: paragraphs to redraw, codes to recount."""

    paragraphs: list[str]
    code_ids: set[int]
    since: int  # what the page should send next time
    counts: list[CodeCount] | None = None  # of `counted`, when read along (changes_since)
    counted: frozenset[int] = frozenset()


@dataclass
class Expected:
    """What an action expects to redraw (`expect`): the paragraphs its ranges touch and the codes
    it recounts, with the statements reading them, sent with the action itself. When the changes
    it finds are within these (no one else's, no merge beyond them), its redraw needs no round
    trip of its own (changes_since)."""

    touched: list
    counted: frozenset[int]
    statements: list[tuple[str, list]]
    rows: list | None = None  # each statement's, once read

    def covers(self, touched: list, counted: frozenset[int]) -> bool:
        paragraphs = {paragraph.start for paragraph in self.touched}
        return counted <= self.counted and all(p.start in paragraphs for p in touched)


def expect(
    interview: Interview, user, coders: CoderFilter, *, seen: Visibility, ranges, code_ids
) -> Expected:
    touched = touched_paragraphs(interview, ranges)
    counted = frozenset(code_ids)
    return Expected(
        touched, counted, _redraw_queries(interview, user, coders, seen, touched, counted)
    )


def _redraw_queries(interview, user, coders, seen, touched, counted) -> list[tuple[str, list]]:
    """The counts of `counted` (if any), then the codings of the `touched` paragraphs (if any)."""
    statements = []
    if counted:
        statements.append(
            counts.query(interview.project_id, interview.pk, seen=seen, code_ids=counted)
        )
    if touched:
        low, high = touched[0].start, touched[-1].start + len(touched[-1].text)
        statements.append(span_query(interview, user, coders, low, high, seen=seen))
    return statements


EVENTS = plain_sql.Prepared(
    "SELECT id, before, after FROM coding_codingevent WHERE interview_id = %s AND id > %s"
)


def events_query(interview: Interview, since: int) -> tuple[str, list]:
    """The interview's audit events after event `since` (what changes_since redraws)."""
    return EVENTS, [interview.pk, since]


def changes_since(
    interview: Interview,
    since: int,
    user,
    coders: CoderFilter,
    *,
    seen: Visibility,
    also_count: frozenset[int] = frozenset(),
    events: list[tuple] | None = None,
    expected: Expected | None = None,
) -> Changes:
    """The changes after event `since`, and the counts of the codes they touched and of
    `also_count` (those the caller's action changed): the touched paragraphs' codings and the
    counts are read in one round trip (plain_sql.batch), or none when `expected` read them along
    with the caller's action. `events`: the rows of `events_query`, when the caller read them so."""
    if events is None:
        events = plain_sql.batch(events_query(interview, since))[0]
    if not events:
        return Changes([], set(), since)
    # Writers of one interview take turns (coding.audit.recorded_as), so no event below the
    # highest one seen here can still be uncommitted.
    next_since = max(id for id, _, _ in events)
    # Django has psycopg hand jsonb over as text, for JSONField to decode. Changes to codings the
    # member may not see are none of theirs: not even which paragraphs they touched.
    rows = [json.loads(row) for _, before, after in events for row in (before, after) if row]
    rows = [row for row in rows if seen.shows(row["interview_id"], row["coder_id"])]
    ranges = [(row["start"], row["end"]) for row in rows]
    code_ids = {row["code_id"] for row in rows}
    counted = frozenset(code_ids | also_count)
    touched = touched_paragraphs(interview, ranges)
    if expected is not None and expected.rows is not None and expected.covers(touched, counted):
        results, counted = list(expected.rows), expected.counted
        counts = results.pop(0) if counted else []
        spans = results.pop(0) if expected.touched else []
    else:
        statements = _redraw_queries(interview, user, coders, seen, touched, counted)
        results = plain_sql.batch(*statements) if statements else []
        counts = results.pop(0) if counted else []
        spans = results.pop(0) if touched else []
    html = paragraphs_html(touched, [Span(*row) for row in spans], oob=True) if touched else []
    return Changes(html, code_ids, next_since, [CodeCount(*row) for row in counts], counted)


def counted_codes(
    project_id: int, interview_id: int, code_ids, *, seen: Visibility
) -> list[CodeCount]:
    """The counts the codebook shows for these codes (`code-count` partial), for out-of-band updates,
    of the codings the member may see."""
    if not code_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*counts.query(project_id, interview_id, seen=seen, code_ids=code_ids))
        return [CodeCount(*row) for row in cursor.fetchall()]


WORD = re.compile(r"\w+(?:['’-]\w+)*")


def word_steps(text: str, start: int, end: int) -> dict[str, int | None]:
    """Boundaries one word away from a coding's: where its start or end moves by one word.

    None when the move is impossible (it would leave the text or empty the coding).
    """
    reach = 200  # a word is shorter than this: no need to scan the whole transcript
    window = WORD.finditer(text, max(start - reach, 0), min(end + reach, len(text)))
    words = [(m.start(), m.end()) for m in window]
    starts_before = [s for s, _ in words if s < start]
    starts_after = [s for s, _ in words if start < s < end]
    ends_before = [e for _, e in words if start < e < end]
    ends_after = [e for _, e in words if e > end]
    return {
        "start_earlier": starts_before[-1] if starts_before else None,
        "start_later": starts_after[0] if starts_after else None,
        "end_earlier": ends_before[-1] if ends_before else None,
        "end_later": ends_after[0] if ends_after else None,
    }
