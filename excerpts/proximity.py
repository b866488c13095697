"""When two codings are "together": the positional rule behind the excerpt filters `match=all`,
`without`, `followed_by` and `role`, and behind the analysis tables (co-occurrence, speakers).
Written once, here, as SQL.

`Near` says what counts as together: overlapping (at least one character in common), within N
characters (at most N characters between them; touching is within 0), in the same paragraph (a
non-blank line of the transcript) or in the same speaker turn. Each coding becomes a half-open
interval [lo, hi) in a coordinate where "together" means "the intervals intersect": characters for
overlap and distance (the end pushed N + 1 further), paragraph or turn ordinals for the others.

Intervals are joined through buckets of fixed width rather than by an index: each interval is
repeated in every bucket it touches, pairs are found by an equality (hash) join on (interview,
bucket), and a pair is kept only in the bucket of the later start, so it is found once. A coding
meets only its neighbours, whatever the length of the interview (docs/analysis.md has the figures).

Paragraphs and turns are read as SQL tables (`interviews_searchsegment`, filled by the interviews'
triggers; `interviews_turn`), which keeps this module below the search app.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_CHARS = 5000  # about 800 words: beyond, "the same turn" says it better
CHAR_BUCKET = 512  # characters per bucket: a few codings each at the densest
UNIT_TABLES = {"paragraph": "interviews_searchsegment", "turn": "interviews_turn"}


@dataclass(frozen=True)
class Near:
    kind: str = "overlap"  # overlap | chars | paragraph | turn
    chars: int = 0

    @property
    def param(self) -> str:
        """As the `near` URL parameter ("" for overlap, the default)."""
        if self.kind == "chars":
            return str(self.chars)
        return "" if self.kind == "overlap" else self.kind

    @property
    def label(self) -> str:
        if self.kind == "chars":
            return _("within %(n)d characters") % {"n": self.chars}
        return {
            "overlap": _("overlapping"),
            "paragraph": _("in the same paragraph"),
            "turn": _("in the same speaker turn"),
        }[self.kind]


OVERLAP = Near()


def read_near(raw: str) -> tuple[Near, str | None]:
    """The `near` parameter: a Near, or OVERLAP and the problem in words."""
    raw = raw.strip()
    if not raw or raw == "overlap":
        return OVERLAP, None
    if raw in UNIT_TABLES:
        return Near(raw), None
    sign = raw.startswith("-")
    digits = raw[1:] if sign else raw
    if not (digits.isascii() and digits.isdigit()):
        return OVERLAP, _(
            "“%(value)s” is not a distance: give a number of characters, “paragraph” or “turn”."
        ) % {"value": raw}
    if sign:
        return OVERLAP, _("A distance cannot be negative: give 0 or more characters.")
    if len(digits) > 6 or int(digits) > MAX_CHARS:
        return OVERLAP, _(
            "A distance is at most %(max)s characters (about 800 words): for more, choose the same "
            "speaker turn."
        ) % {"max": f"{MAX_CHARS:,}".replace(",", "\u202f")}
    return Near("chars", int(digits)), None


# --- SQL ---------------------------------------------------------------------------------------
# Each function returns SQL text with %s placeholders; the caller keeps the parameters in order.


def units_sql(kind: str, codings: str) -> str:
    """The paragraphs or turns of the interviews of the CTE `codings`, numbered from 1 in each
    interview: (interview_id, start, end, k, role); role is the speaker's (turns only)."""
    if kind == "turn":
        return f"""
        SELECT t.interview_id, t.start, t."end",
               row_number() OVER (PARTITION BY t.interview_id ORDER BY t.start) AS k,
               coalesce(s.role, 'other') AS role
          FROM interviews_turn t LEFT JOIN interviews_speaker s ON s.id = t.speaker_id
         WHERE t.interview_id IN (SELECT DISTINCT interview_id FROM {codings})"""
    return f"""
        SELECT u.interview_id, u.start, u."end",
               row_number() OVER (PARTITION BY u.interview_id ORDER BY u.start) AS k,
               NULL::text AS role
          FROM interviews_searchsegment u
         WHERE u.interview_id IN (SELECT DISTINCT interview_id FROM {codings})"""


def bucket_join(left: str, right: str, width: int, on: str = "true") -> str:
    """FROM … WHERE of the pairs (l, r) of rows of `left` and `right` (each with interview_id,
    lo, hi) in the same interview whose [lo, hi) intersect, each pair once; `on` adds a condition.

    OFFSET 0 keeps each side's buckets a subquery of its own: pulled up, PostgreSQL joined the
    intervals by interview first and cut them into buckets after (11 s instead of 0.3 s at M)."""
    return f"""
        FROM (SELECT x.*, g AS bucket FROM {left} x,
                     generate_series(x.lo / {width}, (x.hi - 1) / {width}) g OFFSET 0) l
        JOIN (SELECT y.*, g AS bucket FROM {right} y,
                     generate_series(y.lo / {width}, (y.hi - 1) / {width}) g OFFSET 0) r
          ON r.interview_id = l.interview_id AND r.bucket = l.bucket
       WHERE l.lo < r.hi AND r.lo < l.hi
         AND l.bucket = greatest(l.lo, r.lo) / {width} AND ({on})"""


def spans_sql(codings: str, near: Near, *, after: bool = False) -> str:
    """SQL of (id, interview_id, code_id, coder_id, start, end, lo, hi) for the rows of the CTE
    `codings` (with id, interview_id, code_id, coder_id, start, end), in `near`'s coordinate.

    With `after`, the interval of what may follow a coding (FOLLOWED BY): from its end, N + 1
    characters; for paragraphs and turns the coding's own units (the caller asks start ≥ end)."""
    columns = 'c.id, c.interview_id, c.code_id, c.coder_id, c.start, c."end"'
    if near.kind in ("overlap", "chars"):
        reach = 0 if near.kind == "overlap" else near.chars + 1
        if after:
            return f'SELECT {columns}, c."end" AS lo, c."end" + {reach} AS hi FROM {codings} c'
        return f'SELECT {columns}, c.start AS lo, c."end" + {reach} AS hi FROM {codings} c'
    left = f'(SELECT {columns}, c.start AS lo, c."end" AS hi FROM {codings} c)'
    right = f'(SELECT *, start AS lo, "end" AS hi FROM ({units_sql(near.kind, codings)}) w)'
    return f"""
        SELECT l.id, l.interview_id, l.code_id, l.coder_id, l.start, l."end",
               min(r.k) AS lo, max(r.k) + 1 AS hi
        {bucket_join(left, right, CHAR_BUCKET)}
        GROUP BY l.id, l.interview_id, l.code_id, l.coder_id, l.start, l."end"
        """


def pair_width(near: Near) -> int:
    return CHAR_BUCKET if near.kind in ("overlap", "chars") else 1


def related_sql(candidates: str, peers: str, near: Near, relation: str) -> str:
    """The ids of the `candidates` codings (a CTE) that have a `peers` coding (another CTE):
    together with them (`relation` "with"), or followed by one ("followed")."""
    if relation == "followed" and near.kind == "overlap":
        # Anywhere later in the interview: before the last peer's start.
        return f"""
            SELECT a.id FROM {candidates} a
             WHERE a."end" <= (SELECT max(b.start) FROM {peers} b
                                WHERE b.interview_id = a.interview_id)"""
    if relation == "followed" and near.kind == "chars":
        left, right = spans_sql(candidates, near, after=True), _point_sql(peers)
        on = "true"
    else:
        left, right = spans_sql(candidates, near), spans_sql(peers, near)
        on = 'l.id <> r.id AND r.start >= l."end"' if relation == "followed" else "l.id <> r.id"
    return f"SELECT DISTINCT l.id {bucket_join(f'({left})', f'({right})', pair_width(near), on)}"


def _point_sql(codings: str) -> str:
    """Each coding as the one position where it starts."""
    return (
        'SELECT c.id, c.interview_id, c.code_id, c.coder_id, c.start, c."end", '
        f"c.start AS lo, c.start + 1 AS hi FROM {codings} c"
    )


def roles_sql(codings: str, carried: tuple[str, ...] = ()) -> str:
    """(id, *carried, participant, interviewer, other): whether each coding of the CTE `codings`
    covers characters of a turn of a speaker with that role (speakers without a role count as
    other). `carried`: more of each coding's columns, for a caller that would otherwise join the
    codings again."""
    left = f'(SELECT id, interview_id, start AS lo, "end" AS hi FROM {codings})'
    right = f'(SELECT *, start AS lo, "end" AS hi FROM ({units_sql("turn", codings)}) w)'
    columns = "".join(f", c.{column}" for column in ("id", *carried))[2:]
    return f"""
        SELECT {columns},
               coalesce(bool_or(r.role = 'participant'), false) AS participant,
               coalesce(bool_or(r.role = 'interviewer'), false) AS interviewer,
               coalesce(bool_or(r.role NOT IN ('participant', 'interviewer')), false) AS other
          FROM {codings} c
          LEFT JOIN (SELECT l.id, r.role {bucket_join(left, right, CHAR_BUCKET)}) r ON r.id = c.id
         GROUP BY {columns}"""


ROLE_RULES = ("participant", "every")  # the default: a participant's words first


def role_condition(role: str, rule: str) -> str:
    """SQL on a row of roles_sql (alias `r`): whether its coding counts as said by `role`.

    By default a coding that covers a participant's words is theirs, even with the question that
    led to them; one that does not counts for the roles whose turns it covers; `none` is a coding
    outside every turn. With the rule "every", it counts for every role it covers."""
    if role == "none":
        return "NOT (r.participant OR r.interviewer OR r.other)"
    if rule == "every" or role == "participant":
        return f"r.{role}"
    return f"r.{role} AND NOT r.participant"
