"""What an export of excerpts reads: its rows as plain tuples, and what goes beside them.

One round trip (`read`) brings the project's attributes and their values, the codings a
correction detached, and, when they are at most CHUNK, the rows themselves (and so their number).
A larger export streams its rows, which PostgreSQL sends with COPY (`Read.rows`). A CSV never
reads its rows into Python: PostgreSQL writes its records (`Read.csv_records`), attribute
cells included (`CELLS`). No transcript is read: each coding carries its context
(migration coding 0016).

The rows' statement is written here rather than built by the ORM: the queryset it replaced
(excerpts.queries.codings, then three annotations and a `values()` of joined fields) took 4 ms to
build and compile and its rows a dictionary each, where one code's export is 450 rows. The ORM
still writes which codings pass the filters (`excerpts.queries.matching`): the statement joins and
orders them, and joins each one's speaker as the excerpts page does (`queries.speaker_join`).
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone

from coding.models import Code, Coding, DetachedCoding, Memo, ReviewEvent
from excerpts import queries
from excerpts.filters import Filters
from exports import cells
from interviews.models import Attribute, AttributeValue, Interview, typed_value
from verbatim import people, plain_sql

CHUNK = 2000  # at most this many rows come with the rest, in one round trip; more stream

# The columns of each coding that pass the filters: the statement's subquery `c`.
CHOSEN = (
    "id",
    "interview_id",
    "code_id",
    "coder_id",
    "start",
    "end",
    "text",
    "context_before",
    "context_after",
    "status",
    "created_at",
    "speaker_id",
    "noted",
)

# One row per coding: (interview id, title, participant, speaker, code id, code name, coded text,
# context before, context after, coder, review state, last review comment, memos, start, end,
# created). The speaker is the coding's own (a join on `Coding.speaker`: the correlated probe of
# the turns it replaced was 15 % of a 10,000-row export). The last review comment and the memos
# are correlated subqueries on indexes: PostgreSQL evaluates them only for the rows it returns,
# and only for a coding that may have one (`Coding.noted`, kept by triggers: migration coding
# 0026); probing every row was a quarter of one code's CSV at L (twenty-seventh round). A coding
# whose review events have no comment is not noted: its cell is empty, as its last comment is.
# The comment and the memos are read only where a probe finds one, since most codings have neither:
# an aggregate with its sort (the memos), or a limited backward scan (the comment), set up again
# for every row cost more than the probe (the 6,921-row CSV at L: 142 ms to 127). The probe is a
# scalar subquery, not EXISTS, which PostgreSQL may turn into a hash of every review event in the
# database, built on each export (one code's CSV at L: 23 ms to 67; docs/benchmarks.md, eighteenth
# round).
# `created` is the moment in the site's time zone, to the second and without zone (spreadsheets
# have none).
ROWS = f"""
SELECT c.interview_id, i.title, i.participant, sp.name, c.code_id, k.name,
       c.text, c.context_before, c.context_after, {people.name_sql("u")}, c.status,
       CASE WHEN c.noted THEN
           CASE WHEN (SELECT true FROM {ReviewEvent._meta.db_table} r WHERE r.coding_id = c.id LIMIT 1)
                THEN (SELECT r.comment FROM {ReviewEvent._meta.db_table} r WHERE r.coding_id = c.id
                       ORDER BY r.created_at DESC, r.id DESC LIMIT 1) END END,
       CASE WHEN c.noted THEN
           CASE WHEN (SELECT true FROM {Memo._meta.db_table} m WHERE m.coding_id = c.id LIMIT 1)
                THEN (SELECT string_agg(m.body, E'\\n\\n' ORDER BY m.created_at)
                        FROM {Memo._meta.db_table} m WHERE m.coding_id = c.id) END END,
       c.start, c."end", date_trunc('second', timezone(%s, c.created_at)){{cells}}
  FROM ({{chosen}}) c
  JOIN {Interview._meta.db_table} i ON i.id = c.interview_id
  JOIN {Code._meta.db_table} k ON k.id = c.code_id
  JOIN auth_user u ON u.id = c.coder_id
  {queries.speaker_join("c")}
 {{gate}}
 ORDER BY i.title, c.interview_id, c.start, c.id"""

# ROWS' columns in order, each named and typed once: the types for COPY (`_streamed`), the names
# for the statements around ROWS (CSV_RECORDS, CHECKED), the texts an Excel file checks (CHECKED).
ROW_COLUMNS = (
    ("interview_id", "int8"),
    *((name, "text") for name in ("title", "participant", "speaker")),
    ("code_id", "int8"),
    *(
        (name, "text")
        for name in ("code", "text", "before", "after", "coder", "status", "review", "memos")
    ),
    ("start", "int4"),
    ("stop", "int4"),
    ("created", "timestamp"),
)
ROW_TYPES = tuple(kind for _name, kind in ROW_COLUMNS)
ROW_NAMES = ", ".join(name for name, _kind in ROW_COLUMNS)
TEXT_COLUMNS = ", ".join(f"r.{name}" for name, kind in ROW_COLUMNS if kind == "text")


# The CSV's records (`Read.csv_records`): ROWS, each column as `cells.text` writes it, beside the
# project's name (the first parameter), the attribute cells (CELLS), and the code paths and
# translated states that Python sends as JSON. ROWS is a fence (its ORDER BY keeps PostgreSQL from
# merging it into this statement), so that a column written three times by `cells.text_sql` is
# still read once, and its subqueries run once per row.
def _text(column: str) -> str:
    return cells.text_sql(f"r.{column}")


CSV_RECORDS = f"""
SELECT %s, {_text("title")}, {_text("participant")}{{attributes}}, {_text("speaker")},
       coalesce(%s::jsonb ->> r.code_id::text, {_text("code")}), {_text("code")},
       {_text("text")}, {_text("before")}, {_text("after")}, {_text("coder")},
       coalesce(%s::jsonb ->> r.status, {_text("status")}), {_text("review")}, {_text("memos")},
       r.start, r.stop, to_char(r.created, 'YYYY-MM-DD HH24:MI:SS')
  FROM ({{rows}}) r({ROW_NAMES}, cells)"""
# What ROWS adds for CSV_RECORDS: the interview's attribute values as the CSV's cells, guarded,
# which triggers keep on its row (migration interviews 0012). The statement joins the interview
# anyway, where reading each interview's values was a quarter of one code's CSV at L: its 878 rows
# lie in 800 interviews (docs/benchmarks.md, twenty-seventh round).
CELLS = ", i.attribute_cells"


def _attribute_cells(attributes: list[Attribute]) -> str:
    """CSV_RECORDS' attribute columns, in the attributes' order: each the row's cell."""
    return "".join(f", r.cells ->> '{int(a.pk)}'" for a in attributes)


# ROWS for an Excel file: each row followed by whether its texts need `cells.xlsx_cell` (rarely),
# which PostgreSQL tells while it writes the rows, rather than Python searching every row's texts
# (10,000 rows: 60 ms of the workbook's Python). Lateral, so that the rows keep their order.
CHECKED = f"""
SELECT r.*, {cells.unsafe_sql("t.texts")}
  FROM ({{rows}}) r({ROW_NAMES})
  CROSS JOIN LATERAL (SELECT concat_ws(E'\\n', {TEXT_COLUMNS})) t(texts)"""
CHECKED_TYPES = (*ROW_TYPES, "bool")

ATTRIBUTES = f"""
SELECT v.interview_id, v.attribute_id, a.type, v.text, v.number, v.date
  FROM {AttributeValue._meta.db_table} v
  JOIN {Attribute._meta.db_table} a ON a.id = v.attribute_id"""


@dataclass
class Read:
    count: int  # codings that pass the filters: exact when the rows came, else to the limit + 1
    attributes: list[Attribute]
    # {interview id: {attribute id: value}}: of the rows' interviews and the detached codings'; of
    # the detached codings' alone for a CSV, whose records carry their cells (CELLS)
    values: dict[int, dict[int, object]]
    detached: list[tuple]  # `DETACHED` of each detached coding the filters would list
    fetched: list[tuple] | None  # the rows, when they were few enough to come with the rest
    statement: tuple[str, list]  # the rows' statement, to stream them otherwise
    types: tuple[str, ...] = ROW_TYPES  # its columns' types (CHECKED_TYPES when checked)

    def rows(self) -> Iterator[tuple]:
        if self.fetched is not None:
            return iter(self.fetched)
        return _streamed(*self.statement, self.types)

    def csv_records(
        self, project: str, paths: dict[int, str], states: dict[str, str]
    ) -> Iterator[bytes]:
        """The rows as CSV records (UTF-8, CRLF), as the csv module would write the excerpts table's
        lines (exports/writers.py), written by PostgreSQL: reading 10,000 rows into Python values
        and quoting their 196,000 cells was two thirds of that export's time. The attribute cells,
        in the attributes' order, come from CELLS. What Python knows already comes as
        JSON: the project's name, the code paths and the translated review states, each as
        `cells.text` makes it."""
        sql, params = self.statement
        records = CSV_RECORDS.format(rows=sql, attributes=_attribute_cells(self.attributes))
        params = [
            cells.text(project),
            json.dumps({str(pk): cells.text(path) for pk, path in paths.items()}),
            json.dumps({value: cells.text(label) for value, label in states.items()}),
            *params,
        ]
        return _csv_streamed(records, params, large=self.count > CHUNK)


# A detached coding: (interview id, title, participant, code id, code name, words, coder's first
# name, last name and username, version).
DETACHED = (
    "interview_id",
    "interview__title",
    "interview__participant",
    "code_id",
    "code__name",
    "text",
    "coder__first_name",
    "coder__last_name",
    "coder__username",
    "version",
)


def read(
    filters: Filters, limit: int | None = None, *, rows: bool = True, checked: bool = False
) -> Read:
    """Everything an export of the codings `filters` passes reads before its rows, and its rows
    when there are few (at most CHUNK, and at most `limit`), in one round trip. `limit`: count to
    `limit` + 1 at most otherwise (a caller sends a larger export to the background). Without
    `rows` (a CSV: `Read.csv_records`), the round trip counts them and brings none. `checked`:
    each row is followed by whether its texts need cleaning for Excel (CHECKED)."""
    project_id = filters.project.pk
    chosen, chosen_params = _chosen(filters)
    zone = timezone.get_current_timezone_name()
    form = CHECKED.format if checked else "{rows}".format
    rows_sql = ROWS.format(chosen=chosen, gate="", cells="" if rows else CELLS)
    statement = (form(rows=rows_sql), [zone, *chosen_params])
    # The rows come along only when there are few: the gate, counted once before any row is read,
    # stops the statement otherwise. Their number is then the count: the filters run twice (gate,
    # rows), and a count of its own runs only when no row came (none passes, or too many).
    # Each statement compiled once (the ORM takes about 0.2 ms a statement): the detached
    # codings' interviews are read from their own statement.
    detached_codings = _detached(filters)
    attributes, values, detached, fetched = plain_sql.batch(
        plain_sql.select(Attribute, "t.project_id = %s", [project_id], order="t.position, t.name"),
        _values_of(project_id, chosen if rows else None, chosen_params, detached_codings),
        detached_codings,
        _gated(filters, limit, zone, form, chosen, chosen_params)
        if rows
        else queries.count_query(filters, limit),
    )
    if not rows:
        ((count,),) = fetched
        fetched = None
    else:
        count = len(fetched) if fetched else queries.count(filters, limit)
    return Read(
        count=count,
        attributes=[plain_sql.instance(Attribute, row) for row in attributes],
        values=attribute_values_from(values),
        detached=detached,
        # Codings written after the gate's count (by someone else) could make a second count
        # larger than none: the rows then stream.
        fetched=fetched if fetched or count == 0 else None,
        statement=statement,
        types=CHECKED_TYPES if checked else ROW_TYPES,
    )


def _gated(filters: Filters, limit, zone: str, form, chosen: str, chosen_params) -> tuple:
    """The rows, gated: the statement stops before any row when more than CHUNK (or `limit`)
    codings pass the filters."""
    few = CHUNK if limit is None else min(CHUNK, limit)
    small, small_params = queries.count_query(filters, few)
    return (
        form(rows=ROWS.format(chosen=chosen, gate=f"WHERE ({small}) <= {few}", cells="")),
        [zone, *chosen_params, *small_params],
    )


def _values_of(
    project_id: int, chosen: str | None, chosen_params: tuple, detached: tuple[str, tuple]
) -> tuple[str, list]:
    """ATTRIBUTES of the interviews the export has rows from (`chosen`; None: a CSV, whose records
    carry their cells), or detached codings in (`detached`: their statement, its first column
    their interview): not every interview of the project. At L one code's 878 codings lie in
    800 of 2,000 interviews, and the cells of all 2,000 took longer than the rows
    (docs/benchmarks.md, nineteenth round)."""
    detached_sql, detached_params = detached
    # Named here: the statement of none (queries.statement_of) has a column of another name.
    detached_in = f"SELECT d.interview_id FROM ({detached_sql}) d(interview_id)"
    if chosen is None:
        sql = f"{ATTRIBUTES} WHERE a.project_id = %s AND v.interview_id IN ({detached_in})"
        params = [project_id, *detached_params]
    else:
        sql = (
            f"{ATTRIBUTES} WHERE a.project_id = %s"
            f" AND (v.interview_id IN (SELECT c.interview_id FROM ({chosen}) c)"
            f" OR v.interview_id IN ({detached_in}))"
        )
        params = [project_id, *chosen_params, *detached_params]
    # Of codes alone, a few texts whatever the codes: prepared (the ORM's texts vary too much).
    return (plain_sql.prepared(sql) if detached_sql is CODES_DETACHED else sql), params


# CHOSEN and DETACHED for codes alone (excerpts.queries.codes_only: one code's export, the most
# asked), written here rather than compiled by the ORM (0.8 ms of that export for the two);
# tests/excerpts/test_queries.py holds them to the ORM's on the same filters. The codes name their
# project (the filters took them from its codebook): the codings need no join. Their detached
# codings, and the attribute values of their interviews, are prepared statements.
CODES_CHOSEN = (
    f"SELECT {', '.join(f'k.{connection.ops.quote_name(column)}' for column in CHOSEN)}"
    f" FROM {Coding._meta.db_table} k WHERE k.code_id = ANY(%s::bigint[])"
)
CODES_DETACHED = plain_sql.Prepared(f"""
    SELECT d.interview_id, i.title, i.participant, d.code_id, k.name, d.text,
           u.first_name, u.last_name, u.username, d.version
      FROM {DetachedCoding._meta.db_table} d
      JOIN {Interview._meta.db_table} i ON i.id = d.interview_id
      JOIN {Code._meta.db_table} k ON k.id = d.code_id
      JOIN auth_user u ON u.id = d.coder_id
     WHERE i.project_id = %s AND d.code_id = ANY(%s::bigint[])
     ORDER BY i.title, d.interview_id, d.start, d.id""")


def _detached(filters: Filters) -> tuple[str, tuple]:
    """The statement of DETACHED for the detached codings the filters would list."""
    codes = queries.codes_only(filters)
    if codes is not None:
        return CODES_DETACHED, (filters.project.pk, codes)
    return queries.statement_of(queries.detached(filters).values_list(*DETACHED))


def _chosen(filters: Filters) -> tuple[str, tuple]:
    """The statement of CHOSEN for the codings `filters` passes: the excerpts' own conditions."""
    codes = queries.codes_only(filters)
    if codes is not None:
        return CODES_CHOSEN, (codes,)
    codings = queries.matching(filters)
    try:
        return codings.values_list(*CHOSEN).query.sql_with_params()
    except EmptyResultSet:  # the ORM knows none passes (an attribute value no one has): no row
        return Coding.objects.filter(pk__isnull=True).values_list(*CHOSEN).query.sql_with_params()


def attribute_values(interview_ids: Iterable[int]) -> dict[int, dict[int, object]]:
    """{interview id: {attribute id: value}} for these interviews, in one statement."""
    (rows,) = plain_sql.batch(
        (f"{ATTRIBUTES} WHERE v.interview_id = ANY(%s)", [list(interview_ids)])
    )
    return attribute_values_from(rows)


def attribute_values_from(rows: Iterable[tuple]) -> dict[int, dict[int, object]]:
    """The rows of ATTRIBUTES as {interview id: {attribute id: value}}."""
    values: dict[int, dict[int, object]] = {}
    for interview_id, attribute_id, kind, text, number, date in rows:
        values.setdefault(interview_id, {})[attribute_id] = typed_value(kind, text, number, date)
    return values


def _streamed(sql: str, params: list, types: tuple[str, ...] = ROW_TYPES) -> Iterator[tuple]:
    """The statement's rows as PostgreSQL sends them with COPY: a large export never sits in memory.

    A server-side cursor left PostgreSQL idle while the file was written, until the next FETCH;
    COPY sends rows without waiting, into the connection's buffers, so that the statement runs
    while the writer works. 9,246 rows at S came in 124 ms rather than 191, and their Excel file
    took 450 ms rather than 530 (docs/benchmarks.md). COPY takes no parameters: Django's
    `compose_sql` binds them into its text as psycopg's client-side cursor does, each one quoted
    as a literal. psycopg reads each text row into `types`, as a cursor would.

    Left halfway (a download cancelled, a writer failing), psycopg cancels the COPY. In
    autocommit, as requests run, that ends the statement and the connection answers the next
    one. Inside a transaction the cancel would abort it, if it comes before PostgreSQL has sent
    the last row: a background job's export leaves its rows only on an error, which rolls the
    transaction back anyway.
    """
    statement = connection.ops.compose_sql(f"COPY ({sql}) TO STDOUT", params)
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(types)
        yield from copy.rows()


def _csv_streamed(sql: str, params: list, *, large: bool = False) -> Iterator[bytes]:
    """The statement's rows as the CSV records PostgreSQL writes, one by one (libpq hands over one
    row at a time), each ending in CRLF as the csv module's do, where PostgreSQL ends them in LF.
    Its quoting is the csv module's minimal quoting, once empty texts are NULL (cells.text_sql):
    tests/exports/test_csv_records.py holds them to the same bytes. `large`: more rows than
    CHUNK, run without parallel workers (`_serial`)."""
    statement = connection.ops.compose_sql(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params)
    with connection.cursor() as cursor, _serial(cursor, large), cursor.copy(statement) as copy:
        for record in copy:
            yield bytes(record[:-1]) + b"\r\n"


@contextmanager
def _serial(cursor, large: bool):
    """A large CSV's COPY without parallel workers. PostgreSQL plans them for a statement reading
    a tenth of the codings (the project's 20 codes at M), but the leader alone formats and sends
    a COPY's rows, and on two cores the workers take the CPU the web server and the leader need:
    at M the 9,862-row CSV took 92 ms over HTTP against 108 (docs/benchmarks.md). An Excel
    file's rows (_streamed) keep them: its writer, not the statement, sets its pace, and it was no
    faster. Inside a transaction (a background job's) the setting is the transaction's; otherwise
    the connection's, until the COPY ends."""
    if not large:
        yield
        return
    local = connection.in_atomic_block
    cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', %s)", [local])
    try:
        yield
    finally:
        if not local:
            cursor.execute("RESET max_parallel_workers_per_gather")
