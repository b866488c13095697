"""Excerpts and the codebook as CSV and Excel files, opened with the libraries that read them."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coding.audit import recorded_as
from coding.models import Code, Coding, Memo, ReviewEvent
from excerpts import queries
from excerpts.filters import read_filters
from exports import excerpt_rows, writers
from exports.writers import Table, xlsx_cell, xlsx_file
from interviews.models import Attribute, AttributeValue
from tests.factories import (
    TRANSCRIPT,
    contexts_of,
    make_code,
    make_coding,
    make_interview,
    make_project,
)

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
SECOND = (
    "Intervieweuse : Et le quartier ?\n\n"
    "Paul : =1+1 c'est ce qu'on disait, +33 au téléphone, @tout le monde, "
    "- puis le voisinage courtois 🤝🏽 avec les commerçants.\n\n"
    "Intervieweuse : Merci.\n\n"
    "Paul : Avec plaisir."
)
HEADER = [
    "Project",
    "Interview",
    "Participant",
    "Organisation",
    "Years of practice",
    "Speaker",
    "Code path",
    "Code",
    "Text",
    "Context before",
    "Context after",
    "Coder",
    "Review state",
    "Last review comment",
    "Memos",
    "Start",
    "End",
    "Created",
]


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def code_with(project, text, phrase, code, coder, interview):
    return make_coding(interview, code, coder, *span(text, phrase))


@pytest.fixture
def study(project, rita, sam):
    """Two interviews with attributes, a two-level codebook, codings in every review state."""
    organisation = Attribute.objects.create(project=project, name="Organisation", position=0)
    years = Attribute.objects.create(
        project=project, name="Years of practice", type=Attribute.Type.NUMBER, position=1
    )
    first = make_interview(project)
    second = make_interview(project, SECOND, title="Entretien 2")
    second.participant = "Paul"
    second.save(update_fields=["participant"])
    AttributeValue.objects.create(interview=first, attribute=organisation, text="Refuge")
    AttributeValue.objects.create(interview=first, attribute=years, number=Decimal("12.0000"))
    AttributeValue.objects.create(interview=second, attribute=organisation, text="Pharmacie")
    relation = make_code(project, "Relation")
    courtois = make_code(project, "« voisinage courtois »", parent=relation)
    suggestion = make_code(project, "Suggestion légitime")
    banc = code_with(project, TRANSCRIPT, "Je m'assois pas loin", courtois, rita, first)
    cafe = code_with(project, TRANSCRIPT, "« juste un café »", suggestion, sam, first)
    emoji = code_with(project, SECOND, "voisinage courtois 🤝🏽", courtois, rita, second)
    formula = code_with(project, SECOND, "=1+1", suggestion, rita, second)
    with recorded_as(sam):
        Coding.objects.filter(pk=banc.pk).update(status=Coding.Status.APPROVED)
        Coding.objects.filter(pk=cafe.pk).update(status=Coding.Status.NEEDS_CHANGE)
    ReviewEvent.objects.create(
        coding=banc, reviewer=sam, status="needs_change", comment="Trop court"
    )
    ReviewEvent.objects.create(coding=banc, reviewer=sam, status="approved", comment="Parfait")
    Memo.objects.create(project=project, author=rita, coding=banc, body="Première note")
    Memo.objects.create(project=project, author=sam, coding=banc, body="Seconde note")
    return {
        "interviews": (first, second),
        "codes": (relation, courtois, suggestion),
        "codings": (banc, cafe, emoji, formula),
    }


def export(client, project, query=""):
    response = client.get(f"/projects/{project.pk}/excerpts/export/?{query}", headers=EN)
    assert response.status_code == 200, response.content[:500]
    return response


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def xlsx_rows(response) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(values_only=True))


def by_text(rows, header=HEADER) -> dict[str, dict]:
    return {row[header.index("Text")]: dict(zip(header, row, strict=True)) for row in rows[1:]}


# Excerpts as CSV


def test_the_csv_has_one_row_per_coding_with_every_column(client, project, rita, study):
    client.force_login(rita)
    response = export(client, project, "format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert len(rows) == 5
    banc = by_text(rows)["Je m'assois pas loin"]
    start, end = span(TRANSCRIPT, "Je m'assois pas loin")
    assert banc["Project"] == "Proximité"
    assert banc["Interview"] == "Entretien 1" and banc["Participant"] == "Martine"
    assert banc["Organisation"] == "Refuge" and banc["Years of practice"] == "12"
    assert banc["Speaker"] == "Martine"
    assert banc["Code path"] == "Relation › « voisinage courtois »"
    assert banc["Code"] == "« voisinage courtois »"
    assert banc["Context before"].endswith("Martine : ")
    assert banc["Context after"].startswith(", sur le même banc")
    assert banc["Coder"] == "rita" and banc["Review state"] == "Approved"
    assert banc["Last review comment"] == "Parfait"
    assert banc["Memos"] == "Première note\n\nSeconde note"
    assert (banc["Start"], banc["End"]) == (str(start), str(end))
    created = timezone.localtime(study["codings"][0].created_at)
    assert banc["Created"] == created.strftime("%Y-%m-%d %H:%M:%S")  # the site's wall clock


def test_the_csv_keeps_accents_and_emoji(client, project, rita, study):
    client.force_login(rita)
    rows = by_text(csv_rows(export(client, project, "format=csv")))
    emoji = rows["voisinage courtois 🤝🏽"]
    assert emoji["Participant"] == "Paul" and emoji["Years of practice"] == ""
    assert emoji["Speaker"] == "Paul"
    assert emoji["Code"] == "« voisinage courtois »"
    assert rows["« juste un café »"]["Review state"] == "Needs change"


def test_the_csv_header_follows_the_language(client, project, rita, study):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/excerpts/export/?format=csv")
    header = csv_rows(response)[0]
    assert header[0] == "Projet" and "Organisation" in header


def test_csv_cells_that_would_run_as_formulas_start_with_an_apostrophe(
    client, project, rita, study
):
    client.force_login(rita)
    courtois = study["codes"][1]
    courtois.name = "@courtois"
    courtois.save(update_fields=["name"])
    rows = csv_rows(export(client, project, "format=csv"))
    texts = [row[HEADER.index("Text")] for row in rows[1:]]
    assert "'=1+1" in texts and "=1+1" not in texts
    assert "'@courtois" in [row[HEADER.index("Code")] for row in rows[1:]]
    assert "Relation › @courtois" in [row[HEADER.index("Code path")] for row in rows[1:]]


def test_the_download_is_named_after_the_project_and_the_day(client, project, rita, study):
    client.force_login(rita)
    response = export(client, project, "format=csv")
    assert response["Content-Disposition"].startswith('attachment; filename="proximite-excerpts-')
    assert response["Content-Disposition"].endswith('.csv"')


def test_without_a_format_the_export_is_csv(client, project, rita, study):
    client.force_login(rita)
    assert len(csv_rows(export(client, project))) == 5


# Excerpts as Excel


def test_the_xlsx_has_the_same_rows_with_typed_cells(client, project, rita, study):
    client.force_login(rita)
    response = export(client, project, "format=xlsx")
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response)
    assert list(rows[0]) == HEADER
    assert len(rows) == 5
    banc = by_text(rows)["Je m'assois pas loin"]
    assert banc["Years of practice"] == 12
    assert banc["Start"] == span(TRANSCRIPT, "Je m'assois pas loin")[0]
    assert isinstance(banc["Created"], datetime.datetime)
    assert banc["Memos"] == "Première note\n\nSeconde note"
    assert by_text(rows)["voisinage courtois 🤝🏽"]["Code"] == "« voisinage courtois »"


def test_xlsx_text_that_looks_like_a_formula_stays_text(client, project, rita, study):
    client.force_login(rita)
    response = export(client, project, "format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [row[HEADER.index("Text")] for row in sheet.iter_rows(min_row=2)]
    formula = next(cell for cell in cells if cell.value == "=1+1")
    assert formula.data_type == "s"


def test_xlsx_drops_control_characters_xml_cannot_hold(client, project, rita):
    text = "Intervieweuse : Bonjour.\n\nMartine : Page\x0csuivante, vraiment."
    interview = make_interview(project, text)
    code_with(project, text, "Page\x0csuivante", make_code(project), rita, interview)
    client.force_login(rita)
    header, row = xlsx_rows(export(client, project, "format=xlsx"))
    assert dict(zip(header, row, strict=True))["Text"] == "Pagesuivante"


def test_xlsx_cuts_text_beyond_what_an_excel_cell_holds():
    assert xlsx_cell("a" * 40_000) == "a" * 32_766 + "…"
    # In a workbook, among rows the writer takes as they are (xlsx_cells' shortcut).
    rows = [["court", "b"], ["a" * 40_000, "b\x0bc"], ["fin", "ok"]]
    sheet = openpyxl.load_workbook(xlsx_file(Table("Excerpts", ["Text", "Other"], rows))).active
    written = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert written == [["court", "b"], ["a" * 32_766 + "…", "bc"], ["fin", "ok"]]


def test_xlsx_stores_every_text_as_text_and_keeps_a_column_named_like_another():
    rows = [["#N/A", "=SUM(A1)", "+33 6", "0042", 7, None, datetime.datetime(2026, 1, 5, 9, 30)]]
    header = ["Error", "Formula", "Plus", "Zeros", "Number", "Empty", "Code"]
    table = Table("Excerpts", [*header, "Code"], ([*row, "second"] for row in rows))
    sheet = openpyxl.load_workbook(xlsx_file(table)).active
    assert [cell.value for cell in sheet[1]] == [*header, "Code (2)"]
    cells = list(sheet[2])
    assert [cell.data_type for cell in cells[:4]] == ["s"] * 4
    assert [cell.value for cell in cells] == [*rows[0], "second"]
    assert sheet.freeze_panes == "A2"


# Filters, refusals, sizes


def test_the_export_honours_the_excerpt_filters(client, project, rita, study):
    client.force_login(rita)
    courtois = study["codes"][1]
    rows = csv_rows(export(client, project, f"format=csv&code={courtois.pk}"))
    assert sorted(row[HEADER.index("Text")] for row in rows[1:]) == [
        "Je m'assois pas loin",
        "voisinage courtois 🤝🏽",
    ]
    rows = csv_rows(export(client, project, "format=csv&status=approved"))
    assert [row[HEADER.index("Text")] for row in rows[1:]] == ["Je m'assois pas loin"]
    # A review state lists no detached coding: the Excel file's reads of them stand empty.
    rows = xlsx_rows(export(client, project, "format=xlsx&status=approved"))
    assert [row[HEADER.index("Text")] for row in rows[1:]] == ["Je m'assois pas loin"]
    relation = study["codes"][0]
    rows = csv_rows(export(client, project, f"format=csv&code={relation.pk}&subcodes=1"))
    assert len(rows) == 3


def test_another_projects_code_is_refused_with_a_message(client, project, rita, study):
    other = make_project("Autre étude")
    secret = Code.objects.create(project=other, name="Secret")
    client.force_login(rita)
    response = client.get(
        f"/projects/{project.pk}/excerpts/export/?format=csv&code={secret.pk}", headers=EN
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Unknown code {secret.pk}." in page and "Secret" not in page


def test_malformed_filters_answer_400_with_their_messages(client, project, rita, study):
    client.force_login(rita)
    response = client.get(
        f"/projects/{project.pk}/excerpts/export/?format=xlsx&code=abc&status=lost", headers=EN
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "“abc” is not a valid id" in page and "“lost” is not a review state" in page
    assert f'href="/projects/{project.pk}/excerpts/?code=abc&amp;status=lost"' in page


def test_an_unknown_format_answers_400(client, project, rita, study):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/excerpts/export/?format=pdf", headers=EN)
    assert response.status_code == 400
    assert "Choose CSV or Excel" in response.content.decode()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_with_nothing_to_export_has_its_header_only(client, project, rita, kind):
    client.force_login(rita)
    response = export(client, project, f"format={kind}")
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    assert len(rows) == 1 and rows[0][0] == "Project"


def test_an_outsider_gets_404_and_other_methods_405(client, project, rita, olga, study):
    # POST confirms a large export as a background job (test_export_jobs.py); nothing else writes.
    client.force_login(olga)
    assert client.get(f"/projects/{project.pk}/excerpts/export/?format=csv").status_code == 404
    assert client.post(f"/projects/{project.pk}/excerpts/export/").status_code == 404
    client.force_login(rita)
    assert client.put(f"/projects/{project.pk}/excerpts/export/").status_code == 405
    assert client.delete(f"/projects/{project.pk}/excerpts/export/").status_code == 405


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_queries_do_not_grow_with_rows(
    client, project, rita, study, kind, django_assert_max_num_queries
):
    client.force_login(rita)
    client.get("/")  # this process now knows the session's user (verbatim/sessions.py)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(client, project, f"format={kind}").getvalue()
        return len(captured)

    few = count_queries()
    first, second = study["interviews"]
    code = study["codes"][2]
    for offset in range(0, 100, 5):
        make_coding(first, code, rita, offset, offset + 3)
        make_coding(second, code, rita, offset, offset + 4)
    assert count_queries() == few
    # The session, then the member with the codebook, then everything the export reads; a CSV's
    # records come from PostgreSQL in one more statement, which writes them.
    with django_assert_max_num_queries(4 if kind == "csv" else 3):
        export(client, project, f"format={kind}").getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_context_is_the_one_the_excerpts_page_shows(client, project, rita, kind):
    """Both come from the codings' own contexts, which follow the text (migration coding 0016)."""
    text = "Intervieweuse : Racontez.\n\nMartine : " + " ".join(
        f"mot{i}\u00a0« voisinage » 🤝🏽 encore" for i in range(60)
    )
    interview = make_interview(project, text)
    code = make_code(project)
    spans = [(0, 5), (40, 60), (300, 340), (len(text) - 150, len(text) - 100)]
    spans.append((len(text) - 10, len(text)))
    for start, end in spans:
        make_coding(interview, code, rita, start, end)
    client.force_login(rita)
    response = export(client, project, f"format={kind}")
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    header = rows[0]
    exported = [
        (row[header.index("Context before")] or "", row[header.index("Context after")] or "")
        for row in rows[1:]
    ]
    assert exported == [contexts_of(text, start, end) for start, end in spans]
    page = queries.codings(read_filters(project, QueryDict()))
    assert [(c.context_before, c.context_after) for c in page] == exported


# The codebook


def test_the_codebook_csv_lists_every_code_with_its_counts(client, project, rita, study):
    client.force_login(rita)
    relation, courtois, suggestion = study["codes"]
    courtois.description = "Une relation polie, sans plus."
    courtois.inclusion = "Salutations"
    courtois.exclusion = "Amitié"
    courtois.save()
    response = client.get(f"/projects/{project.pk}/codebook/export/?format=csv", headers=EN)
    assert response.status_code == 200
    assert 'filename="proximite-codebook-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Path",
        "Name",
        "Parent path",
        "Definition",
        "When to use",
        "When not to use",
        "Colour",
        "Codings",
        "Interviews",
        "Depth",
    ]
    assert [row[0] for row in rows[1:]] == [
        "Relation",
        "Relation › « voisinage courtois »",
        "Suggestion légitime",
    ]
    assert rows[2][1:] == [
        "« voisinage courtois »",
        "Relation",
        "Une relation polie, sans plus.",
        "Salutations",
        "Amitié",
        courtois.color,
        "2",
        "2",
        "2",
    ]
    assert rows[1][7:] == ["0", "0", "1"]


def test_the_codebook_xlsx_has_numbers_for_counts(client, project, rita, study):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codebook/export/?format=xlsx", headers=EN)
    rows = xlsx_rows(response)
    assert rows[0][0] == "Path"
    suggestion = next(row for row in rows if row[1] == "Suggestion légitime")
    assert suggestion[7:] == (2, 2, 1)


def test_the_codebook_export_needs_two_queries_whatever_its_size(
    client, project, rita, study, django_assert_max_num_queries
):
    for i in range(30):
        make_code(project, f"Code {i}", parent=study["codes"][0])
    client.force_login(rita)
    # session, user, membership, her open rounds (coding/visibility.py), counts, paths
    with django_assert_max_num_queries(6):
        response = client.get(f"/projects/{project.pk}/codebook/export/?format=csv")
        rows = csv_rows(response)
    assert len(rows) == 34


def test_the_codebook_export_of_another_project_is_a_404(client, project, olga):
    client.force_login(olga)
    assert client.get(f"/projects/{project.pk}/codebook/export/").status_code == 404


# The download links others include


def test_the_export_links_keep_the_filters(project):
    html = render_to_string(
        "exports/links.html#excerpt-links", {"project": project, "querystring": "code=4"}
    )
    base = f"/projects/{project.pk}/excerpts/export/"
    assert f'href="{base}?format=csv&amp;code=4"' in html
    assert f'href="{base}?format=xlsx&amp;code=4"' in html
    html = render_to_string("exports/links.html#codebook-links", {"project": project})
    assert f'href="/projects/{project.pk}/codebook/export/?format=xlsx"' in html


def test_a_small_export_is_read_at_once_and_a_large_one_streamed_with_the_same_rows(
    project, rita, study, monkeypatch
):
    """exports/excerpt_rows.py: a small export (at most CHUNK rows) reads its count, attributes,
    detached codings and rows in one round trip; a larger one streams its rows, which PostgreSQL
    sends with COPY. Both give the same table, and say how many rows they hold before writing
    one."""
    excerpts = read_filters(project, QueryDict(""), user=rita)

    def table():
        with CaptureQueriesContext(connection) as seen:
            written = writers.excerpt_table(project, excerpts)
            lines = list(written.rows)
        return written.count, lines, [query["sql"] for query in seen.captured_queries]

    count, at_once, statements = table()
    monkeypatch.setattr(excerpt_rows, "CHUNK", 3)
    streamed_count, streamed, streamed_statements = table()
    assert count == streamed_count == 4
    assert len(at_once) == 4 and at_once == streamed
    assert len(statements) == 1 and "COPY" not in statements[0]
    assert sum(sql.startswith("COPY (") for sql in streamed_statements) == 1


HOSTILE_VALUE = 'Refuge l\'"Abri" \\ %s $1 ); DROP TABLE coding_coding; --'


def test_a_streamed_exports_parameters_stay_values(project, rita, study, monkeypatch):
    """COPY takes no parameters: the streamed rows' statement has its values bound into its text
    (exports/excerpt_rows.py `_streamed`). A filter value with quotes, a backslash, placeholders
    and SQL selects what it says, streamed or read at once."""
    organisation = Attribute.objects.get(project=project, name="Organisation")
    AttributeValue.objects.filter(attribute=organisation, text="Refuge").update(text=HOSTILE_VALUE)
    query = QueryDict(mutable=True)
    query.setlist("attribute", [str(organisation.pk)])
    query.setlist("value", [HOSTILE_VALUE])
    excerpts = read_filters(project, query, user=rita)
    assert excerpts.is_valid(), excerpts.errors
    at_once = list(writers.excerpt_table(project, excerpts).rows)
    monkeypatch.setattr(excerpt_rows, "CHUNK", 1)
    streamed = list(writers.excerpt_table(project, excerpts).rows)
    assert streamed == at_once
    assert sorted(row[HEADER.index("Text")] for row in streamed) == [
        "Je m'assois pas loin",
        "« juste un café »",
    ]
    assert {row[HEADER.index("Organisation")] for row in streamed} == {HOSTILE_VALUE}
    assert Coding.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_streamed_export_left_halfway_leaves_the_connection_usable(
    project, rita, study, monkeypatch
):
    """A download cancelled halfway closes the rows' generator inside its COPY: psycopg cancels
    it and reads what is left, and the connection answers the next statement. In autocommit, as
    requests run: in a test's transaction, a cancel that comes before PostgreSQL has sent the
    last row would abort it."""
    monkeypatch.setattr(excerpt_rows, "CHUNK", 1)
    rows = writers.excerpt_table(project, read_filters(project, QueryDict(""), user=rita)).rows
    assert next(rows)[HEADER.index("Interview")] == "Entretien 1"
    rows.close()
    assert Coding.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_copy_left_while_postgresql_still_sends_leaves_the_connection_usable(project):
    """Far more rows than the connection's buffers hold: PostgreSQL is still sending when the
    reader leaves, so psycopg cancels the COPY, always, where the tests above leave a small one
    that may have ended first; the sequence shows it stopped. In autocommit, as a download runs
    (a test's transaction would be aborted by the cancel), the next statement answers."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY SEQUENCE copied")
    records = excerpt_rows._csv_streamed(
        "SELECT nextval('copied'), repeat('x', 100) FROM generate_series(1, %s)", [1_000_000]
    )
    assert next(records) == b"1," + b"x" * 100 + b"\r\n"
    records.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM copied")
        assert cursor.fetchone()[0] < 1_000_000
        cursor.execute("DROP SEQUENCE copied")
    make_code(project, "Written after")
    assert list(Code.objects.values_list("name", flat=True)) == ["Written after"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_filters_the_database_knows_match_nothing_export_the_header_only(
    client, project, rita, study, kind
):
    """An attribute value no participant has: the ORM sends no statement for such filters, and the
    export's own (exports/excerpt_rows.py) keeps its columns and returns no row."""
    client.force_login(rita)
    organisation = Attribute.objects.get(project=project, name="Organisation")
    query = f"format={kind}&attribute={organisation.pk}&value=Nowhere"
    response = export(client, project, query)
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    assert len(rows) == 1 and rows[0][0] == "Project"
    rows = csv_rows(export(client, project, f"format=csv&attribute={organisation.pk}&value=Refuge"))
    assert sorted(row[HEADER.index("Text")] for row in rows[1:]) == [
        "Je m'assois pas loin",
        "« juste un café »",
    ]


def test_a_large_export_reads_through_a_plain_cursor_where_settings_forbid_server_side_ones(
    project, rita, study, monkeypatch
):
    """As Django's iterator does behind a transaction pooler (DISABLE_SERVER_SIDE_CURSORS)."""
    excerpts = read_filters(project, QueryDict(""), user=rita)
    expected = list(writers.excerpt_table(project, excerpts).rows)
    monkeypatch.setattr(excerpt_rows, "CHUNK", 3)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    with CaptureQueriesContext(connection) as seen:
        streamed = list(writers.excerpt_table(project, excerpts).rows)
    assert streamed == expected and len(streamed) == 4
    assert not any("DECLARE" in query["sql"] for query in seen.captured_queries)


def test_an_export_reads_the_attribute_values_of_its_own_interviews_only(project, rita, study):
    """Not every interview of the project: at L one code's export lies in 800 of 2,000."""
    first, second = study["interviews"]
    third = make_interview(project, "Martine : Rien de codé ici.", title="Entretien 3")
    organisation = Attribute.objects.get(project=project, name="Organisation")
    AttributeValue.objects.create(interview=third, attribute=organisation, text="Ailleurs")
    whole = excerpt_rows.read(read_filters(project, QueryDict(""), user=rita))
    assert set(whole.values) == {first.pk, second.pk}
    one = excerpt_rows.read(read_filters(project, QueryDict(f"interview={second.pk}"), user=rita))
    assert set(one.values) == {second.pk}
    assert one.values[second.pk] == {organisation.pk: "Pharmacie"}
    # A CSV reads none: PostgreSQL writes its attribute cells with its records (CELLS).
    assert (
        excerpt_rows.read(read_filters(project, QueryDict(""), user=rita), rows=False).values == {}
    )
