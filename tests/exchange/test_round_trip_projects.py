"""Verbatim → .qdpx → Verbatim gives the same project: the demo, a project using every feature,
and the two real exports of shared/refi-qda/samples (import → export → import)."""

import io
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from coding.models import Memo, ReviewEvent
from interviews.models import Project

from .builders import MAXQDA, NVIVO, needs_samples, needs_schemas, validate
from .projects import exported, full_project, import_bytes, memo_snapshot, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())
    return Project.objects.get(name__endswith="(démo)")


def review_memos(project):
    """The memos a round trip adds: each review comment, as a memo on its coding by the reviewer."""
    reviews = ReviewEvent.objects.filter(coding__interview__project=project).exclude(comment="")
    return sorted((r.reviewer.username, r.comment) for r in reviews)


def assert_same(original: Project, again: Project):
    before, after = snapshot(original, memos=False), snapshot(again, memos=False)
    assert after["interviews"] == before["interviews"]  # texts byte for byte
    assert after["codes"] == before["codes"]
    assert after["codings"] == before["codings"]
    assert after["attributes"] == before["attributes"]
    assert after["values"] == before["values"]
    assert after == {**before, "project": (again.name, before["project"][1])}
    # Memos come back where they were; review comments come back as memos on their coding.
    memos_after = memo_snapshot(again)
    for memo in memo_snapshot(original):
        assert memo in memos_after
    comments = sorted(
        (author, body.split("\n\n", 1)[1])
        for (target, author, body, _when) in memos_after
        if target[0] == "coding" and body.split("\n\n", 1)[0].startswith(("Review", "Commentaire"))
    )
    assert comments == review_memos(original)
    assert len(memos_after) == len(memo_snapshot(original)) + len(comments)


def test_the_demo_project_comes_back_identical(demo):
    data = exported(demo)
    again = import_bytes(data, "Démo, retour")
    assert_same(demo, again)
    assert again.interviews.count() == 20


def test_a_project_using_every_feature_comes_back_identical():
    project = full_project()
    again = import_bytes(exported(project), "Complète, retour")
    assert_same(project, again)
    # The folder with no codings of its own comes back as an ordinary parent code.
    assert again.codes.get(name="Contexte").children.count() == 1


def test_the_maxqda_line_endings_come_back_identical():
    project = full_project()
    data = exported(project, line_endings="crlf")
    text = zipfile.ZipFile(io.BytesIO(data)).read(
        next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("sources/"))
    )
    assert b"\r\n" in text
    again = import_bytes(data, "Complète, MAXQDA")
    assert_same(project, again)


def test_a_second_round_trip_gives_the_same_file(demo):
    """Export, import, export again: the same project.qde but for the ids the GUIDs come from."""
    again = import_bytes(exported(demo), "Démo, retour")
    once = import_bytes(exported(again), "Démo, second retour")
    assert snapshot(once, memos=False) | {"project": None} == snapshot(again, memos=False) | {
        "project": None
    }


@needs_samples
@pytest.mark.parametrize("sample", [NVIVO, MAXQDA], ids=["nvivo", "maxqda"])
def test_the_samples_survive_import_export_import(sample):
    first = import_bytes(sample.read_bytes(), "Premier", file_name=sample.name)
    data = exported(first)
    second = import_bytes(data, "Second", file_name="again.qdpx")
    assert_same(first, second)
    assert Memo.objects.filter(project=second).count() == Memo.objects.filter(project=first).count()


@needs_samples
@needs_schemas
@pytest.mark.parametrize("sample", [NVIVO, MAXQDA], ids=["nvivo", "maxqda"])
def test_an_imported_sample_exports_a_valid_file(sample):
    project = import_bytes(sample.read_bytes(), "Premier", file_name=sample.name)
    validate(zipfile.ZipFile(io.BytesIO(exported(project))).read("project.qde"), "Project.xsd")
