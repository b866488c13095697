"""CSV downloads are made whole before they are sent (verbatim/downloads.py): the excerpts' and an
analysis table's read nothing from the database while the client reads them, so a slow client
can hold no statement open."""

import csv
import io
import mimetypes
from unittest import mock

import pytest
from django.db import connection

from tests.factories import make_coding, make_interview
from verbatim import downloads

pytestmark = pytest.mark.django_db


def sent_without_the_database(response) -> bytes:
    """The response's body, read while any use of the database fails the test."""
    refused = AssertionError("the database was read while the download was being sent")
    with mock.patch.object(connection, "cursor", side_effect=refused):
        return b"".join(response.streaming_content)


def test_the_pieces_are_all_made_before_the_response_is_returned():
    made = []

    def pieces():
        for n in range(3):
            made.append(n)
            yield f"piece {n};".encode()

    response = downloads.made_whole(pieces(), "table.csv")
    assert made == [0, 1, 2]
    body = b"".join(response.streaming_content)
    assert body == b"piece 0;piece 1;piece 2;"
    assert response["Content-Length"] == str(len(body))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="table.csv"'


def test_the_file_goes_to_the_server_in_large_pieces():
    pieces = [b"x" * 1000] * 1500  # 1.5 MB
    response = downloads.made_whole(iter(pieces), "table.csv")
    sizes = [len(piece) for piece in response.streaming_content]
    assert sizes == [downloads.PIECE, downloads.PIECE, 1_500_000 - 2 * downloads.PIECE]


def test_a_file_already_made_goes_out_in_large_pieces_with_the_type_of_its_extension(
    monkeypatch,
):
    monkeypatch.setattr(mimetypes, "guess_type", lambda *args, **kwargs: (None, None))  # no table
    response = downloads.attachment(io.BytesIO(b"x" * 1_200_000), "agreement.XLSX")
    sizes = [len(piece) for piece in response.streaming_content]
    assert sizes == [downloads.PIECE, downloads.PIECE, 1_200_000 - 2 * downloads.PIECE]
    assert response["Content-Type"] == downloads.TYPES["xlsx"]
    assert response["Content-Disposition"] == 'attachment; filename="agreement.XLSX"'


def test_an_excel_export_goes_out_in_large_pieces(client, project, rita, code):
    make_coding(make_interview(project), code, rita, 0, 20)
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/excerpts/export/?format=xlsx")
    assert response.status_code == 200 and response.block_size == downloads.PIECE
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_past_what_memory_may_hold_the_file_goes_to_disk_and_comes_back_whole(monkeypatch):
    monkeypatch.setattr(downloads, "IN_MEMORY", 1000)
    pieces = [bytes([n]) * 300 for n in range(10)]
    response = downloads.made_whole(iter(pieces), "big.zip")
    assert response.file_to_stream._rolled  # a temporary file now, not memory
    assert b"".join(response.streaming_content) == b"".join(pieces)
    assert response["Content-Length"] == "3000"


def test_a_failure_while_the_file_is_made_is_raised_in_the_view_and_ends_the_pieces():
    ended = []

    def pieces():
        try:
            yield b"first"
            raise ConnectionError("the database went away")
        finally:
            ended.append(True)

    with pytest.raises(ConnectionError):
        downloads.made_whole(pieces(), "table.csv")
    assert ended == [True]


def test_the_excerpts_csv_is_sent_without_reading_the_database(client, project, rita, code):
    interview = make_interview(project)
    make_coding(interview, code, rita, 0, 20)
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/excerpts/export/?format=csv")
    rows = list(csv.reader(io.StringIO(sent_without_the_database(response).decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][rows[0].index("Texte")] == interview.text[0:20]


def test_an_analysis_csv_is_sent_without_reading_the_database(client, project, rita, code):
    make_coding(make_interview(project), code, rita, 0, 20)
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/analysis/frequencies/?format=csv")
    lines = sent_without_the_database(response).decode("utf-8-sig").splitlines()
    assert lines[1].startswith(f"{code.name},1,")
