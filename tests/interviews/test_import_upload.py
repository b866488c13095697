"""The admin's import pages: upload → preview, speakers and attributes → confirm (all or nothing)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from interviews.models import Attribute, ImportBatch, ImportFile, Interview, Pseudonym
from tests.interviews.fixtures import build

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


def upload(client, project, files: dict[str, bytes], **data):
    response = client.post(
        f"/projects/{project.pk}/import/",
        {"files": [SimpleUploadedFile(name, content) for name, content in files.items()], **data},
        headers=EN,
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def preview(client, project, **params):
    return client.get(f"/projects/{project.pk}/import/preview/", params, headers=EN)


def confirm(client, project, run_jobs, data=None):
    """Confirm the draft, run the job it queued, and return the job's page once done."""
    response = client.post(f"/projects/{project.pk}/import/confirm/", data or {}, headers=EN)
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    run_jobs()
    return client.get(response["Location"], headers=EN).content.decode()


@pytest.fixture
def admin(client, ada):
    client.force_login(ada)
    return ada


def test_uploading_shows_progress_per_file_and_stores_nothing_but_a_draft(client, project, admin):
    page = upload(client, project, {"01.docx": build.docx(), "02.vtt": build.VTT.encode()})
    assert "1/2 <strong>01.docx</strong>" in page and "2/2 <strong>02.vtt</strong>" in page
    assert f"/projects/{project.pk}/import/preview/" in page
    assert not Interview.objects.exists()
    assert list(ImportFile.objects.values_list("name", "error")) == [
        ("01.docx", ""),
        ("02.vtt", ""),
    ]


def test_the_original_text_and_file_name_are_never_stored(client, project, admin):
    Pseudonym.objects.create(project=project, real_name="Martine Dupont", pseudonym="Claire Roy")
    Pseudonym.objects.create(project=project, real_name="Martine", pseudonym="Claire")
    upload(client, project, {"Martine Dupont.txt": build.txt(), "notes.txt": b""})
    for file in ImportFile.objects.all():
        stored = f"{file.name} {file.text} {file.alternatives} {file.labels}"
        assert "Martine" not in stored
    page = preview(client, project).content.decode()
    assert "Claire Roy.txt" in page and "Martine → Claire ×3" in page  # the replacements made


def test_the_preview_shows_speakers_encoding_and_problems(client, project, admin):
    upload(
        client,
        project,
        {
            "01.txt": build.txt(build.LEGACY_TEXT, encoding="cp1252"),
            "scan.pdf": build.scanned_pdf(),
        },
    )
    page = preview(client, project).content.decode()
    assert "Windows-1252" in page
    assert 'value="Intervieweuse"' in page and 'value="Hélène"' in page
    assert "<strong>scan.pdf</strong>: The PDF has no text layer" in page


@pytest.mark.django_db(transaction=True)
def test_an_admin_maps_speakers_fills_attributes_and_confirms(
    client, project, admin, rita, run_jobs
):
    upload(client, project, {"01.txt": build.txt(), "02.vtt": build.VTT.encode()})
    first, second = ImportFile.objects.all()
    page = confirm(
        client,
        project,
        run_jobs,
        {
            f"f{first.pk}-title": "Entretien 01",
            f"f{first.pk}-participant": "Martine",
            f"f{first.pk}-date": "2024-05-14",
            f"f{first.pk}-s0-name": "Chercheuse",
            f"f{first.pk}-s0-role": "interviewer",
            f"f{first.pk}-s1-name": "Martine",
            f"f{first.pk}-s1-role": "participant",
            f"f{second.pk}-title": "Entretien 02",
            f"f{second.pk}-s0-role": "",  # not a speaker: its lines stay plain text
        },
    )
    assert "2 interviews imported." in page and f'href="/projects/{project.pk}/"' in page
    one, two = Interview.objects.filter(project=project).order_by("title")
    assert (one.participant, str(one.interviewed_on), one.imported_by) == (
        "Martine",
        "2024-05-14",
        admin,
    )
    assert dict(one.speakers.values_list("name", "role")) == {
        "Chercheuse": "interviewer",
        "Martine": "participant",
    }
    assert list(two.speakers.values_list("label", flat=True)) == ["Martine"]
    assert not ImportBatch.objects.exists()
    client.force_login(rita)
    assert "Entretien 01" in client.get(f"/projects/{project.pk}/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_one_unreadable_file_means_nothing_is_stored_unless_the_admin_says_so(
    client, project, admin, run_jobs
):
    upload(client, project, {"01.txt": build.txt(), "photo.txt": bytes(range(256)) * 8})
    url = f"/projects/{project.pk}/import/confirm/"
    page = client.post(url, headers=EN).content.decode()
    assert "Nothing was imported" in page and "photo.txt: This is not a text file" in page
    assert not Interview.objects.exists()
    confirm(client, project, run_jobs, {"valid_only": "1"})
    assert list(Interview.objects.values_list("title", flat=True)) == ["01"]


def test_an_oversized_file_is_named_and_refused(client, project, admin, settings):
    settings.VERBATIM_MAX_UPLOAD_BYTES = 2048
    page = upload(client, project, {"long.txt": b"mot " * 1000, "court.txt": build.txt()})
    assert "<strong>long.txt</strong>: The file is larger than the limit" in page


@pytest.mark.django_db(transaction=True)
def test_reimporting_the_same_text_is_skipped_with_a_message(client, project, admin, run_jobs):
    upload(client, project, {"01.txt": build.txt()})
    confirm(client, project, run_jobs)
    upload(client, project, {"01-copie.txt": build.txt(crlf=True)})
    assert "Already imported as “01”" in preview(client, project).content.decode()
    page = confirm(client, project, run_jobs)
    assert "already imported as “01”, skipped" in page
    assert Interview.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sheet_of_attributes_is_matched_by_file_name_and_its_types_inferred(
    client, project, admin, run_jobs
):
    karim = [("Intervieweuse", "Bonjour."), ("Karim", "Salut."), ("Intervieweuse", "Et ?")]
    upload(client, project, {"01.txt": build.txt(), "02.odt": build.odt(karim)})
    sheet = build.xlsx(
        [
            ["Fichier", "Pseudonyme", "Années de pratique", "Milieu", "Date de naissance"],
            ["01.txt", "Martine", 14, "Rue", "1980-03-02"],
            ["02", "Karim", 6, "Rue", "02/03/1985"],
            ["03.docx", "Sophie", 9, "Site fixe", ""],
        ]
    )
    client.post(
        f"/projects/{project.pk}/import/attributes/",
        {"sheet": SimpleUploadedFile("participants.xlsx", sheet)},
    )
    page = preview(client, project).content.decode()
    assert "Row 4: no uploaded file matches “03.docx”." in page
    first, second = ImportFile.objects.all()
    assert f'name="f{second.pk}-participant" value="Karim"' in page
    assert f'name="f{first.pk}-v0" value="14"' in page
    confirm(client, project, run_jobs, {"type-1": "text"})
    types = dict(Attribute.objects.filter(project=project).values_list("name", "type"))
    assert types == {"Années de pratique": "number", "Milieu": "text", "Date de naissance": "date"}
    karim = Interview.objects.get(participant="Karim")
    assert [str(v.value) for v in karim.attribute_values.order_by("attribute__position")] == [
        "6",
        "Rue",
        "1985-03-02",
    ]


def test_a_sheet_with_missing_and_duplicate_keys_blocks_the_import(client, project, admin):
    upload(client, project, {"01.txt": build.txt()})
    sheet = build.csv_bytes([["Fichier", "Âge"], ["01.txt", "40"], ["", "41"], ["01.TXT", "42"]])
    client.post(
        f"/projects/{project.pk}/import/attributes/",
        {"sheet": SimpleUploadedFile("participants.csv", sheet)},
    )
    page = preview(client, project).content.decode()
    assert (
        "Row 3 has no file name or pseudonym" in page and "Rows 2 and 4 both name “01.TXT”" in page
    )
    page = client.post(f"/projects/{project.pk}/import/confirm/", headers=EN).content.decode()
    assert "participants.csv: Row 3 has no file name" in page
    assert "01.txt: Several rows of the attribute sheet name this file" in page
    assert not Interview.objects.exists()


def test_an_unreadable_sheet_is_named_and_refused(client, project, admin):
    upload(client, project, {"01.txt": build.txt()})
    response = client.post(
        f"/projects/{project.pk}/import/attributes/",
        {"sheet": SimpleUploadedFile("participants.xlsx", b"not a zip")},
        headers=EN,
        follow=True,
    )
    assert "participants.xlsx: This is not a real .xlsx file" in response.content.decode()


def test_an_unsure_encoding_can_be_switched_in_the_preview(client, project, admin):
    upload(client, project, {"court.txt": "Intervieweuse : Un caf\xe9 ?".encode("cp1252")})
    file = ImportFile.objects.get()
    assert not file.encoding_sure
    client.post(f"/projects/{project.pk}/import/preview/", {"encoding": f"{file.pk}:mac_roman"})
    file.refresh_from_db()
    assert (file.encoding, file.text) == ("mac_roman", "Intervieweuse : Un cafÈ ?")


def test_a_file_can_be_removed_from_the_draft_and_the_draft_discarded(client, project, admin):
    upload(client, project, {"01.txt": build.txt(), "vide.txt": b""})
    empty = ImportFile.objects.get(name="vide.txt")
    client.post(f"/projects/{project.pk}/import/preview/", {"remove": empty.pk})
    assert list(ImportFile.objects.values_list("name", flat=True)) == ["01.txt"]
    client.post(f"/projects/{project.pk}/import/discard/")
    assert not ImportBatch.objects.exists() and not Interview.objects.exists()


def test_transcript_text_is_shown_as_text_never_as_markup(client, project, admin):
    text = "I : <script>alert(1)</script>\nP : <b>gras</b>\nI : ok\nP : ok"
    upload(client, project, {"<img src=x onerror=alert(1)>.txt": text.encode()})
    file = ImportFile.objects.get()
    page = preview(client, project, file=file.pk).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "<img src=x" not in preview(client, project).content.decode()


def test_the_text_preview_is_an_htmx_fragment(client, project, admin):
    upload(client, project, {"01.txt": build.txt()})
    file = ImportFile.objects.get()
    response = client.get(
        f"/projects/{project.pk}/import/preview/?file={file.pk}", headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "<html" not in page and "Juste un café" in page


def test_researchers_and_supervisors_cannot_import(client, project, rita, sam):
    for user in (rita, sam):
        client.force_login(user)
        assert client.get(f"/projects/{project.pk}/import/").status_code == 403
        response = client.post(
            f"/projects/{project.pk}/import/", {"files": [SimpleUploadedFile("a.txt", b"x")]}
        )
        assert response.status_code == 403
        assert client.post(f"/projects/{project.pk}/import/confirm/").status_code == 403
    assert not ImportBatch.objects.exists()


def test_the_project_page_links_to_the_import_for_admins_only(client, project, admin, rita):
    url = f"/projects/{project.pk}/import/"
    assert url in client.get(f"/projects/{project.pk}/").content.decode()
    client.force_login(rita)
    assert url not in client.get(f"/projects/{project.pk}/").content.decode()


def test_confirm_answers_405_to_get(client, project, admin):
    assert client.get(f"/projects/{project.pk}/import/confirm/").status_code == 405


def test_another_admins_draft_stays_theirs(client, project, admin):
    from tests.factories import make_user

    upload(client, project, {"01.txt": build.txt()})
    other = make_user("abel", project, "admin")
    client.force_login(other)
    assert preview(client, project).status_code == 302  # no draft of their own
    client.post(f"/projects/{project.pk}/import/confirm/")
    assert not Interview.objects.exists() and ImportFile.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_preview_flags_duplicates_and_counts_only_what_will_be_imported(
    client, project, admin, run_jobs
):
    from tests.factories import make_interview

    make_interview(project, text=build.LEGACY_TEXT, title="Déjà là")
    upload(
        client,
        project,
        {
            "01.txt": build.txt(),
            "02.txt": build.txt(),  # the same text again, in the same batch
            "03.txt": build.txt(build.LEGACY_TEXT),  # already in the project
        },
    )
    page = preview(client, project).content.decode()
    assert "Same text as “01.txt” in this import: it will be skipped." in page
    assert "Already imported as “Déjà là”: it will be skipped." in page
    assert "Import 1 interview<" in page
    confirm(client, project, run_jobs)
    assert Interview.objects.filter(project=project).count() == 2  # the one promised, and Déjà là


def test_the_preview_shows_the_readers_notices_and_comments(client, project, admin):
    upload(client, project, {"complet.odt": build.complete_odt()})
    file = ImportFile.objects.get()
    page = preview(client, project).content.decode()
    assert "1 footnote or endnote is kept" in page and "1 comment in the file" in page
    assert "« On se salue » — Voisinage courtois ?" in page
    assert f'name="f{file.pk}-memos" value="1" checked' in page


@pytest.mark.django_db(transaction=True)
def test_comments_become_memos_on_the_interview_when_ticked(client, project, admin, run_jobs):
    from coding.models import Memo

    upload(client, project, {"complet.odt": build.complete_odt(), "02.txt": build.txt()})
    odt, txt = ImportFile.objects.all()
    confirm(
        client,
        project,
        run_jobs,
        {f"f{odt.pk}-title": "Complet", f"f{odt.pk}-memos": "1", f"f{txt.pk}-title": "Deux"},
    )
    memo = Memo.objects.get()
    assert memo.interview.title == "Complet" and memo.author == admin
    assert "« On se salue »" in memo.body and "Voisinage courtois ?" in memo.body
    assert "Rita" in memo.body and "complet.odt" in memo.body


@pytest.mark.django_db(transaction=True)
def test_comments_stay_out_when_the_box_is_unticked(client, project, admin, run_jobs):
    from coding.models import Memo

    upload(client, project, {"complet.odt": build.complete_odt()})
    odt = ImportFile.objects.get()
    confirm(client, project, run_jobs, {f"f{odt.pk}-title": "Complet"})
    assert Interview.objects.count() == 1 and not Memo.objects.exists()


def test_an_unsure_encoding_shows_the_readings_side_by_side(client, project, admin):
    upload(client, project, {"court.txt": "Intervieweuse : Un caf\xe9 ?".encode("cp1252")})
    file = ImportFile.objects.get()
    page = preview(client, project).content.decode()
    assert "Intervieweuse : Un café ?" in page and "Intervieweuse : Un cafÈ ?" in page
    assert f'value="{file.pk}:mac_roman"' in page and "Keep this reading" in page


def test_the_upload_form_offers_every_encoding_in_a_searchable_list(client, project, admin):
    page = client.get(f"/projects/{project.pk}/import/", headers=EN).content.decode()
    assert 'list="encoding-encodings"' in page and '<datalist id="encoding-encodings">' in page
    assert '<option value="gb18030">' in page and '<option value="koi8-r">' in page
    response = client.post(
        f"/projects/{project.pk}/import/",
        {"files": [SimpleUploadedFile("01.txt", build.txt())], "encoding": "klingon"},
        headers=EN,
    )
    assert "Unknown encoding “klingon”" in response.content.decode()
    assert not ImportFile.objects.exists()


def test_timed_turns_show_their_times_in_the_text_preview(client, project, admin):
    upload(client, project, {"01.vtt": build.VTT.encode()})
    file = ImportFile.objects.get()
    page = preview(client, project, file=file.pk).content.decode()
    assert "<time>0:00:01</time>" in page and "<time>0:01:02</time>" in page


def test_the_reader_cuts_names_to_the_draft_columns():
    from interviews.models import ImportFile
    from interviews.reading import FORMAT_LENGTH, NAME_LENGTH, Prepared

    assert ImportFile._meta.get_field("name").max_length == NAME_LENGTH
    assert ImportFile._meta.get_field("format").max_length == FORMAT_LENGTH
    prepared = Prepared(name="a\x00" + "b" * 400 + ".txt", format="x" * 40)
    assert prepared.name == "a" + "b" * 254 and len(prepared.format) == FORMAT_LENGTH
