"""Files built to exhaust a reader (issue 14): each is read in a child process with a memory and
CPU ceiling (jobs/isolation.py) or refused by a named limit before any work, and fails alone with a
clear message; the web process never holds it. The table of docs/security.md cites these tests."""

import psutil
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from interviews import services
from interviews.models import ImportFile
from interviews.pseudonyms import Pseudonymiser
from jobs import isolation
from tests.interviews.fixtures import build
from tests.jobs import child_probe

NO_NAMES = Pseudonymiser([])


@pytest.fixture(autouse=True)
def english(english):
    return english


def problem(name: str, data: bytes) -> str:
    (prepared,) = services.prepare(name=name, data=data, pseudonymiser=NO_NAMES)
    assert prepared.error, "the file should have been refused"
    assert not prepared.text
    return prepared.error


def test_a_pdf_that_keeps_its_reader_busy_is_stopped_at_the_cpu_ceiling(settings):
    settings.VERBATIM_IMPORT_CPU_SECONDS = 2
    data = build.pdf_fanout(pages=200)
    assert len(data) < 4096  # a few kilobytes of crafted content streams
    rss = psutil.Process().memory_info().rss
    assert "This PDF could not be read within the limit of 2 s" in problem("boucle.pdf", data)
    assert psutil.Process().memory_info().rss - rss < 50 << 20  # the web process stayed flat


def test_a_docx_that_inflates_to_gigabytes_is_refused_by_its_compression_ratio():
    data = build.docx_inflating(150 << 20)
    assert len(data) < 1 << 20
    assert "compressed more than 100 times" in problem("bombe.docx", data)


def test_a_docx_within_the_ratio_but_too_large_once_parsed_hits_the_memory_ceiling(settings):
    settings.VERBATIM_MAX_COMPRESSION_RATIO = 10**6
    settings.VERBATIM_IMPORT_MEMORY_MB = 128
    rss = psutil.Process().memory_info().rss
    error = problem("lourd.docx", build.docx_inflating(100 << 20))
    assert "This Word file could not be read within the limit of 128 MB of memory" in error
    assert psutil.Process().memory_info().rss - rss < 50 << 20


def test_a_19_mb_latin_1_text_is_refused_for_its_length():
    error = problem("long.txt", build.latin1_text())
    assert "too long: 19,922,944 characters" in error and "2,000,000" in error


def test_a_34_million_character_text_is_refused_for_its_length(settings):
    settings.VERBATIM_MAX_UPLOAD_BYTES = 64 << 20
    assert "too long: 34,000,000 characters" in problem("enorme.txt", build.long_text())


def test_the_character_limit_is_a_setting(settings):
    settings.VERBATIM_MAX_INTERVIEW_CHARS = 100
    assert "too long" in problem("entretien.docx", build.docx())
    settings.VERBATIM_MAX_INTERVIEW_CHARS = 10_000
    (prepared,) = services.prepare(name="entretien.docx", data=build.docx(), pseudonymiser=NO_NAMES)
    assert not prepared.error


def test_a_pdf_with_too_many_pages_is_refused_before_reading_them(settings):
    settings.VERBATIM_MAX_PDF_PAGES = 100
    assert "200 pages, more than the limit of 100" in problem("long.pdf", build.pdf_fanout())


def test_a_zip_with_too_many_files_is_refused(settings):
    settings.VERBATIM_MAX_FILES = 3
    data = build.zip_of({f"{n}.txt": build.txt() for n in range(4)})
    assert "too many files (more than 3)" in problem("lot.zip", data)


def test_a_file_in_a_zip_over_the_upload_limit_is_refused_alone(settings):
    settings.VERBATIM_MAX_UPLOAD_BYTES = 4096
    data = build.zip_of({"court.txt": build.txt(), "long.txt": b"mot " * 5000})
    short, long = services.prepare(name="lot.zip", data=data, pseudonymiser=NO_NAMES)
    assert not short.error and "larger than the limit" in long.error


@pytest.mark.django_db
def test_an_upload_of_too_many_files_is_refused_before_reading_any(client, project, ada, settings):
    settings.VERBATIM_MAX_FILES = 2
    client.force_login(ada)
    files = [SimpleUploadedFile(f"{n}.txt", build.txt()) for n in range(3)]
    page = client.post(
        f"/projects/{project.pk}/import/", {"files": files}, headers={"Accept-Language": "en"}
    ).content.decode()
    assert "At most 2 files at once" in page and not ImportFile.objects.exists()


def test_an_upload_of_more_files_than_djangos_default_ceiling_is_read(client, project, ada):
    # Django refuses more than 100 files by default (a bare 400); our limit is 500.
    client.force_login(ada)
    files = [
        SimpleUploadedFile(f"{n:03d}.txt", build.txt(f"Intervieweuse : {n} ?")) for n in range(120)
    ]
    response = client.post(f"/projects/{project.pk}/import/", {"files": files})
    assert response.status_code == 200
    b"".join(response.streaming_content)  # the page reads the files as it streams
    assert ImportFile.objects.count() == 120


# The isolation itself ---------------------------------------------------------------------------


def test_the_isolated_child_returns_results_and_raises_the_functions_errors():
    assert isolation.run(len, b"abcd") == 4
    with pytest.raises(ValueError, match="invalid literal"):
        isolation.run(int, "not a number")


def test_the_isolated_child_has_no_database(db):
    connection.ensure_connection()
    with pytest.raises(Exception, match="settings.DATABASES"):
        isolation.run(child_probe.open_database)


def test_the_isolated_child_speaks_the_callers_language():
    from django.utils import translation

    with translation.override("fr"):
        assert "vide" in problem("vide.txt", b"")
    assert "empty" in problem("vide.txt", b"")
