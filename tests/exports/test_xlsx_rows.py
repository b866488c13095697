"""The Excel file's rows (exports/writers.py `excerpt_table(form="xlsx")`): PostgreSQL tells which
rows hold a text Excel cannot store as it is (exports/cells.py `unsafe_sql`), Python cleans those
alone, and the workbook holds what the generic writer makes of the plain rows, cell for cell."""

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import translation

from coding.models import Memo, ReviewEvent
from excerpts.filters import read_filters
from exports import cells, excerpt_rows, writers
from interviews.models import Attribute, AttributeValue
from tests.factories import make_code, make_coding, make_interview, random_codings

pytestmark = pytest.mark.django_db

# Every character XML refuses (but NUL, which PostgreSQL's texts never hold), their neighbours
# that XML keeps, and characters a byte-wise test could get wrong.
CHARACTERS = [chr(n) for n in range(1, 0x21)] + [
    *(
        "\x7f",
        "\x80",
        "\u00a0",
        "\u2028",
        "\ufffd",
        "\ufffe",
        "\uffff",
        "é",
        "«",
        "🤝🏽",
        "\U0010fffd",
    ),
]


def python_says(texts: list[str]) -> bool:
    joined = "\n".join(texts)
    return len(joined) > cells.EXCEL_CELL_MAX or bool(cells.XML_ILLEGAL.search(joined))


def postgresql_says(texts: list[str]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + cells.unsafe_sql("t.texts")
            + " FROM (SELECT concat_ws(E'\\n', "
            + ", ".join(["%s"] * len(texts))
            + ")) t(texts)",
            texts,
        )
        return cursor.fetchone()[0]


def test_postgresql_and_python_agree_on_every_character():
    for character in CHARACTERS:
        for texts in ([character], [f"avant {character} après", "autre"], ["a", character * 3]):
            assert postgresql_says(texts) == python_says(texts), (hex(ord(character)), texts)
    assert not postgresql_says(["Intervieweuse : Bonjour.\r\n\tMartine : « Oui »"])
    assert postgresql_says(["Page\x0csuivante"])


def test_postgresql_and_python_agree_on_the_length_a_cell_holds():
    limit = cells.EXCEL_CELL_MAX
    for texts in (
        ["a" * limit],
        ["a" * (limit + 1)],
        ["é" * limit],  # characters, not bytes
        ["🤝" * (limit + 1)],
        ["a" * (limit // 2), "b" * (limit // 2)],  # with the line break joining them: one more
        ["a" * (limit // 2), "b" * (limit // 2 + 1)],
    ):
        assert postgresql_says(texts) == python_says(texts), [len(text) for text in texts]


def workbook_cells(table: writers.Table) -> list[list]:
    sheet = openpyxl.load_workbook(writers.xlsx_file(table)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def both(project, user) -> tuple[list[list], list[list]]:
    """The workbook of the Excel form's rows, and the one the generic writer makes of the plain
    rows (searching each row for what to clean)."""
    excerpts = read_filters(project, QueryDict(""), user=user)
    checked = writers.excerpt_table(project, excerpts, form="xlsx")
    assert checked.clean
    plain = writers.excerpt_table(project, excerpts)
    assert not plain.clean
    return workbook_cells(checked), workbook_cells(plain)


@pytest.fixture
def unclean(project, rita, sam):
    """Texts Excel cannot hold as they are, in every column that comes from the database or from
    Python: a transcript, a title, a participant, a speaker, a code, an attribute value, a review
    comment and memos with control characters; a passage longer than a cell; clean rows beside."""
    long = "Martine : " + "très long passage, " * 2000
    text = "Intervieweuse\x0b : Bonjour.\n\nMartine : Page\x0csuivante, vraiment.\n\n" + long
    first = make_interview(project, text, title="Entretien\x01 un")
    first.participant = "Mar\x1ftine"
    first.save(update_fields=["participant"])
    second = make_interview(project, title="Entretien propre")
    place = Attribute.objects.create(project=project, name="Lieu", position=0)
    AttributeValue.objects.create(interview=first, attribute=place, text="Re\x08fuge")
    AttributeValue.objects.create(interview=second, attribute=place, text="Montréal « centre »")
    odd = make_code(project, "Code\x02 étrange")
    plain = make_code(project, "Suggestion\u00a0légitime 🤝🏽")
    codings = [
        make_coding(first, odd, rita, 0, 20),
        make_coding(first, plain, sam, text.index("Page"), text.index(", vraiment")),
        make_coding(first, plain, rita, 72, len(text)),  # longer than a cell
        make_coding(second, plain, rita, 0, 30),
        make_coding(second, odd, sam, 31, 60),
    ]
    ReviewEvent.objects.create(
        coding=codings[3], reviewer=sam, status="needs_change", comment="Trop\x03 court"
    )
    Memo.objects.create(project=project, author=rita, coding=codings[4], body="Une\x0e note")
    Memo.objects.create(project=project, author=sam, coding=codings[4], body="Seconde note")
    return first, second


@pytest.mark.parametrize("chunk", [excerpt_rows.CHUNK, 1])  # read at once, or streamed by COPY
def test_the_workbook_holds_what_the_generic_writer_makes(
    project, rita, unclean, chunk, monkeypatch
):
    monkeypatch.setattr(excerpt_rows, "CHUNK", chunk)
    with translation.override("en"):
        checked, plain = both(project, rita)
    assert checked == plain
    header, *rows = checked
    assert len(rows) == 5
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    texts = " ".join(str(value) for row in rows for value in row if value is not None)
    assert not cells.XML_ILLEGAL.search(texts)
    assert {row["Interview"] for row in by_column} == {"Entretien un", "Entretien propre"}
    assert "Pagesuivante" in {row["Text"] for row in by_column}
    assert max(len(row["Text"]) for row in by_column) == cells.EXCEL_CELL_MAX
    assert {row["Lieu"] for row in by_column} == {"Refuge", "Montréal « centre »"}
    assert "Une note\n\nSeconde note" in {row["Memos"] for row in by_column}


def test_random_texts_make_the_same_workbook(project, rita):
    """Transcripts sprinkled with characters XML refuses, coded at random spans: the rows
    PostgreSQL calls clean are, and the others are cleaned as the generic writer cleans them."""
    pieces = ["mot ", "é", "\n", "\x0b", "\x1f", "\ufffe", "« ", "🤝"]
    random_codings(project, rita, pieces, seed=23, length=900, spans=120, longest=30)
    checked, plain = both(project, rita)
    assert checked == plain
    assert len(checked) > 1


@pytest.mark.django_db(transaction=True)  # as requests run (test_exports.py says why)
def test_a_writer_failing_halfway_leaves_the_connection_usable(project, rita, monkeypatch):
    """The rows stream with COPY: a writer that fails after a few of them must not leave the COPY
    open, or the connection's next statement would wait for it."""
    interview = make_interview(project)
    code = make_code(project)
    for start in range(0, 200, 10):
        make_coding(interview, code, rita, start, start + 5)
    monkeypatch.setattr(excerpt_rows, "CHUNK", 1)

    def failing_sheet(self, name, records):
        for _ in zip(range(3), records, strict=False):
            pass
        raise OSError("disk full")

    monkeypatch.setattr(writers.FastExcel, "sheet", failing_sheet)
    table = writers.excerpt_table(
        project, read_filters(project, QueryDict(""), user=rita), form="xlsx"
    )
    with pytest.raises(OSError, match="disk full"):
        writers.xlsx_file(table)
    # A COPY still running holds the psycopg connection's lock: the next statement would wait on
    # it for ever. Fail instead, after closing the rows as xlsx_file should have.
    if connection.connection.lock.locked():
        table.rows.close()
        pytest.fail("the COPY still runs on the connection")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM coding_coding")
        assert cursor.fetchone()[0] == 20
