"""The export: valid against the official schemas, the same file twice, everyone who worked on the
project among its users, streamed a piece at a time."""

import io
import re
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from lxml import etree

from coding.models import Coding, Memo
from exchange import exporting
from interviews.models import Project

from .builders import needs_schemas, validate
from .projects import exported, full_project

pytestmark = pytest.mark.django_db
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())
    return Project.objects.get(name__endswith="(démo)")


def members(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


@needs_schemas
@pytest.mark.parametrize("line_endings", ["as_is", "crlf"])
def test_the_demo_exports_a_valid_project_and_codebook(demo, line_endings):
    files = members(exported(demo, line_endings=line_endings))
    validate(files["project.qde"], "Project.xsd")
    assert len([n for n in files if n.startswith("sources/")]) == 20
    validate(exporting.codebook_bytes(demo), "Codebook.xsd")


@needs_schemas
def test_a_project_using_every_feature_exports_a_valid_file():
    project = full_project()
    files = members(exported(project))
    qde = files["project.qde"]
    validate(qde, "Project.xsd")
    validate(exporting.codebook_bytes(project), "Codebook.xsd")
    root = etree.fromstring(qde)
    # Every coder, reviewer and memo author is a user of the file.
    users = {u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert users == {"ada", "sam", "Rita Recherche", "remi"}
    # The folder with no codings of its own is not codable; the others are.
    codable = {c.get("name"): c.get("isCodable") for c in root.iterfind(".//q:Code", NS)}
    assert codable["Contexte"] == "false" and codable["Lieux"] == "true"
    # One selection per coded passage, a Coding per code and coder.
    first = next(s for s in root.iterfind(".//q:TextSource", NS) if "Entretien 1" in s.get("name"))
    spans = [
        (int(s.get("startPosition")), int(s.get("endPosition")), len(s.findall("q:Coding", NS)))
        for s in first.iterfind("q:PlainTextSelection", NS)
    ]
    assert len(spans) == len({(a, b) for a, b, _n in spans})
    assert (
        sum(n for _a, _b, n in spans)
        == Coding.objects.filter(interview__title=first.get("name")).count()
    )
    # Positions are code points of the text as written: the emoji counts one.
    text = files[f"sources/{first.get('guid')}.txt"].decode("utf-8")
    for start, end, _n in spans:
        assert 0 <= start < end <= len(text)
    # A memo on a coding and a review comment are notes on that Coding.
    coding_notes = root.findall(".//q:Coding/q:NoteRef", NS)
    assert len(coding_notes) == Memo.objects.filter(coding__isnull=False).count() + 2
    # Cases: one per participant; the value that differs between Martine's interviews is on its
    # source, those they share on the case.
    (case,) = root.iterfind("q:Cases/q:Case", NS)
    assert case.get("name") == "Martine" and len(case.findall("q:SourceRef", NS)) == 2
    assert len(case.findall("q:VariableValue", NS)) == 2  # role, years
    variables = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(".//q:Variable", NS)}
    assert variables == {
        "Rôle": "Text",
        "Années de pratique": "Integer",
        "Charge": "Float",
        "Depuis": "Date",
        "Milieu": "Text",
    }


def test_two_exports_of_an_unchanged_project_are_the_same_file():
    project = full_project()
    assert members(exported(project)) == members(exported(project))
    assert exporting.codebook_bytes(project) == exporting.codebook_bytes(project)


def test_the_maxqda_option_writes_crlf_and_counts_each_line_break_once():
    project = full_project()
    plain, maxqda = members(exported(project)), members(exported(project, line_endings="crlf"))
    for name, text in plain.items():
        if name.startswith("sources/"):
            assert maxqda[name] == text.replace(b"\n", b"\r\n")
    positions = re.compile(rb'startPosition="(\d+)" endPosition="(\d+)"')
    assert positions.findall(plain["project.qde"]) == positions.findall(maxqda["project.qde"])


def test_the_file_comes_a_piece_at_a_time():
    project = full_project()
    pieces = [piece for piece in exporting.project_chunks(project) if piece]
    assert len(pieces) > project.interviews.count()
    assert members(b"".join(pieces)) == members(exported(project))


def test_a_codebook_without_codes_cannot_be_exported():
    project = Project.objects.create(name="Vide")
    with pytest.raises(ValueError):
        exporting.codebook_bytes(project)


def test_the_guids_are_true_name_based_uuids():
    import uuid

    project = Project.objects.create(name="GUID")
    guids = exporting.Guids(project)
    name = f"{project.pk}:{project.created_at.isoformat()}:coding:42"
    assert guids("coding", 42) == str(uuid.uuid5(exporting.NAMESPACE, name))
    assert guids.code(7) == guids("code", 7)
