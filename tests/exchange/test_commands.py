"""The command line, in exactly the forms the checks call:

manage.py import_qdpx FILE --new-project NAME [--admin USERNAME]
manage.py import_qdpx FILE.qdc --project ID   (or --new-project NAME)
manage.py export_qdpx PROJECT_ID OUT.qdpx     (or OUT.qdc, --maxqda)
"""

import zipfile
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from coding.models import Code, Coding
from exchange.models import Placeholder
from interviews.models import Interview, Membership, Project
from tests.factories import make_project, make_user

from .builders import needs_schemas, validate
from .projects import full_project, snapshot
from .test_import import QDC, G, hand_made

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def stored():
    return [m.objects.count() for m in (Project, Interview, Code, Coding, get_user_model())]


@pytest.fixture
def qdpx_file(tmp_path):
    path = tmp_path / "terrain.qdpx"
    path.write_bytes(hand_made())
    return path


def test_a_qdpx_becomes_a_new_project_with_the_named_admin(qdpx_file):
    ada = make_user("ada")
    rita = make_user("rita")
    out = run("import_qdpx", str(qdpx_file), "--new-project", "Terrain", "--admin", "ada")
    project = Project.objects.get(name="Terrain")
    assert f"(id {project.pk})" in out
    assert project.memberships.get(user=ada).role == Membership.Role.ADMIN
    assert project.memberships.get(user=rita).role == Membership.Role.RESEARCHER  # by name
    placeholder = Placeholder.objects.get(project=project)  # « Sam Superviseure »: no account
    assert not placeholder.user.is_active
    assert Coding.objects.filter(interview__project=project).count() == 3


def test_without_admin_the_first_superuser_is_admin(qdpx_file):
    make_user("someone")
    boss = get_user_model().objects.create_superuser("boss", "b@example.org", "pw")
    run("import_qdpx", str(qdpx_file), "--new-project", "Terrain")
    assert Project.objects.get(name="Terrain").memberships.get(user=boss).role == "admin"


@pytest.mark.parametrize(
    "args",
    [
        ["--new-project", "X"],  # no superuser
        ["--new-project", "X", "--admin", "nobody"],
        ["--project", "1", "--admin", "ada"],  # a .qdpx is always a new project
        ["--admin", "ada"],  # no target
        ["--new-project", " ", "--admin", "ada"],
    ],
)
def test_refused_invocations_say_why_and_store_nothing(qdpx_file, args):
    make_user("ada")
    before = stored()
    with pytest.raises(CommandError) as refused:
        run("import_qdpx", str(qdpx_file), *args)
    assert str(refused.value)
    assert stored() == before


def test_a_broken_file_exits_with_the_reason(tmp_path):
    make_user("ada")
    path = tmp_path / "broken.qdpx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    before = stored()
    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_qdpx", str(path), "--new-project", "X", "--admin", "ada")
    assert stored() == before
    with pytest.raises(CommandError):
        run("import_qdpx", str(tmp_path / "missing.qdpx"), "--new-project", "X", "--admin", "ada")


@pytest.mark.parametrize("kind", ["bomb", "entities"])
def test_a_hostile_file_is_refused_by_the_command_line(tmp_path, kind):
    from .builders import project_xml, qdpx
    from .test_hostile import BILLION_LAUGHS

    make_user("ada")
    qde = (
        BILLION_LAUGHS
        if kind == "entities"
        else project_xml("<Description>" + " " * (40 * 1024 * 1024) + "</Description>")
    )
    path = tmp_path / "hostile.qdpx"
    path.write_bytes(qdpx(qde).getvalue())
    before = stored()
    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_qdpx", str(path), "--new-project", "X", "--admin", "ada")
    assert stored() == before


def test_a_qdc_joins_a_project_or_starts_one(tmp_path):
    project = make_project("Existant")
    make_user("ada", project, Membership.Role.ADMIN)
    path = tmp_path / "codes.qdc"
    path.write_text(QDC.format(*G[:3]), encoding="utf-8")
    out = run("import_qdpx", str(path), "--project", str(project.pk))  # its admin imports
    assert "3 code(s) added" in out
    assert set(
        Code.objects.filter(project=project).values_list("created_by__username", flat=True)
    ) == {"ada"}
    assert Code.objects.filter(project=project).count() == 3
    run("import_qdpx", str(path), "--new-project", "Depuis le codebook", "--admin", "ada")
    assert Code.objects.filter(project__name="Depuis le codebook").count() == 3
    with pytest.raises(CommandError):
        run("import_qdpx", str(path), "--project", "999999", "--admin", "ada")
    with pytest.raises(CommandError):
        run("import_qdpx", str(path), "--admin", "ada")


@needs_schemas
def test_export_writes_a_valid_project_and_codebook(tmp_path):
    project = full_project()
    out = tmp_path / "etude.qdpx"
    run("export_qdpx", str(project.pk), str(out))
    validate(zipfile.ZipFile(out).read("project.qde"), "Project.xsd")
    codebook = tmp_path / "codes.qdc"
    run("export_qdpx", str(project.pk), str(codebook))
    validate(codebook.read_bytes(), "Codebook.xsd")
    maxqda = tmp_path / "maxqda.qdpx"
    run("export_qdpx", str(project.pk), str(maxqda), "--maxqda")
    texts = [n for n in zipfile.ZipFile(maxqda).namelist() if n.startswith("sources/")]
    assert b"\r\n" in zipfile.ZipFile(maxqda).read(texts[0])
    # And back, by the command line.
    run("import_qdpx", str(out), "--new-project", "Retour", "--admin", "ada")
    again = Project.objects.get(name="Retour")
    before, after = snapshot(project, memos=False), snapshot(again, memos=False)
    assert after["codings"] == before["codings"] and after["interviews"] == before["interviews"]


def test_export_refuses_an_unknown_project_or_an_empty_codebook(tmp_path):
    with pytest.raises(CommandError):
        run("export_qdpx", "999999", str(tmp_path / "x.qdpx"))
    empty = make_project("Vide")
    with pytest.raises(CommandError, match="Nothing exported"):
        run("export_qdpx", str(empty.pk), str(tmp_path / "x.qdc"))
