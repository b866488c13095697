"""Names and numbers past what the database holds, in uploads and attribute sheets: each refused or
kept within bounds with a message, never a database error cutting the import page mid-stream."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from interviews.models import Attribute, AttributeValue, ImportFile, Interview
from tests.interviews.fixtures import build
from tests.interviews.test_import_upload import preview, upload

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


@pytest.fixture
def admin(client, ada):
    client.force_login(ada)
    return ada


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_file_name_past_255_characters_is_shortened(client, project, admin):
    page = upload(client, project, {"e" * 400 + ".txt": build.txt()})
    assert page.rstrip().endswith("</html>")  # the page came to its end
    stored = ImportFile.objects.get()
    assert len(stored.name) == 255 and not stored.error


def test_a_long_unknown_extension_is_refused_by_name(client, project, admin):
    page = upload(client, project, {"entretien." + "x" * 300: b"Bonjour"})
    assert page.rstrip().endswith("</html>")
    stored = ImportFile.objects.get()
    assert stored.error and len(stored.format) <= 16


def test_long_zip_member_names_and_nested_archives_are_kept_within_bounds(client, project, admin):
    archive = zipped(
        {
            "dossier/" + "m" * 1000 + ".txt": build.txt(),
            "n" * 600 + ".zip": b"PK",
            "autre." + "y" * 200: b"?",
        }
    )
    page = upload(client, project, {"lot.zip": archive})
    assert page.rstrip().endswith("</html>")
    names = list(ImportFile.objects.order_by("position").values_list("name", "format", "error"))
    assert len(names) == 3
    assert all(len(name) <= 255 and len(format_) <= 16 for name, format_, _ in names)
    assert [bool(error) for _, _, error in names] == [False, True, True]


def sheet(client, project, rows):
    client.post(
        f"/projects/{project.pk}/import/attributes/",
        {"sheet": SimpleUploadedFile("participants.csv", build.csv_bytes(rows))},
        headers=EN,
    )


def test_an_attribute_header_longer_than_its_column_is_refused_with_a_message(
    client, project, admin
):
    upload(client, project, {"01.txt": build.txt()})
    header = "Nombre d'années de pratique " + "très " * 40
    sheet(client, project, [["Fichier", header], ["01.txt", "14"]])

    page = preview(client, project).content.decode()
    assert "longer than 100 characters" in page
    response = client.post(f"/projects/{project.pk}/import/confirm/", headers=EN)
    assert response.status_code == 200
    assert not Interview.objects.exists() and not Attribute.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("number", ["123456789012345", "-99999999999", "1e200000"])
def test_a_number_past_the_attribute_column_is_text_unless_asked_for(
    client, project, admin, number, run_jobs
):
    """A 15-digit number is an identifier, not a quantity: the column becomes text."""
    upload(client, project, {"01.txt": build.txt()})
    sheet(client, project, [["Fichier", "Identifiant"], ["01.txt", number]])

    response = client.post(f"/projects/{project.pk}/import/confirm/", headers=EN)

    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    run_jobs()  # the import itself runs as a background job
    attribute = Attribute.objects.get()
    assert attribute.type == "text"
    assert AttributeValue.objects.get().text == number


def test_a_number_too_large_for_a_number_attribute_is_named(client, project, admin):
    Attribute.objects.create(project=project, name="Années", type="number")
    upload(client, project, {"01.txt": build.txt()})
    sheet(client, project, [["Fichier", "Années"], ["01.txt", "123456789012345"]])

    page = preview(client, project).content.decode()
    assert "“123456789012345” is too large a number (Années)" in page
    response = client.post(f"/projects/{project.pk}/import/confirm/", headers=EN)
    assert response.status_code == 200 and not Interview.objects.exists()
