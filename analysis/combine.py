"""The query page's queries: codes combined by position (A AND B, A NEAR B, A NOT B, A FOLLOWED BY
B, any of), with words of the transcripts and the usual filters.

A query is its address: `a=` and `b=` (code ids), `op=any|and|near|not|followed`, `near=`,
`subcodes=1`, `q=` (words, searched as the search page does), `unit=codings|passages` and every
excerpt filter (coder, attribute/value, status…). Apart from `q`, it translates into the excerpt
filters of excerpts/filters.py, so "open as excerpts" shows the same codings, by the same SQL.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.http import QueryDict
from django.utils.translation import gettext as _

from excerpts import queries
from excerpts.filters import Filters, read_filters
from search import index

OPERATORS = ("any", "and", "near", "not", "followed")
QUERY_KEYS = ("a", "b", "op", "q", "unit")
MAX_PASSAGES = 2000  # "code all results" beyond this asks for a narrower query, as search does


@dataclass
class CombinedQuery:
    filters: Filters
    op: str = "any"
    a: list[int] = field(default_factory=list)
    b: list[int] = field(default_factory=list)
    text: str = ""
    unit: str = "codings"
    errors: list[str] = field(default_factory=list)
    search: index.Query | None = None

    @property
    def ready(self) -> bool:
        return not self.errors and self.filters.is_valid() and bool(self.a)

    def querystring(self) -> str:
        """The query as the page's address (saved queries keep it)."""
        data = QueryDict(mutable=True)
        data.setlist("a", [str(pk) for pk in self.a])
        data.setlist("b", [str(pk) for pk in self.b])
        data["op"] = self.op
        if self.text:
            data["q"] = self.text
        if self.unit != "codings":
            data["unit"] = self.unit
        rest = QueryDict(
            self.filters.querystring(
                code=None, match=None, without=None, followed_by=None, page=None
            )
        )
        for key in rest:
            data.setlist(key, rest.getlist(key))
        if self.filters.near.param and self.op in ("near", "not", "followed"):
            data["near"] = self.filters.near.param
        return data.urlencode()

    def excerpts_query(self) -> str:
        """The same codings on the excerpts page (words apart: the excerpts page has no `q`)."""
        return self.filters.querystring(page=None)


def _ids(data, key: str) -> list[int]:
    values = data.getlist(key) if hasattr(data, "getlist") else data.get(key, [])
    return [int(v) for v in values if str(v).isascii() and str(v).isdigit() and len(str(v)) < 19]


def read_query(project, data, *, user=None) -> CombinedQuery:
    """The query of `data` (a QueryDict), each problem named in `errors` or the filters'."""
    op = data.get("op", "any") or "any"
    a, b = _ids(data, "a"), _ids(data, "b")
    params = data.copy() if hasattr(data, "copy") else QueryDict(mutable=True)
    for key in ("code", "match", "without", "followed_by", *QUERY_KEYS):
        params.pop(key, None)
    errors = []
    if op not in OPERATORS:
        errors.append(_("“%(value)s” is not a way to combine codes.") % {"value": op})
        op = "any"
    if op == "any":
        params.setlist("code", [str(pk) for pk in a + b])
        params.pop("near", None)
    elif op in ("and", "near"):
        params.setlist("code", [str(pk) for pk in a + b])
        params["match"] = "all"
        if op == "and":
            params.pop("near", None)
    elif op == "not":
        params.setlist("code", [str(pk) for pk in a])
        params.setlist("without", [str(pk) for pk in b])
    else:
        params.setlist("code", [str(pk) for pk in a])
        params.setlist("followed_by", [str(pk) for pk in b[:1]])
        if len(b) > 1:
            errors.append(_("A passage can be followed by one code at a time."))
    filters = read_filters(project, params, user=user)
    query = CombinedQuery(filters, op, a, b, unit=data.get("unit", "codings") or "codings")
    query.errors = errors
    if query.unit not in ("codings", "passages"):
        query.errors.append(_("Show codings or passages."))
        query.unit = "codings"
    if not a and (b or data.get("op")):
        query.errors.append(_("Choose at least one code for A: a query finds coded passages."))
    if op != "any" and not b:
        query.errors.append(_("Choose the code B that A must be combined with."))
    if op == "near" and not filters.near.param:
        query.errors.append(_("Say how near: a number of characters, the same paragraph or turn."))
    text = " ".join(str(data.get("q", "")).split())
    if text:
        query.text = text
        try:
            query.search = index.parse(project.pk, text)
        except index.SearchError as error:
            query.errors.append(error.message)
    return query


def _hits_sql(query: CombinedQuery) -> tuple[str, list]:
    """The codings that overlap a paragraph with the query's words, as a condition on `c`."""
    found = index.hits(query.search, marks=False)
    return (
        "EXISTS (SELECT 1 FROM unnest(%s::bigint[], %s::int[], %s::int[]) h (i, s, e)"
        ' WHERE h.i = c.interview_id AND h.s < c."end" AND c.start < h.e)',
        [[h.interview_id for h in found], [h.start for h in found], [h.end for h in found]],
    )


@dataclass
class Passage:
    interview_id: int
    title: str
    start: int
    end: int
    text: str
    codes: list[str]


def results(query: CombinedQuery, limit: int | None = 50) -> tuple[int, int, list[Passage]]:
    """(codings, passages, the first `limit` passages): the matching codings, or their union
    where they meet (within the distance asked), with their text and codes."""
    sql, params = queries.as_sql(queries.matching(query.filters))
    condition, extra = ("true", [])
    if query.search is not None:
        condition, extra = _hits_sql(query)
    near = query.filters.near
    reach = near.chars + 1 if near.kind == "chars" and query.unit == "passages" else 0
    islands = "g.id" if query.unit == "codings" else "island"
    statement = f"""
        WITH c AS MATERIALIZED (SELECT * FROM ({sql}) c WHERE {condition}),
        o AS (SELECT c.*, CASE WHEN c.start < max(c."end") OVER w + %s THEN 0 ELSE 1 END AS gap
                FROM c WINDOW w AS (PARTITION BY c.interview_id ORDER BY c.start, c."end", c.id
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
        g AS (SELECT o.*, sum(gap) OVER (PARTITION BY o.interview_id
                                         ORDER BY o.start, o."end", o.id) AS island FROM o),
        p AS (SELECT g.interview_id, min(g.start) AS start, max(g."end") AS "end",
                     array_agg(DISTINCT k.name) AS codes
                FROM g JOIN coding_code k ON k.id = g.code_id
               GROUP BY g.interview_id, {islands})
        SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM p),
               p.interview_id, i.title, p.start, p."end",
               substr(i.text, p.start + 1, least(p."end" - p.start, 1200)), p.codes
          FROM (SELECT * FROM p ORDER BY interview_id, start LIMIT %s) p
          JOIN interviews_interview i ON i.id = p.interview_id
         ORDER BY i.title, p.interview_id, p.start"""
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *extra, reach, limit])
        rows = cursor.fetchall()
    if not rows:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) c WHERE {condition}", [*params, *extra])
            return cursor.fetchone()[0], 0, []
    codings, passages = rows[0][0], rows[0][1]
    return codings, passages, [Passage(*row[2:]) for row in rows]


def ranges(query: CombinedQuery) -> dict[int, list[tuple[int, int]]]:
    """Every result as {interview id: [(start, end)…]}, merged where they meet: what "code all
    results" codes."""
    _codings, _count, found = results(query, limit=None)
    spans: dict[int, list[tuple[int, int]]] = {}
    for passage in found:
        spans.setdefault(passage.interview_id, []).append((passage.start, passage.end))
    return {pk: index.merged(s) for pk, s in spans.items()}
