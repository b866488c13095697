"""The excerpts' CSV as PostgreSQL writes it (exports/excerpt_rows.py `Read.csv_records`): byte for
byte what `csv_line` writes from the rows the Excel file is made of, whatever the texts hold."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from coding.models import Coding, Memo, ReviewEvent
from excerpts.filters import read_filters
from exports import excerpt_rows, writers
from interviews.models import Attribute, AttributeValue
from tests.exports.test_csv import PIECES
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview, random_codings

pytestmark = pytest.mark.django_db


def both(project, user, query: str = "") -> tuple[bytes, bytes]:
    """The CSV file PostgreSQL writes, and the one `csv_line` writes from the Excel file's rows."""
    excerpts = read_filters(project, QueryDict(query), user=user)
    assert excerpts.is_valid(), excerpts.errors
    written = writers.excerpt_table(project, excerpts, form="csv")
    assert written.csv
    by_postgresql = b"".join(writers.csv_chunks(written))
    by_python = b"".join(writers.csv_chunks(writers.excerpt_table(project, excerpts)))
    return by_postgresql, by_python


def read_back(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def hostile(project, rita, sam):
    """Every kind of cell: attributes of each type (a formula among them, one left unset), an
    empty participant, a code path and code names that start formulas, comments and memos with
    quotes, commas and line breaks, emoji, no-break spaces and « guillemets »."""
    place = Attribute.objects.create(project=project, name="Lieu", position=0)
    years = Attribute.objects.create(
        project=project, name="Années", type=Attribute.Type.NUMBER, position=1
    )
    since = Attribute.objects.create(
        project=project, name="Depuis", type=Attribute.Type.DATE, position=2
    )
    first = make_interview(project, title='Entretien "1", Montréal')
    second = make_interview(project, TRANSCRIPT + "\n\nPaul : =1+1, dit-il.", title="=HYPERLINK(1)")
    second.participant = ""
    second.save(update_fields=["participant"])
    AttributeValue.objects.create(interview=first, attribute=place, text="+33 Refuge, « Abri »")
    AttributeValue.objects.create(interview=first, attribute=years, number=Decimal("12.5000"))
    AttributeValue.objects.create(interview=second, attribute=years, number=Decimal("-3"))
    AttributeValue.objects.create(
        interview=second, attribute=since, date=datetime.date(2025, 3, 14)
    )
    parent = make_code(project, "@Relation")
    child = make_code(project, "-« voisinage courtois »", parent=parent)
    plain = make_code(project, "Suggestion\u00a0légitime 🤝🏽")
    codings = []
    for interview in (first, second):
        for code, (start, end) in zip(
            (parent, child, plain, child), ((0, 13), (15, 80), (90, 140), (100, 101)), strict=True
        ):
            codings.append(make_coding(interview, code, rita if start % 2 else sam, start, end))
    ReviewEvent.objects.create(
        coding=codings[0], reviewer=sam, status="needs_change", comment='Trop "court",\r\nrevoir'
    )
    Memo.objects.create(project=project, author=rita, coding=codings[1], body="=une note, deux")
    Memo.objects.create(project=project, author=sam, coding=codings[1], body="Seconde\nnote")
    Coding.objects.filter(pk=codings[2].pk).update(status=Coding.Status.APPROVED)
    return first, second


@pytest.mark.parametrize("language", ["fr", "en"])
def test_postgresql_writes_the_records_csv_line_writes(project, rita, hostile, language):
    with translation.override(language):
        by_postgresql, by_python = both(project, rita)
    assert by_postgresql == by_python
    rows = read_back(by_postgresql)
    assert len(rows) == 1 + 8
    header = rows[0]
    first = next(row for row in rows if row[1] == 'Entretien "1", Montréal')
    second = next(row for row in rows if row[1] == "'=HYPERLINK(1)")
    # Attribute cells in the header's order: a guarded text, a plain number, an unset date.
    assert first[3:6] == ["'+33 Refuge, « Abri »", "12.5", ""]
    assert second[2:6] == ["", "", "-3", "2025-03-14"]  # no participant, no place
    paths = {
        row[header.index("Code path" if language == "en" else "Chemin du code")] for row in rows
    }
    assert "'@Relation › -« voisinage courtois »" in paths


def test_attribute_cells_of_every_kind_are_written_alike(project, rita):
    """PostgreSQL makes the attribute cells (the triggers of migration interviews 0012, which
    exports/excerpt_rows.py `CELLS` reads) as Python makes them of the values it reads: numbers
    without trailing zeros (nor an exponent), dates in ISO 8601 with four-digit years, texts
    guarded, an empty text an empty cell."""
    kinds = [
        ("text", Attribute.Type.TEXT, "text", ["", "=SUM(A1)", "\tTab", "« Abri », 2", "-"]),
        ("choice", Attribute.Type.CHOICE, "text", ["Oui", "@moi", "", "Non", "+"]),
        (
            "number",
            Attribute.Type.NUMBER,
            "number",
            [Decimal("12.0000"), Decimal("0.0001"), Decimal("1000"), None, Decimal("-0.5000")],
        ),
        (
            "date",
            Attribute.Type.DATE,
            "date",
            [datetime.date(999, 1, 2), datetime.date(2025, 12, 31), None, None, None],
        ),
    ]
    attributes = [
        Attribute.objects.create(project=project, name=name, type=kind, position=n)
        for n, (name, kind, _column, _values) in enumerate(kinds)
    ]
    code = make_code(project)
    for n in range(5):
        interview = make_interview(project, f"Martine : Réponse {n}.", title=f"Entretien {n}")
        make_coding(interview, code, rita, 0, 10)
        for attribute, (_name, _kind, column, values) in zip(attributes, kinds, strict=True):
            AttributeValue.objects.create(
                interview=interview, attribute=attribute, **{column: values[n]}
            )
    # An interview with no value at all keeps its rows, with empty cells.
    bare = make_interview(project, "Martine : Rien à dire.", title="Entretien 5")
    make_coding(bare, code, rita, 0, 7)
    by_postgresql, by_python = both(project, rita)
    assert by_postgresql == by_python
    rows = read_back(by_postgresql)
    start = rows[0].index("text")
    assert [row[start : start + 4] for row in rows[1:]] == [
        ["", "Oui", "12", "0999-01-02"],
        ["'=SUM(A1)", "'@moi", "0.0001", "2025-12-31"],
        ["'\tTab", "", "1000", ""],
        ["« Abri », 2", "Non", "", ""],
        ["'-", "'+", "-0.5", ""],
        ["", "", "", ""],
    ]


def test_random_texts_are_written_alike(project, rita):
    """Texts made of every character the csv module treats specially, coded at random spans."""
    random_codings(project, rita, PIECES, seed=17, length=600, spans=150, longest=40)
    by_postgresql, by_python = both(project, rita)
    assert by_postgresql == by_python
    assert len(read_back(by_postgresql)) == 1 + Coding.objects.count()


def test_a_cell_holding_copys_end_marker_is_written_as_any_other(project, rita):
    """`\\.` ends COPY's data: PostgreSQL quotes it only in a record of one column, and these have
    many."""
    interview = make_interview(project, text="Oui \\. Non", title="Marque")
    make_coding(interview, make_code(project), rita, 4, 6)
    by_postgresql, by_python = both(project, rita)
    assert b",\\.," in by_postgresql and by_postgresql == by_python


def test_the_records_stream_with_copy_and_count_before_any_is_written(project, rita, monkeypatch):
    """One round trip counts the rows and reads what goes beside them; COPY then writes every
    record, however few (the count decides whether the download waits for a background job)."""
    interview = make_interview(project)
    code = make_code(project)
    for start in range(0, 300, 10):
        make_coding(interview, code, rita, start, start + 5)
    excerpts = read_filters(project, QueryDict(""), user=rita)
    with CaptureQueriesContext(connection) as seen:
        table = writers.excerpt_table(project, excerpts, limit=20, form="csv")
    assert table.count == 21  # counted to the limit and one more
    assert len(seen.captured_queries) == 1
    with CaptureQueriesContext(connection) as seen:
        records = list(table.rows)
    assert [query["sql"][:5] for query in seen.captured_queries] == ["COPY "]
    assert len(records) == 30 and all(record.endswith(b"\r\n") for record in records)
    monkeypatch.setattr(excerpt_rows, "CHUNK", 1)  # streamed or not, a CSV reads no rows
    assert writers.excerpt_table(project, excerpts, form="csv").count == 30


@pytest.mark.django_db(transaction=True)  # as requests run (test_exports.py says why)
def test_a_csv_left_halfway_leaves_the_connection_usable(project, rita):
    interview = make_interview(project, TRANSCRIPT)
    code = make_code(project)
    for start in range(0, 200, 10):
        make_coding(interview, code, rita, start, start + 5)
    excerpts = read_filters(project, QueryDict(""), user=rita)
    records = iter(writers.excerpt_table(project, excerpts, form="csv").rows)
    assert next(records).startswith("Proximité,Entretien 1,".encode())
    records.close()
    assert Coding.objects.count() == 20


# A large CSV's COPY runs without parallel workers (excerpt_rows._serial); the connection keeps its
# own setting for whatever it runs next.
WORKERS = "SELECT current_setting('max_parallel_workers_per_gather') FROM generate_series(1, 3)"


def workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # in autocommit, as requests run
def test_a_large_csv_is_copied_without_parallel_workers_and_the_connection_keeps_its_own():
    before = workers()
    assert before != "0"
    assert list(excerpt_rows._csv_streamed(WORKERS, [], large=True)) == [b"0\r\n"] * 3
    assert workers() == before
    assert list(excerpt_rows._csv_streamed(WORKERS, [])) == [f"{before}\r\n".encode()] * 3
    halfway = excerpt_rows._csv_streamed(WORKERS, [], large=True)
    assert next(halfway) == b"0\r\n"
    halfway.close()
    assert workers() == before


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_setting_is_the_transactions():
    before = workers()
    with transaction.atomic():
        assert list(excerpt_rows._csv_streamed(WORKERS, [], large=True)) == [b"0\r\n"] * 3
        assert workers() == "0"  # a job's export: the rest of its transaction
    assert workers() == before


def test_a_csv_of_more_rows_than_come_along_is_large(project, rita, monkeypatch):
    interview = make_interview(project, TRANSCRIPT)
    code = make_code(project)
    for start in range(0, 30, 10):
        make_coding(interview, code, rita, start, start + 5)
    excerpts = read_filters(project, QueryDict(""), user=rita)
    sizes = []
    monkeypatch.setattr(
        excerpt_rows, "_csv_streamed", lambda sql, params, large=False: sizes.append(large) or []
    )
    writers.excerpt_table(project, excerpts, form="csv")  # its records asked for, not read
    monkeypatch.setattr(excerpt_rows, "CHUNK", 2)
    writers.excerpt_table(project, excerpts, form="csv")
    assert sizes == [False, True]
