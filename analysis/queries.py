"""The numbers behind every analysis table and chart, each one SQL statement over the codings that
`codings(filters)` selects.

`codings()` is the one place the analysis reads codings from. It is the excerpts' own selection
(excerpts.queries.matching), so the rule of who may see which codings (blind coding rounds,
coding/visibility.py) reaches the analysis wherever excerpts.queries applies it; a condition that
concerns the analysis alone goes here, in `codings()`, and nowhere else. "Consensus only" (the
agreement work) is the hook `consensus_only` below.

Codes come in groups: a code alone, or with `subcodes` the code and its sub-codes ("rolled up").
`groups` maps each group (the id of the code that names it) to the code ids it counts.
"""

import hashlib
from dataclasses import dataclass, field, replace

from django.core.cache import caches
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet

from coding.models import Coding
from excerpts import proximity, queries
from excerpts.filters import Filters
from excerpts.proximity import Near


def codings(filters: Filters) -> QuerySet[Coding]:
    """The codings the analysis counts: visible, and passing every filter but the codes (the
    codes are the rows and columns of the tables; `groups` below restricts to them)."""
    selection = queries.matching(without_codes(filters))
    return consensus_only(selection, filters)


def consensus_only(selection: QuerySet[Coding], filters: Filters) -> QuerySet[Coding]:
    """The hook for "consensus only" (issue: agreement): once the agreement work says which
    codings are the consensus, narrow `selection` to them here when the filters ask for it."""
    return selection


def without_codes(filters: Filters) -> Filters:
    return replace(filters, code_ids=[], match="any", without_ids=[], followed_by=None)


def cte(
    filters: Filters,
    groups: dict[int, set[int]],
    *extra: str,
    interviews: list[int] | None = None,
    materialized: bool = True,
) -> tuple[str, list]:
    """`WITH v AS (the codings), m AS (code → group)`: the start of every statement here.
    `extra` columns of coding_coding (status, words) join the six of excerpts.queries; with
    `interviews`, only theirs (a materialised CTE takes no condition from outside). A statement
    that reads `v` once may leave it to PostgreSQL to fold in (`materialized=False`): writing a
    million codings aside first took a third of the code frequencies' time at L."""
    selection = codings(filters).filter(code_id__in=sorted(set().union(*groups.values(), set())))
    if interviews is not None:
        selection = selection.filter(interview_id__in=interviews)
    sql, params = selection.values_list(*queries.CODING_COLUMNS, *extra).query.sql_with_params()
    pairs = [(code, group) for group, codes in groups.items() for code in codes]
    mapping = "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS m (code_id, grp)"
    return (
        f"WITH v AS {'MATERIALIZED ' if materialized else ''}({sql}), m AS MATERIALIZED ({mapping})",
        [*params, [c for c, _g in pairs], [g for _c, g in pairs]],
    )


WORK_MEM = "64MB"  # the pairs of a large project sort and hash in memory rather than on disk
# Beyond this a table is too large to wait for (the co-occurrence of every code at L takes about
# 25 s on two busy cores): the page says so rather than holding a worker.
STATEMENT_TIMEOUT = "60s"


class TooLong(Exception):
    """A table that PostgreSQL stopped computing after STATEMENT_TIMEOUT."""


def _rows(sql: str, params: list) -> list[tuple]:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SET LOCAL work_mem = '{WORK_MEM}'; "
                f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"
            )
            cursor.execute(sql, params)
            return cursor.fetchall()
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise TooLong from error
        raise


# --- The cache -----------------------------------------------------------------------------
# A statement's rows are kept in the "analysis" cache (settings.CACHES: a table of the database,
# shared by every worker) under a key made of the statement itself and its parameters. The
# statement carries everything the request chose: the filters, the codes and their groups, `near`,
# and who asks, since the rule of coding/visibility.py is in its WHERE with a blind coder's id and
# interviews. Two requests share rows only when they would run the same statement on the same
# data. docs/analysis.md says when the rows are computed again.

CACHE = "analysis"
CACHE_VERSION = 4  # in every key: raise it when a cached statement's rows change meaning
# An interview's stamp counts all its audit events (nothing in the product deletes one): a change
# whose events were numbered before another's but committed after it does not raise the latest
# id, but it does raise the count. (A count over a window of recent ids could miss it: events of
# the interview leaving the window as the late one arrives would leave the count as it was.)
STAMPS = """
    WITH i AS (SELECT id, text_version FROM interviews_interview WHERE project_id = %s)
    SELECT i.id, concat_ws(':', i.text_version, e.top, e.n)
      FROM i LEFT JOIN LATERAL (SELECT max(c.id) AS top, count(*) AS n FROM coding_codingevent c
                                 WHERE c.interview_id = i.id) e ON TRUE"""
SPEAKERS = """
    SELECT s.interview_id,
           md5(string_agg(concat_ws(':', s.id, s.role, s.label, s.name), ',' ORDER BY s.id))
      FROM interviews_speaker s JOIN interviews_interview i ON i.id = s.interview_id
     WHERE i.project_id = %s
     GROUP BY s.interview_id"""
ATTRIBUTE_VALUES = """
    SELECT v.interview_id,
           md5(string_agg(concat_ws(':', v.attribute_id, v.text, v.number, v.date), ','
                          ORDER BY v.attribute_id))
      FROM interviews_attributevalue v JOIN interviews_interview i ON i.id = v.interview_id
     WHERE i.project_id = %s
     GROUP BY v.interview_id"""
# What else a statement may read, by its table, and each interview's stamp of it.
READ_ALSO = {"interviews_speaker": SPEAKERS, "interviews_attributevalue": ATTRIBUTE_VALUES}


def stamps(project_id: int, sql: str) -> dict[int, str]:
    """For each interview of the project, what changes whenever its data that `sql` reads
    changes: its text version (a correction) and its latest coding event (the database's audit
    trigger writes one for every coding created, changed or deleted: applying, removing, merging,
    trashing, restoring, reviewing, re-anchoring after a correction), and its speakers and its
    attribute values when the statement reads them (READ_ALSO). An import or a deletion changes
    the list. Paragraphs and turns change only with the text. A few milliseconds at M."""
    with connection.cursor() as cursor:
        cursor.execute(STAMPS, [project_id])
        found = dict(cursor.fetchall())
        for table, stamp_sql in READ_ALSO.items():
            if table in sql:
                cursor.execute(stamp_sql, [project_id])
                for interview_id, stamp in cursor.fetchall():
                    found[interview_id] = f"{found.get(interview_id)}:{stamp}"
    return found


def _statement_key(name: str, project_id: int, sql: str, params: list) -> str:
    statement = hashlib.sha256(repr((CACHE_VERSION, sql, params)).encode()).hexdigest()
    return f"{name}:{project_id}:{statement}"


def kept_rows(filters: Filters, name: str, sql: str, params: list) -> list[tuple]:
    """The rows of a statement over the project's codings (and what READ_ALSO names), kept in the
    cache under the statement, with the digest of every interview's stamp (one entry a statement,
    replaced after a change): a visit when nothing changed reads them back; any change counts
    everything again (for statements whose numbers do not add up over
    interviews, or cost too little to keep per interview: additive_rows). Stamps are read first,
    so rows are never older than the stamps they are kept under."""
    digest = _digest(stamps(filters.project.pk, sql))
    key = _statement_key(name, filters.project.pk, sql, params)
    cache = caches[CACHE]
    kept = cache.get(key)
    if kept is not None and kept[0] == digest:
        return kept[1]
    rows = _rows(sql, params)
    cache.set(key, (digest, rows))  # in place of the rows of older stamps
    return rows


# Numbers per (group A, group B), or (group, None) for a group's own count: the codings, the
# interviews they are in, the pairs.
Sums = dict[tuple[int, int | None], tuple[int, int, int]]


def additive_rows(filters: Filters, name: str, build) -> Sums:
    """The sums over interviews of a statement whose rows are per interview, `(interview, group A,
    group B or None, codings, pairs)`: every pair of codings lies in one interview, so every number
    adds up. `build(interviews)` makes the statement, for some interviews or (None) all.

    Kept in the cache: the sums under the statement, with the digest of the interviews' stamps (a
    visit when nothing changed reads them back; one entry a statement, replaced after a change),
    and beside them the parts (`_amended`): each interview's own rows with its stamp. After a
    change, only the interviews whose stamp moved are counted again: their old rows subtracted,
    their new ones added. Stamps are read before the rows, so rows are never older than the stamp
    stored with them; an entry the cache dropped is computed again."""
    project_id = filters.project.pk
    sql, params = build(None)
    now = stamps(project_id, sql)
    statement = _statement_key(name, project_id, sql, params)
    cache = caches[CACHE]
    digest = _digest(now)
    kept = cache.get(statement)
    if kept is not None and kept[0] == digest:
        return kept[1]
    parts = statement.replace(f"{name}:", f"{name}-parts:", 1)

    def keep() -> Sums:
        """The sums amended and kept beside the parts in one transaction: one request at a time
        amends a statement's parts (two amending the same entries at once could each take away
        rows the other had put back), and none leaves them half written."""
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [PARTS_LOCK, _lock_key(parts)]
                )
            sums = _amended(cache, parts, now, sql, params, build)
            cache.set(statement, (digest, sums))  # in place of the sums of older stamps
        return sums

    try:
        return keep()
    except OperationalError as error:
        # Django culls the cache (past MAX_ENTRIES) by deleting any third of its entries: a cull
        # meeting an amendment's entries halfway can deadlock with it. Once more, then.
        if getattr(error.__cause__, "sqlstate", None) != "40P01":  # deadlock_detected
            raise
    return keep()


# The parts of a statement: an entry with every interview's stamp and the sums, and the rows
# themselves in PART_BUCKETS entries by interview id. Written whole, as one entry, the
# co-occurrence's parts at L (16 MB) took 0.8 s to read and write again after each change.
PART_BUCKETS = 64
PARTS_LOCK = 7302  # advisory locks of this class (coding.audit's writers take 7301)


def _lock_key(parts: str) -> int:
    return int(hashlib.sha256(parts.encode()).hexdigest()[:7], 16)


def _bucket(parts: str, interview_id: int) -> str:
    return f"{parts}:{interview_id % PART_BUCKETS}"


def _amended(cache, parts: str, now: dict[int, str], sql: str, params: list, build) -> Sums:
    """The sums, the parts amended for the interviews whose stamp moved; from every interview's
    rows when the parts are missing, or one of the entries they need (the cache dropped it)."""
    kept = cache.get(parts)
    if kept is not None:
        moved = now.keys() | kept["stamps"].keys()
        changed = {pk for pk in moved if now.get(pk) != kept["stamps"].get(pk)}
        needed = {_bucket(parts, pk) for pk in changed}
        buckets = cache.get_many(needed)
        if len(buckets) == len(needed):
            present = sorted(changed & now.keys())
            fresh = _by_interview(_rows(*build(present))) if present else {}
            sums = kept["sums"]
            for pk in changed:
                rows = buckets[_bucket(parts, pk)]
                _add(sums, rows.pop(pk, ()), -1)
                if pk in now:
                    rows[pk] = fresh.get(pk, [])
                    _add(sums, rows[pk], 1)
            cache.set_many(buckets)
            cache.set(parts, {"stamps": now, "sums": sums})
            return sums
    fresh = _by_interview(_rows(sql, params))
    sums, buckets = {}, {}
    for pk in now:
        rows = fresh.get(pk, [])
        buckets.setdefault(_bucket(parts, pk), {})[pk] = rows
        _add(sums, rows, 1)
    cache.set_many(buckets)
    cache.set(parts, {"stamps": now, "sums": sums})
    return sums


def _digest(now: dict[int, str]) -> str:
    return hashlib.sha256(repr(sorted(now.items())).encode()).hexdigest()


def _by_interview(rows) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = {}
    for interview_id, *row in rows:
        found.setdefault(interview_id, []).append(tuple(row))
    return found


def _add(sums: Sums, rows, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) one interview's rows; a cell left with no interview goes."""
    for ga, gb, codings, pairs in rows:
        was = sums.get((ga, gb), (0, 0, 0))
        now = (was[0] + sign * codings, was[1] + sign, was[2] + sign * (pairs or 0))
        if now[1]:
            sums[(ga, gb)] = now
        else:
            sums.pop((ga, gb), None)


# --- Code frequencies ----------------------------------------------------------------------


@dataclass
class Frequency:
    codings: int = 0
    interviews: int = 0
    coders: int = 0
    words: int = 0


def frequencies(filters: Filters, groups: dict[int, set[int]]) -> dict[int, Frequency]:
    """Per group: codings, interviews, coders, and the words of its codings' passages, added up
    (a passage two coders coded counts twice: filter by coder for one person's)."""
    # Words counted when each text was written (migration coding 0025). Counted first per group,
    # interview and coder (a hash of a few thousand rows at L), so that the distinct interviews
    # and coders are counted of those rather than sorted out of a million codings.
    start, params = cte(filters, groups, "words", materialized=False)
    sql = f"""{start}
        SELECT x.grp, sum(x.n)::bigint, count(DISTINCT x.interview_id),
               count(DISTINCT x.coder_id), coalesce(sum(x.words), 0)::bigint
          FROM (SELECT m.grp, v.interview_id, v.coder_id, count(*) AS n, sum(v.words) AS words
                  FROM v JOIN m ON m.code_id = v.code_id GROUP BY 1, 2, 3) x
         GROUP BY x.grp"""
    return {
        grp: Frequency(*numbers) for grp, *numbers in kept_rows(filters, "frequencies", sql, params)
    }


# --- Co-occurrence -------------------------------------------------------------------------


@dataclass
class Pair:
    codings: int = 0  # codings of either code together with one of the other
    interviews: int = 0
    pairs: int = 0  # pairs of codings (ATLAS.ti's co-occurrence count, n12)
    jaccard: float = 0.0
    c: float | None = None  # ATLAS.ti's c-coefficient; None when out of range (see measures())
    unequal: bool = False  # one code applied more than five times as often as the other


def cooccurrence(
    filters: Filters, groups: dict[int, set[int]], near: Near
) -> tuple[dict[tuple[int, int], Pair], dict[int, int]]:
    """{(group A, group B): Pair} for every pair of groups that come together (both orders), and
    each group's codings: `_pairs_sql`'s rows per interview, summed and kept by `additive_rows`."""
    directed, totals = {}, {}
    sums = additive_rows(
        filters, "cooccurrence", lambda some: _pairs_sql(filters, groups, near, some)
    )
    for (ga, gb), (count, interviews, pairs) in sums.items():
        if gb is None:
            totals[ga] = count
        else:
            directed[(ga, gb)] = (count, interviews, pairs)
    cells = {}
    for (ga, gb), (count, interviews, pairs) in directed.items():
        back = directed.get((gb, ga), (0, interviews, pairs))[0]
        cells[(ga, gb)] = measures(count + back, interviews, pairs, totals[ga], totals[gb])
    return cells, totals


def _pairs_sql(
    filters: Filters, groups: dict[int, set[int]], near: Near, interviews: list[int] | None
) -> tuple[str, list]:
    """Per interview: each pair of groups' codings that come together and their pairs, and each
    group's codings (additive_rows). The codings as intervals (excerpts/proximity.py), their pairs
    in both directions, then one grouping per interview and pair of groups."""
    start, params = cte(filters, groups, interviews=interviews)
    spans = proximity.spans_sql("v", near)
    if near.kind in ("paragraph", "turn"):
        # A join with the units, computed once for both sides of the pairs.
        start, side = f"{start}, s AS MATERIALIZED ({spans})", "s"
    else:
        # In characters the spans are v's own rows: read on each side rather than stored again.
        side = f"({spans})"
    join = proximity.bucket_join(side, side, proximity.pair_width(near), "l.code_id <> r.code_id")
    sql = f"""{start},
        p AS (SELECT l.id AS a, l.code_id AS ac, r.code_id AS bc, l.interview_id {join})
        SELECT p.interview_id, ma.grp, mb.grp, count(DISTINCT p.a), count(*)
          FROM p JOIN m ma ON ma.code_id = p.ac JOIN m mb ON mb.code_id = p.bc
         WHERE ma.grp <> mb.grp
         GROUP BY p.interview_id, ma.grp, mb.grp
        UNION ALL
        SELECT v.interview_id, m.grp, NULL, count(*), NULL FROM v JOIN m ON m.code_id = v.code_id
         GROUP BY v.interview_id, m.grp"""
    return sql, params


def measures(codings: int, interviews: int, pairs: int, n1: int, n2: int) -> Pair:
    """The normalised measures of a pair of codes whose codings number n1 and n2.

    Jaccard: the codings of either code that come together with the other, over all their
    codings, (a12 + b12) / (n1 + n2): from 0 (never together) to 1 (always).
    c-coefficient (ATLAS.ti): n12 / (n1 + n2 − n12), n12 the pairs of codings together. ATLAS.ti
    says it assumes separate passages; when codings meet several of the other code's, n12 passes
    min(n1, n2) and c leaves [0, 1]: then it is None ("out of range", as ATLAS.ti marks it)."""
    jaccard = codings / (n1 + n2) if n1 + n2 else 0.0
    c = pairs / (n1 + n2 - pairs) if pairs <= min(n1, n2) and n1 + n2 > pairs else None
    unequal = bool(n1 and n2 and max(n1, n2) > 5 * min(n1, n2))
    return Pair(codings, interviews, pairs, jaccard, c, unequal)


# --- Code × attribute ----------------------------------------------------------------------


@dataclass
class Column:
    key: str  # stable within the table: the band's index, the value's folded text, or "unset"
    label: str
    params: list[tuple[str, str]]  # the excerpt filters that select it
    interviews: int = 0  # interviews of the project in this column (all codes)


def crosstab(
    filters: Filters, groups: dict[int, set[int]], attribute, band_sql: str, band_params: list
) -> dict[tuple[int, str], tuple[int, int]]:
    """{(group, column key): (codings, interviews)}; `band_sql` maps the value row `a` (text,
    number, date; NULL when the participant has none) to the column's key."""
    start, params = cte(filters, groups, materialized=False)
    # Codings counted per (code, interview) first: 11,000 rows at M to join and group, not 100,000.
    sql = f"""{start},
        n AS (SELECT code_id, interview_id, count(*) AS n FROM v GROUP BY 1, 2)
        SELECT m.grp, {band_sql}, sum(n.n), count(DISTINCT n.interview_id)
          FROM n JOIN m ON m.code_id = n.code_id
          LEFT JOIN interviews_attributevalue a
                 ON a.interview_id = n.interview_id AND a.attribute_id = %s
         GROUP BY 1, 2"""
    rows = kept_rows(filters, "crosstab", sql, [*params, *band_params, attribute.pk])
    return {(grp, str(key)): (int(n), interviews) for grp, key, n, interviews in rows}


def column_interviews(filters: Filters, attribute, band_sql: str, band_params: list) -> dict:
    """How many of the interviews passing the filters fall in each column."""
    ids = list(queries.interviews(filters).values_list("pk", flat=True))
    sql = f"""
        SELECT {band_sql}, count(*) FROM interviews_interview i
          LEFT JOIN interviews_attributevalue a ON a.interview_id = i.id AND a.attribute_id = %s
         WHERE i.id = ANY(%s::bigint[])
         GROUP BY 1"""
    return {str(key): n for key, n in _rows(sql, [*band_params, attribute.pk, ids])}


# --- Code × speaker role -------------------------------------------------------------------

ROLES = ("participant", "interviewer", "other", "none")


def speakers(
    filters: Filters, groups: dict[int, set[int]], rule: str
) -> dict[tuple[int, str], tuple[int, int]]:
    """{(group, role): (codings, interviews)}, each coding attributed by the rule of
    excerpts.proximity.role_condition (a participant's words first, or every role covered).

    Every coding lies in one interview: the numbers add up over interviews, and are kept by
    `additive_rows` as the co-occurrence's are. Telling each coding's roles joins every coding with
    the turns (4.7 s at L); a visit after a change counts only the interviews it touched."""
    sums = additive_rows(
        filters, "speakers", lambda some: _speakers_sql(filters, groups, rule, some)
    )
    return {
        (grp, ROLES[role]): (codings, interviews)
        for (grp, role), (codings, interviews, _pairs) in sums.items()
    }


def _speakers_sql(
    filters: Filters, groups: dict[int, set[int]], rule: str, interviews: list[int] | None
) -> tuple[str, list]:
    """Per interview, group and role (its place in ROLES): the codings said by that role, in the
    shape of additive_rows' rows. Each coding's roles are read once, a row for each role it
    counts for (none, one, or several with the rule "every")."""
    start, params = cte(filters, groups, interviews=interviews)
    said = ", ".join(
        f"({index}, {proximity.role_condition(role, rule)})" for index, role in enumerate(ROLES)
    )
    sql = f"""{start},
        r AS ({proximity.roles_sql("v", ("interview_id", "code_id"))})
        SELECT r.interview_id, m.grp, x.role, count(*), NULL::bigint
          FROM r JOIN m ON m.code_id = r.code_id
          CROSS JOIN LATERAL (VALUES {said}) x(role, yes)
         WHERE x.yes
         GROUP BY 1, 2, 3"""
    return sql, params


# --- Where codes are in the text -----------------------------------------------------------


@dataclass
class Strip:
    """One interview as a strip: each group's passages as (start, end), merged where they meet."""

    interview_id: int
    title: str
    length: int
    passages: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def strips(filters: Filters, groups: dict[int, set[int]], interview_ids: list[int]) -> list[Strip]:
    """The strips of these interviews (in this order): one statement, PostgreSQL merging each
    group's ranges (range_agg)."""
    start, params = cte(filters, groups, interviews=interview_ids, materialized=False)
    sql = f"""{start}
        SELECT x.interview_id, x.grp, lower(x.r), upper(x.r)
          FROM (SELECT v.interview_id, m.grp,
                       unnest(range_agg(int4range(v.start, v."end"))) AS r
                  FROM v JOIN m ON m.code_id = v.code_id
                 GROUP BY v.interview_id, m.grp) x
         ORDER BY 1, 2, 3"""
    found: dict[int, Strip] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, title, text_length FROM interviews_interview WHERE id = ANY(%s)",
            [interview_ids],
        )
        for pk, title, length in cursor.fetchall():
            found[pk] = Strip(pk, title, length)
    for interview_id, grp, low, high in _rows(sql, params):
        found[interview_id].passages.setdefault(grp, []).append((low, high))
    return [found[pk] for pk in interview_ids if pk in found]


# --- Coding progress -----------------------------------------------------------------------


@dataclass
class Progress:
    codings: int
    coded: int  # characters coded (a character under several codings counts once)
    approved: int
    pending: int
    needs_change: int


def progress(
    filters: Filters, groups: dict[int, set[int]], interviews: list[int] | None = None
) -> dict[tuple[int, int], Progress]:
    """{(interview, coder): Progress}, of `interviews` only when given (a page of them)."""
    start, params = cte(filters, groups, "status", interviews=interviews, materialized=False)
    sql = f"""{start}
        SELECT v.interview_id, v.coder_id, count(*),
               (SELECT coalesce(sum(upper(x) - lower(x)), 0)
                  FROM unnest(range_agg(int4range(v.start, v."end"))) x),
               count(*) FILTER (WHERE v.status = 'approved'),
               count(*) FILTER (WHERE v.status = 'pending'),
               count(*) FILTER (WHERE v.status = 'needs_change')
          FROM v GROUP BY 1, 2"""
    rows = kept_rows(filters, "progress", sql, params)
    return {(i, c): Progress(*numbers) for i, c, *numbers in rows}
