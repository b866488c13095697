"""Querying the excerpts that valid `Filters` (excerpts/filters.py) describe: the codings of the
project, with what an excerpt shows — speaker, memo count (the context before and after is the
coding's own: migration coding 0016).

Shared by the excerpts page, the review queue, the exports and the analysis pages.
"""

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from coding.models import (
    Code,
    CodeTotal,
    Coding,
    ConsensusCoder,
    DetachedCoding,
    Memo,
    PendingCount,
    ReviewEvent,
)
from excerpts import proximity
from excerpts.filters import OPERATORS, ROLES, AttributeCondition, Filters
from interviews.models import (
    Attribute,
    AttributeValue,
    Interview,
    Membership,
    Recording,
    Speaker,
    Turn,
)
from verbatim import people, plain_sql


def codings(filters: Filters) -> QuerySet[Coding]:
    """Filtered codings of the project, with code, coder and interview (without its text),
    ordered by interview title, interview, start, id. Each is annotated with `speaker_name` (of
    the turn where it starts, or None) and `memo_count`. Valid only when `is_valid()`.

    The memo count is a correlated subquery on purpose: PostgreSQL evaluates it only for the rows
    that survive ORDER BY … LIMIT.
    """
    assert filters.is_valid(), "codings() needs valid filters"
    codings = Coding.objects.filter(_conditions(filters))
    return (
        codings.select_related("code", "coder", "interview")
        .defer("interview__text")
        .annotate(speaker_name=speaker_name(), memo_count=_memo_count())
        .order_by(*ORDER)
    )


def count(filters: Filters, limit: int | None = None) -> int:
    """How many codings pass the filters, counting at most `limit + 1` (so that "more than
    `limit`" costs the same whatever the project's size)."""
    return plain_sql.batch(count_query(filters, limit))[0][0][0]


def count_query(filters: Filters, limit: int | None) -> tuple[str, tuple]:
    assert filters.is_valid(), "count() needs valid filters"
    if _pending_only(filters):
        return PENDING_COUNT, [None if limit is None else limit + 1, filters.project.pk]
    codes = codes_only(filters)
    if codes is not None:
        return CODES_COUNT, [None if limit is None else limit + 1, codes]
    # Without ORDER BY, a project implied by the codes or interviews needs no join.
    implied = bool(filters.code_ids or filters.interviews)
    conditions = _conditions(filters, state_project=not implied)
    codings = Coding.objects.filter(conditions).order_by().values("pk")
    if limit is not None:
        codings = codings[: limit + 1]
    sql, params = statement_of(codings)
    return f"SELECT count(*) FROM ({sql}) counted", params


# The review queue as it opens: every pending coding of the project, summed from each interview's
# count (coding.PendingCount, kept by triggers) rather than counted. least() ignores a NULL limit.
PENDING_COUNT = plain_sql.Prepared(f"""
    SELECT least(coalesce(sum(c.pending), 0), %s::bigint)
      FROM {PendingCount._meta.db_table} c
      JOIN {Interview._meta.db_table} i ON i.id = c.interview_id
     WHERE i.project_id = %s""")


def _pending_only(filters: Filters) -> bool:
    """Whether the filters ask for the project's pending codings, all of them, for someone who may
    see them all."""
    return (
        filters.statuses == [Coding.Status.PENDING]
        and filters.seen.everything
        and not dataclasses.replace(filters, statuses=[]).is_active
    )


def codes_only(filters: Filters) -> list[int] | None:
    """The codes (with their subcodes if asked), when codes are all the filters ask, any of them,
    of someone who may see every coding: the codebook's link to a code's excerpts, the page most
    opened, and one code's export. Their statements are then written here (CODES_COUNT,
    CODES_PAGE) rather than compiled by the ORM, which took 0.7 ms of that page for the two;
    tests/excerpts/test_queries.py holds them to the ORM's on the same filters."""
    groups = filters.code_groups()
    if not groups or not filters.seen.everything or (filters.match == "all" and len(groups) > 1):
        return None
    if dataclasses.replace(filters, code_ids=[]).is_active:
        return None
    return sorted(set().union(*groups))


# The codings of some codes, counted: the sum of their totals (CodeTotal, kept by triggers; a code
# is a project's), at most the limit, as counting would stop there. least() ignores a NULL.
CODES_COUNT = plain_sql.Prepared(f"""
    SELECT least(coalesce(sum(codings), 0), %s::bigint)
      FROM {CodeTotal._meta.db_table} WHERE code_id = ANY(%s::bigint[])""")
# A page of them in excerpt order (ORDER), the project stated as _base states it. Not prepared:
# the best plan depends on how many codings the codes have (a generic one would walk the project's
# interviews in title order for a code of ten codings too).
CODES_PAGE = f"""
    SELECT k.id FROM {Coding._meta.db_table} k
      JOIN {Interview._meta.db_table} i ON i.id = k.interview_id
     WHERE i.project_id = %s AND k.code_id = ANY(%s::bigint[])
     ORDER BY i.title, k.interview_id, k.start, k.id LIMIT %s OFFSET %s"""


def statement_of(queryset: QuerySet) -> tuple[str, tuple]:
    """The queryset's statement, to send with others (plain_sql.batch); one that returns nothing
    when the ORM knows it matches nothing (filters naming no code, say) and would send none."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return "SELECT 1 LIMIT 0", ()


ORDER = ("interview__title", "interview_id", "start", "pk")  # the excerpts' order everywhere


def page_ids_query(filters: Filters, offset: int, limit: int, order) -> tuple[str, tuple]:
    """The ids of `limit` filtered codings from `offset`, in excerpt order (or `order`): a slim
    statement (no join but the interview, for its title) that pages read their rows after."""
    assert filters.is_valid(), "page_ids_query() needs valid filters"
    codes = codes_only(filters) if order == ORDER else None
    if codes is not None:
        return CODES_PAGE, [filters.project.pk, codes, limit, offset]
    codings = Coding.objects.filter(_conditions(filters)).order_by(*order)
    return statement_of(codings.values_list("pk", flat=True)[offset : offset + limit])


class Excerpt:
    """What a page shows of a coding (`excerpts_and_count`), flat: no model instances to build.
    The page adds `play` (the excerpts view)."""

    __slots__ = (
        *("pk", "interview_id", "code_id", "coder_id", "start", "end", "text", "status"),
        *("context_before", "context_after", "created_at", "code_name", "title", "participant"),
        *("coder_name", "speaker_name", "memo_count", "last_comment", "recording_id", "play"),
    )

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=False):
            setattr(self, name, value)


def speaker_join(alias: str) -> str:
    """The join that names `sp` the speaker in whose turn the coding aliased `alias` starts
    (`Coding.speaker`, kept by triggers: migration coding 0020), so that `sp.name` is its name;
    NULL between turns. The pages, the review queue and the exports read the speaker so."""
    return f"LEFT JOIN {Speaker._meta.db_table} sp ON sp.id = {alias}.speaker_id"


# What an excerpt shows of a coding aliased k, beside its own columns (plain SQL: the ORM took four
# times longer to build these than PostgreSQL to run them).
MEMO_COUNT_SQL = f"(SELECT count(*) FROM {Memo._meta.db_table} m WHERE m.coding_id = k.id)"
LAST_COMMENT_SQL = f"""(SELECT r.comment FROM {ReviewEvent._meta.db_table} r
             WHERE r.coding_id = k.id ORDER BY r.created_at DESC, r.id DESC LIMIT 1)"""

# The codings of a page (plain_sql.PAGE, its ids), in the order of the ids, in one statement.
EXCERPT_ROWS = plain_sql.Prepared(f"""
    SELECT k.id, k.interview_id, k.code_id, k.coder_id, k.start, k."end", k.text, k.status,
           k.context_before, k.context_after, k.created_at, code.name, i.title, i.participant,
           {people.name_sql("u")},
           sp.name, {MEMO_COUNT_SQL}, {LAST_COMMENT_SQL},
           (SELECT min(r.id) FROM {Recording._meta.db_table} r WHERE r.interview_id = i.id)
      FROM unnest({plain_sql.PAGE}) WITH ORDINALITY AS page(id, n)
      JOIN {Coding._meta.db_table} k ON k.id = page.id
      JOIN {Code._meta.db_table} code ON code.id = k.code_id
      JOIN {Interview._meta.db_table} i ON i.id = k.interview_id
      JOIN auth_user u ON u.id = k.coder_id
      {speaker_join("k")}
     ORDER BY page.n""")


def excerpts_and_count(
    filters: Filters, offset: int, limit: int, count_limit: int
) -> tuple[list[Excerpt], int]:
    """`limit` excerpts from `offset` in excerpt order (`EXCERPT_ROWS` of `page_ids_query`)
    and `count(filters, count_limit)`, in one round trip (plain_sql.paged)."""
    ((counted,),), rows = plain_sql.paged(
        page_ids_query(filters, offset, limit, ORDER),
        count_query(filters, count_limit),
        (EXCERPT_ROWS, []),
    )
    return [Excerpt(*row) for row in rows], counted


# --- What the filter forms offer: plain SQL, read on every full page -------------------------------


class Member(NamedTuple):
    pk: int
    name: str  # the full name, else the username
    username: str


MEMBER_ORDERS = {"name": "u.first_name, u.last_name, u.username", "username": "u.username"}


def _members_query(project_id: int, order: str) -> tuple[str, list]:
    # Who may have coded in the project: its members, and its consensus identity.
    return (
        plain_sql.prepared(
            f"SELECT u.id, {people.name_sql('u')}, u.username FROM auth_user u WHERE u.id IN ("
            f" SELECT user_id FROM {Membership._meta.db_table} WHERE project_id = %s UNION"
            f" SELECT user_id FROM {ConsensusCoder._meta.db_table} WHERE project_id = %s)"
            f" ORDER BY {MEMBER_ORDERS[order]}"
        ),
        [project_id, project_id],
    )


class AttributeChoice(NamedTuple):
    pk: int
    name: str
    known_values: list[str]  # the values interviews have, else the attribute's choices


# The project's attributes in their order, each with the values its interviews have.
ATTRIBUTE_CHOICES = plain_sql.Prepared(
    "SELECT a.id, a.name, a.choices, ARRAY(SELECT DISTINCT v.text"
    f" FROM {AttributeValue._meta.db_table} v"
    " WHERE v.attribute_id = a.id AND v.text <> '' ORDER BY v.text)"
    f" FROM {Attribute._meta.db_table} a WHERE a.project_id = %s"
    " ORDER BY a.position, a.name"
)


def _attribute_choices(rows) -> list[AttributeChoice]:
    return [AttributeChoice(pk, name, known or choices) for pk, name, choices, known in rows]


class FormChoices(NamedTuple):
    members: list[Member]
    interview_count: int
    attributes: list[AttributeChoice]


INTERVIEW_COUNT = plain_sql.Prepared(
    f"SELECT count(*) FROM {Interview._meta.db_table} WHERE project_id = %s"
)


def form_choices_queries(project_id: int) -> list[tuple[str, list]]:
    """What the excerpts page's filter form offers (members, how many interviews, attributes): the
    statements, for a batch (coding.visibility.project_for); `form_choices` reads their rows."""
    return [
        _members_query(project_id, "name"),
        (INTERVIEW_COUNT, [project_id]),
        (ATTRIBUTE_CHOICES, [project_id]),
    ]


def form_choices(members, counted, attributes) -> FormChoices:
    ((count,),) = counted
    return FormChoices([Member(*row) for row in members], count, _attribute_choices(attributes))


def menu_queries(project_id: int) -> list[tuple[str, list]]:
    """The review queue's menus: the members by username, and how many interviews the project
    has (its interview list loads when opened: excerpts/interview_list.py); `menus` reads them."""
    return [_members_query(project_id, "username"), (INTERVIEW_COUNT, [project_id])]


def menus(members, counted) -> tuple[list[Member], int]:
    ((count,),) = counted
    return [Member(*row) for row in members], count


def matching(filters: Filters) -> QuerySet[Coding]:
    """The codings that pass the filters, bare: no ordering, no annotations, nothing joined. The
    analysis pages build on it (analysis/queries.py)."""
    assert filters.is_valid(), "matching() needs valid filters"
    return Coding.objects.filter(_conditions(filters)).order_by()


def _conditions(filters: Filters, *, state_project: bool = True) -> Q:
    groups = filters.code_groups()
    conditions = _base(filters, state_project=state_project)
    if not groups:
        return conditions
    listed = Q(code_id__in=sorted(set().union(*groups)))
    conditions &= listed
    relations = Q()
    if filters.match == "all" and len(groups) > 1:
        for group in groups:
            # Codings of the group pass as they are: only the others need a coding of it nearby.
            others = listed & ~Q(code_id__in=sorted(group))
            relations &= Q(code_id__in=sorted(group)) | _related(filters, others, group, "with")
    for group in filters.code_groups(filters.without_ids):
        relations &= ~_related(filters, listed, group, "with")
    if filters.followed_by:
        group = filters.code_groups([filters.followed_by])[0]
        relations &= _related(filters, listed, group, "followed")
    return conditions & relations


def _base(filters: Filters, *, state_project: bool = True) -> Q:
    """Every condition but the codes: what the codings on both sides of a relation pass.

    A rule about who may see which codings belongs here (or below), so that the excerpts, the
    other side of every relation and the analysis tables all obey it."""
    # Stated even when chosen codes or interviews imply it: it lets PostgreSQL walk the project's
    # interviews in title order (index (project, title)) and stop after one page.
    conditions = Q(interview__project_id=filters.project.pk) if state_project else Q()
    conditions &= filters.seen.q()  # never a coding the asker may not see (coding/visibility.py)
    if filters.coders:
        conditions &= Q(coder_id__in=sorted(filters.coders))
    if filters.interviews:
        conditions &= Q(interview_id__in=sorted(filters.interviews))
    if filters.attributes or filters.unset:
        conditions &= Q(interview_id__in=_attribute_interviews(filters))
    if filters.speaker:
        conditions &= Q(_speaker_condition(filters))
    if filters.statuses:
        conditions &= Q(status__in=filters.statuses)
    if filters.date_from:
        conditions &= Q(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        conditions &= Q(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.role:
        conditions &= _role_condition(filters, conditions)
    return conditions


CODING_COLUMNS = ("id", "interview_id", "code_id", "coder_id", "start", "end")


def as_sql(codings: QuerySet[Coding]) -> tuple[str, tuple]:
    """The SQL of `codings` as rows of CODING_COLUMNS, to use as a CTE."""
    return codings.order_by().values_list(*CODING_COLUMNS).query.sql_with_params()


def _related(filters: Filters, listed: Q, group: set[int], relation: str) -> Q:
    """Codings (of the listed codes) together with, or followed by, a coding of `group`
    (excerpts/proximity.py), the latter passing the same filters but the codes."""
    base = _base(filters)
    candidates, params = as_sql(Coding.objects.filter(base & listed))
    peers, peer_params = as_sql(Coding.objects.filter(base & Q(code_id__in=sorted(group))))
    sql = (
        f"WITH a AS MATERIALIZED ({candidates}), b AS MATERIALIZED ({peers}) "
        + proximity.related_sql("a", "b", filters.near, relation)
    )
    return Q(pk__in=RawSQL(sql, (*params, *peer_params)))


def _role_condition(filters: Filters, others: Q) -> Q:
    """Codings in the words of the chosen role (excerpts/proximity.py, roles_sql), among those
    passing the `others` conditions."""
    candidates, params = as_sql(
        Coding.objects.filter(others, interview__project_id=filters.project.pk)
    )
    sql = (
        f"WITH a AS MATERIALIZED ({candidates}) SELECT r.id FROM ({proximity.roles_sql('a')}) r"
        f" WHERE {proximity.role_condition(filters.role, filters.role_rule)}"
    )
    return Q(pk__in=RawSQL(sql, params))


def interviews(filters: Filters) -> QuerySet[Interview]:
    """The project's interviews that pass the interview and participant attribute filters."""
    chosen = Interview.objects.filter(project=filters.project)
    if filters.interviews:
        chosen = chosen.filter(pk__in=sorted(filters.interviews))
    if filters.attributes or filters.unset:
        chosen = chosen.filter(pk__in=_attribute_interviews(filters))
    return chosen


def _attribute_interviews(filters: Filters) -> list[int]:
    """The interviews whose participants pass every attribute condition, read once.

    A list of ids rather than a subquery: PostgreSQL then knows how many interviews pass and
    plans the page accordingly (it guessed one for `upper(text) = …`, and chose badly)."""
    if "attribute_interviews" not in filters.cache:
        interviews = Interview.objects.filter(project=filters.project)
        for values in _attribute_conditions(filters):
            interviews = interviews.filter(pk__in=values)
        for pk in filters.unset:
            interviews = interviews.exclude(pk__in=_set_values(pk))
        filters.cache["attribute_interviews"] = sorted(interviews.values_list("pk", flat=True))
    return filters.cache["attribute_interviews"]


def _attribute_conditions(filters: Filters):
    """For each attribute filtered on: the interviews whose value passes, as a subquery."""
    by_attribute: dict[int, list[AttributeCondition]] = {}
    for condition in filters.attributes:
        by_attribute.setdefault(condition.attribute.pk, []).append(condition)
    for pk, conditions in by_attribute.items():
        column = {Attribute.Type.NUMBER: "number", Attribute.Type.DATE: "date"}.get(
            conditions[0].attribute.type, "text"
        )
        equal, compared = Q(), Q()
        for condition in conditions:
            lookup = "iexact" if column == "text" else OPERATORS[condition.operator]
            test = Q(**{f"{column}__{lookup}": condition.value})
            if condition.operator == "=":
                equal |= test  # several plain values: any of them
            else:
                compared &= test  # comparisons: all of them (a range)
        values = AttributeValue.objects.filter(Q(attribute_id=pk) & equal & compared)
        yield values.values("interview_id")


def _set_values(attribute_id: int):
    """The interviews with a value for the attribute (an empty text or no number is none)."""
    filled = Q(number__isnull=False) | Q(date__isnull=False) | ~Q(text="")
    return AttributeValue.objects.filter(Q(attribute_id=attribute_id) & filled).values(
        "interview_id"
    )


def _speaker_condition(filters: Filters) -> Subquery:
    """Whether the coding starts in a turn of the chosen speaker(s), as a boolean subquery: one
    backward index probe per coding (see _starting_turn), where EXISTS would walk the
    interview's turns from its first. A bare boolean also gets PostgreSQL's neutral estimate
    (half the rows), so a page of a common code still walks interviews in title order.

    Not `Coding.speaker IN (…)`, though it holds the same answer: PostgreSQL estimates that IN, and
    a rare speaker's first page at M (369 of 105,000 codings) then walked the codings in title
    order reading each one's row: 1,254 ms against 47 (docs/benchmarks.md, nineteenth round)."""
    speakers = Speaker.objects.filter(interview__project=filters.project)
    if filters.speaker in ROLES:
        speakers = speakers.filter(role=filters.speaker)
    else:
        speakers = speakers.filter(
            Q(label__iexact=filters.speaker) | Q(name__iexact=filters.speaker)
        )
    # An uncorrelated IN: hashed once per query, then one probe per coding.
    return _starting_turn(Q(speaker_id__in=speakers.values("pk")))


def detached(filters: Filters) -> QuerySet[DetachedCoding]:
    """The codings a correction detached (their words deleted) that the filters' codes, coders and
    interviews would list; none when a filter only codings have (review state, dates, speaker,
    overlapping codes) is on. For exports, which say what was detached."""
    assert filters.is_valid(), "detached() needs valid filters"
    if filters.statuses or filters.date_from or filters.date_to or filters.speaker or filters.role:
        return DetachedCoding.objects.none()
    if filters.match == "all" and len(filters.code_ids) > 1:
        return DetachedCoding.objects.none()
    if filters.without_ids or filters.followed_by:
        return DetachedCoding.objects.none()
    found = DetachedCoding.objects.filter(interview__project_id=filters.project.pk)
    found = found.filter(filters.seen.q())  # a blind round hides them as it hides codings
    groups = filters.code_groups()
    if groups:
        found = found.filter(code_id__in=sorted(set().union(*groups)))
    if filters.coders:
        found = found.filter(coder_id__in=sorted(filters.coders))
    if filters.interviews:
        found = found.filter(interview_id__in=sorted(filters.interviews))
    if filters.attributes:
        found = found.filter(interview_id__in=_attribute_interviews(filters))
    return found.select_related("interview", "code", "coder").order_by(
        "interview__title", "interview_id", "start", "pk"
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The annotations: correlated subqueries (see ExcerptFilter.codings) ---------------------------


def _starting_turn(condition: Q) -> Subquery:
    """Whether the turn in which the coding starts meets `condition` (NULL when it starts between
    turns).

    The last turn starting at or before the coding (index (interview, start), read backwards) holds
    the coding's start when it ends after it: one index probe, whatever the interview's length."""
    found = When(Q(end__gt=OuterRef("start")) & condition, then=Value(True))
    turns = (
        Turn.objects.filter(interview_id=OuterRef("interview_id"), start__lte=OuterRef("start"))
        .order_by("-start")
        .annotate(value=Case(found, default=None, output_field=BooleanField()))
        .values("value")[:1]
    )
    return Subquery(turns, output_field=BooleanField())


def speaker_name() -> F:
    """The name of the speaker in whose turn a coding starts (None between turns)."""
    return F("speaker__name")


def _memo_count():
    memos = (
        Memo.objects.filter(coding_id=OuterRef("pk"))
        .order_by()
        .values("coding_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(memos, output_field=IntegerField()), Value(0))
