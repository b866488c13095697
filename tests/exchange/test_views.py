"""The exchange pages: importing a .qdpx as a new project (upload → preview and users → confirm),
refusals that say why and store nothing, downloads, a codebook into a project, and handing a
placeholder account's work to a member."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coding.models import Code, Coding
from exchange.models import ImportDraft, Placeholder
from interviews.models import Interview, Membership, Project
from jobs.models import Job
from tests.factories import make_code, make_user

from .builders import code_xml, one_source, project_xml, qdpx, text_source_xml
from .projects import exported, full_project, import_bytes
from .test_hostile import BILLION_LAUGHS
from .test_import import QDC, G, hand_made

pytestmark = pytest.mark.django_db


def members(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def upload(name: str, data: bytes):
    return {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")}


def stored() -> list[int]:
    return [m.objects.count() for m in (Project, Interview, Code, Coding, ImportDraft)]


def test_the_project_list_offers_the_import(client, rita):
    client.force_login(rita)
    assert b'href="/exchange/import/"' in client.get("/").content


@pytest.mark.django_db(transaction=True)
def test_an_import_goes_from_upload_to_preview_to_a_new_project(client, project, rita, run_jobs):
    sam = make_user("sam", project, Membership.Role.SUPERVISOR)
    sam.first_name, sam.last_name = "Sam", "Superviseure"
    sam.save()
    client.force_login(rita)
    response = client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    assert response.status_code == 302 and response["Location"] == "/exchange/import/preview/"
    draft = ImportDraft.objects.get(created_by=rita)
    assert draft.project is None and draft.file_name == "terrain.qdpx"

    page = client.get("/exchange/import/preview/").content.decode()
    assert 'data-count="codings">3<' in page and 'data-count="users">2<' in page
    assert 'data-kind="duplicate_source"' in page and 'data-kind="line_endings"' in page
    assert "Fait main" in page  # the name proposed for the project
    # rita is in the file by her username, Sam by his full name: both proposed.
    assert f'<option value="{rita.pk}" selected>' in page
    assert f'<option value="{sam.pk}" selected>' in page

    response = client.post(
        "/exchange/import/preview/",
        {"name": "Terrain importé", "user-0": str(rita.pk), "user-1": "new"},
    )
    # Stored by the background worker; the job's page says how far it is, then links to it.
    job = Job.objects.get(created_by=rita)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert not Project.objects.filter(name="Terrain importé").exists()
    run_jobs()
    created = Project.objects.get(name="Terrain importé")
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.result["link"] == f"/projects/{created.pk}/"
    assert (job.done, job.total) == (2, 2)  # its one interview, then the codings
    assert created.memberships.get(user=rita).role == Membership.Role.ADMIN
    placeholder = Placeholder.objects.get(project=created)
    assert placeholder.name == "Sam Superviseure" and not placeholder.user.is_active
    assert not ImportDraft.objects.exists()
    assert created.interviews.count() == 1
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Importé : 1 entretien" in page and f'href="/projects/{created.pk}/"' in page


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_colleague_left_meanwhile_stores_nothing(
    client, project, rita, sam, run_jobs
):
    client.force_login(rita)
    client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    answers = {"name": "Tardif", "user-0": str(rita.pk), "user-1": str(sam.pk)}
    client.post("/exchange/import/preview/", answers)
    Membership.objects.filter(user=sam).delete()  # sam is no longer rita's colleague
    run_jobs()
    job = Job.objects.get(created_by=rita)
    assert job.state == Job.State.FAILED and job.errors
    assert not Project.objects.filter(name="Tardif").exists()
    assert ImportDraft.objects.filter(created_by=rita).exists()  # kept, to confirm again


def test_the_user_mapping_offers_only_colleagues(client, project, rita, olga):
    client.force_login(rita)
    client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    page = client.get("/exchange/import/preview/").content.decode()
    assert f'value="{rita.pk}"' in page
    assert f'value="{olga.pk}"' not in page  # not in any of rita's projects


def test_a_mapping_to_someone_else_is_refused(client, project, rita, olga):
    client.force_login(rita)
    client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    before = Project.objects.count()
    response = client.post(
        "/exchange/import/preview/", {"name": "X", "user-0": str(olga.pk), "user-1": "new"}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Project.objects.count() == before


MiB = 1024 * 1024


def bomb() -> bytes:
    return qdpx(project_xml("<Description>" + " " * (40 * MiB) + "</Description>")).getvalue()


def traversal() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", project_xml(code_xml()))
        archive.writestr("../../etc/evil.txt", b"x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.qdpx", b"<Project/>", "zip"),
        ("a.qdpx", bomb(), "zip bomb"),
        ("a.qdpx", traversal(), "unsafe name"),
        ("a.qdpx", qdpx(BILLION_LAUGHS).getvalue(), "DTD"),
        ("a.qdpx", qdpx("<Project name='x'><Users></Project>").getvalue(), "well-formed"),
        ("a.docx", hand_made(), ".qdpx"),
    ],
    ids=["not-a-zip", "zip-bomb", "traversal", "entities", "invalid-xml", "extension"],
)
def test_a_hostile_or_broken_file_is_refused_with_a_reason(
    client, rita, english, name, data, words
):
    client.force_login(rita)
    before = stored()
    response = client.post(
        "/exchange/import/", upload(name, data), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page and words in page
    assert stored() == before


def test_refusals_are_in_french_for_french_users(client, rita):
    client.force_login(rita)
    response = client.post("/exchange/import/", upload("a.qdpx", b"not a zip"))
    assert "archive zip" in response.content.decode()


def test_a_file_over_the_limit_is_refused(client, rita, settings, english):
    settings.VERBATIM_MAX_QDPX_BYTES = 1000
    client.force_login(rita)
    before = stored()
    response = client.post(
        "/exchange/import/", upload("a.qdpx", hand_made()), headers={"Accept-Language": "en"}
    )
    assert "larger than this server accepts" in response.content.decode()
    assert stored() == before


def test_a_file_the_reader_cannot_read_within_its_ceilings_fails_alone(
    client, rita, settings, english
):
    # The reading runs in a child process (jobs/isolation.py); 50 MB of text cannot be read in
    # 8 MB more than the child starts with, so it dies there, and this process answers.
    settings.VERBATIM_QDPX_MEMORY_MB = 8
    client.force_login(rita)
    before = stored()
    data = one_source("Intervieweuse : Un café ?\n" * 2_000_000).getvalue()
    response = client.post(
        "/exchange/import/", upload("big.qdpx", data), headers={"Accept-Language": "en"}
    )
    assert "could not be read within" in response.content.decode()
    assert "8 MB" in response.content.decode()
    assert stored() == before


def test_a_project_qde_that_unpacks_past_the_limit_is_refused(client, rita, settings, english):
    """The archive's limit and ten times it unpacked: a huge project.qde stops while it inflates."""
    settings.VERBATIM_MAX_QDPX_BYTES = 100_000
    notes = "".join(
        f'<Note guid="{i:08x}-0000-4000-8000-000000000000" name="n{i}"><PlainTextContent>'
        f"{i} {'mot ' * 40}</PlainTextContent></Note>"
        for i in range(8000)
    )
    qde = project_xml(f"<Notes>{notes}</Notes>").encode()
    data = qdpx(qde).getvalue()
    assert len(data) < 100_000 and len(qde) > 10 * 100_000
    client.force_login(rita)
    before = stored()
    response = client.post(
        "/exchange/import/", upload("a.qdpx", data), headers={"Accept-Language": "en"}
    )
    assert "unpacks to more than this server accepts" in response.content.decode()
    assert stored() == before


def test_sources_outside_the_archive_or_not_utf8_are_listed_not_read(client, rita, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's own file")
    other = "b2b94468-80a5-412f-92d6-e900d97b55a6"
    sources = text_source_xml(path=f"absolute://{secret}").replace("</Sources>", "")
    sources += text_source_xml(guid=other).replace("<Sources>", "")
    data = qdpx(
        project_xml(code_xml() + sources), {f"sources/{other}.txt": "Résumé".encode("latin-1")}
    ).getvalue()
    client.force_login(rita)
    client.post("/exchange/import/", upload("a.qdpx", data))
    page = client.get("/exchange/import/preview/").content.decode()
    assert "outside the archive" in page and "not UTF-8" in page
    assert "the server's own file" not in page


def test_an_old_draft_is_forgotten(client, rita):
    client.force_login(rita)
    client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    ImportDraft.objects.update(created_at=timezone.now() - timedelta(days=2))
    response = client.get("/exchange/import/preview/")
    assert response.status_code == 302 and not ImportDraft.objects.exists()


def test_a_draft_can_be_discarded(client, rita):
    client.force_login(rita)
    client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    assert client.get("/exchange/import/discard/").status_code == 405
    client.post("/exchange/import/discard/")
    assert not ImportDraft.objects.exists()


def test_nobody_sees_another_persons_draft(client, rita, sam):
    client.force_login(rita)
    client.post("/exchange/import/", upload("terrain.qdpx", hand_made()))
    client.force_login(sam)
    assert client.get("/exchange/import/preview/").status_code == 302
    client.post("/exchange/import/preview/", {"name": "Vol", "user-0": "new", "user-1": "new"})
    assert not Project.objects.filter(name="Vol").exists()


# /projects/<id>/exchange/


def test_the_exchange_page_by_role(client, project, rita, sam, ada):
    client.force_login(ada)
    page = client.get(f"/projects/{project.pk}/exchange/").content.decode()
    assert "project.qdpx" in page and 'name="file"' in page and "exchange-accounts" in page
    client.force_login(sam)
    page = client.get(f"/projects/{project.pk}/exchange/").content.decode()
    assert "project.qdpx" in page and 'name="file"' not in page
    client.force_login(rita)
    assert client.get(f"/projects/{project.pk}/exchange/").status_code == 403
    assert client.get(f"/projects/{project.pk}/exchange/project.qdpx").status_code == 403
    assert client.get(f"/projects/{project.pk}/").content.decode().count("/exchange/") == 0


def test_admins_and_supervisors_download_the_project(client):
    project = full_project()
    client.force_login(project.memberships.get(user__username="sam").user)
    response = client.get(f"/projects/{project.pk}/exchange/project.qdpx")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert ".qdpx" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert members(data) == members(exported(project))  # the zip's own dates aside
    maxqda = client.get(f"/projects/{project.pk}/exchange/project.qdpx?for=maxqda")
    assert members(b"".join(maxqda.streaming_content)) == members(
        exported(project, line_endings="crlf")
    )
    codebook = client.get(f"/projects/{project.pk}/exchange/codebook.qdc")
    assert codebook.status_code == 200 and b"<CodeBook" in codebook.content


def test_an_empty_codebook_is_not_downloaded(client, project, ada):
    client.force_login(ada)
    response = client.get(f"/projects/{project.pk}/exchange/codebook.qdc")
    assert response.status_code == 302


def test_a_codebook_goes_into_the_project(client, project, ada, rita):
    make_code(project, "Voisinage courtois")
    client.force_login(rita)
    qdc = QDC.format(*G[:3]).encode()
    assert (
        client.post(f"/projects/{project.pk}/exchange/codebook/", upload("c.qdc", qdc)).status_code
        == 403
    )
    client.force_login(ada)
    response = client.post(f"/projects/{project.pk}/exchange/codebook/", upload("c.qdc", qdc))
    assert response["Location"] == f"/projects/{project.pk}/exchange/codebook/preview/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-count="codes">3<' in page
    client.post(response["Location"])
    assert set(Code.objects.filter(project=project).values_list("name", flat=True)) == {
        "Voisinage courtois",
        "Au parc",
        "Nouveau",
    }
    assert not ImportDraft.objects.exists()


def test_a_broken_codebook_is_refused_on_the_exchange_page(client, project, ada):
    client.force_login(ada)
    response = client.post(
        f"/projects/{project.pk}/exchange/codebook/", upload("c.qdc", b"<CodeBook"), follow=True
    )
    assert "XML" in response.content.decode()
    assert not ImportDraft.objects.exists() and not Code.objects.exists()


def test_a_placeholder_is_handed_to_a_member(client, english):
    ada, rita = make_user("ada"), make_user("rita")
    new = import_bytes(hand_made(), "Terrain", admin=ada)
    sam = Placeholder.objects.get(project=new)
    codings = Coding.objects.filter(coder=sam.user).count()
    assert codings == 1
    client.force_login(ada)
    page = client.get(f"/projects/{new.pk}/exchange/").content.decode()
    assert "Sam Superviseure" in page
    response = client.post(
        f"/projects/{new.pk}/exchange/accounts/",
        {"placeholder": sam.pk, "username": "rita"},
    )
    assert response.status_code == 302
    assert Coding.objects.filter(coder=rita).count() >= 1 + codings
    assert not Placeholder.objects.exists()
    assert not type(rita).objects.filter(pk=sam.user_id).exists()
    assert new.memberships.filter(user=rita).count() == 1


def test_only_admins_hand_over(client, sam, project):
    placeholder_user = make_user("import-x", project, Membership.Role.RESEARCHER)
    placeholder = Placeholder.objects.create(user=placeholder_user, project=project, name="X")
    client.force_login(sam)
    response = client.post(
        f"/projects/{project.pk}/exchange/accounts/",
        {"placeholder": placeholder.pk, "username": "sam"},
    )
    assert response.status_code == 403 and Placeholder.objects.exists()


def test_a_placeholder_of_another_project_is_not_found(client, project, ada, other_project):
    placeholder_user = make_user("import-y", other_project, Membership.Role.RESEARCHER)
    placeholder = Placeholder.objects.create(user=placeholder_user, project=other_project)
    client.force_login(ada)
    response = client.post(
        f"/projects/{project.pk}/exchange/accounts/",
        {"placeholder": placeholder.pk, "username": "ada"},
    )
    assert response.status_code == 404
