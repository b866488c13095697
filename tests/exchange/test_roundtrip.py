"""Write, validate against the official schemas, read again: nothing changes."""

import datetime as dt
import io
import tracemalloc
import uuid
import zipfile
from decimal import Decimal

import pytest
from lxml import etree

from exchange.refi import (
    Case,
    Code,
    Coding,
    Note,
    Project,
    Selection,
    Set,
    TextSource,
    Unit,
    User,
    Variable,
    VariableValue,
    iter_project,
    read_codebook,
    read_project,
    write_codebook,
    write_project,
)

from .builders import MAXQDA, NVIVO, needs_samples, needs_schemas, validate

pytestmark = needs_schemas
UTC = dt.UTC


def guids(prefix: int):
    for i in range(1, 1000):
        yield f"{prefix:08x}-0000-4000-8000-{i:012x}"


def rich_project(line_break: str = "\r\n") -> Project:
    g = guids(1)
    rita, sam = User(next(g), "Rita"), User(next(g), "Sam")
    folder = Code(next(g), "Confiance", "#1f77b4", "Catégorie", is_codable=False)
    trust = Code(next(g), "Médecin", "#ff7f0e", "Confiance envers le médecin")
    doubt = Code(next(g), "Doute « scientifique »", None, "")
    folder.children = [trust, doubt]
    text = f"Élise\u00a0: « Je t’aime 😀 »{line_break}Rene\u0301 répond\u00a0: « non 👍🏽 ! »{line_break}Fin."
    when = dt.datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    note = Note(next(g), "Journal", "Premier entretien.\nÀ relire.", "mémo", rita.guid, when, when)
    start = text.index("Je t’aime")
    selections = [
        Selection(
            next(g),
            start,
            start + len("Je t’aime 😀"),
            creating_user=rita.guid,
            creation_datetime=when,
            description="belle phrase",
            note_refs=[note.guid],
            codings=[Coding(next(g), trust.guid, rita.guid, when)],
        ),
        Selection(
            next(g),
            text.index("Rene\u0301"),
            text.index("Fin.") + 4,
            codings=[
                Coding(next(g), doubt.guid, sam.guid, when, note_refs=[note.guid]),
                Coding(next(g), trust.guid, rita.guid),
            ],
        ),
    ]
    variables = [
        Variable(next(g), "Genre", "Text", "déclaré"),
        Variable(next(g), "Âge", "Integer"),
        Variable(next(g), "Poids", "Float"),
        Variable(next(g), "Marié", "Boolean"),
        Variable(next(g), "Né", "Date"),
        Variable(next(g), "Vu", "DateTime"),
    ]
    values = [
        VariableValue(variables[0].guid, "femme"),
        VariableValue(variables[1].guid, 42),
        VariableValue(variables[2].guid, Decimal("72.50")),
        VariableValue(variables[3].guid, True),
        VariableValue(variables[4].guid, dt.date(1982, 5, 17)),
        VariableValue(variables[5].guid, when),
    ]
    source = TextSource(
        next(g),
        "Entretien Élise",
        text,
        selections,
        description="premier",
        note_refs=[note.guid],
        variable_values=values[:2],
        creating_user=rita.guid,
        creation_datetime=when,
        modified_datetime=when,
    )
    empty = TextSource(next(g), "Vide", "")
    case = Case(
        next(g), "Élise", "la mère", values, [source.guid], [trust.guid], [selections[0].guid]
    )
    sets = [
        Set(next(g), "Femmes", "groupe", [trust.guid], [source.guid, empty.guid], [note.guid]),
        Set(next(g), "Vide"),  # no members: not written
    ]
    return Project(
        name="Proximité",
        origin="Verbatim",
        description="Projet pilote",
        creating_user=rita.guid,
        creation_datetime=when,
        modified_datetime=when,
        users=[rita, sam],
        codes=[folder],
        sources=[source, empty],
        variables=variables,
        cases=[case],
        notes=[note],
        sets=sets,
        note_refs=[note.guid],
    )


def written(project: Project, **options) -> bytes:
    buffer = io.BytesIO()
    write_project(project, buffer, **options)
    return buffer.getvalue()


def comparable(project: Project) -> dict:
    """Everything a round trip must keep (alignment and losses describe the reading)."""

    def source(s):
        return (
            s.guid,
            s.name,
            s.text,
            s.description,
            s.note_refs,
            s.variable_values,
            s.creating_user,
            s.creation_datetime,
            s.modified_datetime,
            s.selections,
        )

    return {
        "name": project.name,
        "description": project.description,
        "dates": (project.creating_user, project.creation_datetime, project.modified_datetime),
        "users": project.users,
        "codes": project.codes,
        "sources": [source(s) for s in project.sources],
        "variables": project.variables,
        "cases": project.cases,
        "notes": project.notes,
        "sets": [s for s in project.sets if s.member_codes or s.member_sources or s.member_notes],
        "note_refs": project.note_refs,
    }


def test_a_rich_project_round_trips_through_a_valid_file():
    project = rich_project()
    data = written(project)
    archive = zipfile.ZipFile(io.BytesIO(data))
    qde = archive.read("project.qde")
    validate(qde, "Project.xsd")
    names = archive.namelist()
    assert names[0] == "project.qde"
    assert names[1:] == [f"sources/{s.guid}.txt" for s in project.sources]
    text_file = archive.read(names[1])
    assert (
        not text_file.startswith(b"\xef\xbb\xbf") and text_file.decode() == project.sources[0].text
    )
    assert b'plainTextPath="internal://' in qde and b'isCodable="false"' in qde
    assert b"<Sets/>" not in qde and b'name="Vide"/>' not in qde.split(b"<Sets>")[1]
    again = read_project(io.BytesIO(data))
    assert again.origin == "Verbatim"
    assert again.losses == []
    assert comparable(again) == comparable(project)
    assert again.sources[0].alignment.unit == Unit()


def test_schema_order_and_namespace():
    qde = zipfile.ZipFile(io.BytesIO(written(rich_project()))).read("project.qde")
    root = etree.fromstring(qde)
    assert root.nsmap == {None: "urn:QDA-XML:project:1.0"}
    order = [etree.QName(child).localname for child in root]
    assert order == [
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Sets",
        "Description",
        "NoteRef",
    ]


def test_crlf_for_maxqda():
    project = rich_project(line_break="\n")
    original = [(s.start, s.end) for s in project.sources[0].selections]
    data = written(project, line_endings="crlf")
    archive = zipfile.ZipFile(io.BytesIO(data))
    validate(archive.read("project.qde"), "Project.xsd")
    text = archive.read(f"sources/{project.sources[0].guid}.txt").decode()
    assert text == project.sources[0].text.replace("\n", "\r\n")
    # Positions count each line break as one character: the numbers of the LF text.
    qde = etree.fromstring(archive.read("project.qde"))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    numbers = [
        (int(e.get("startPosition")), int(e.get("endPosition")))
        for e in qde.iterfind(".//q:PlainTextSelection", ns)
    ]
    assert numbers == original
    # Read back: the CRLF text, the same passages, the unit recognised.
    again = read_project(io.BytesIO(data))
    source = again.sources[0]
    assert source.text == text
    assert source.alignment.unit == Unit("codepoint", "one")
    assert [source.text[s.start : s.end].replace("\r\n", "\n") for s in source.selections] == [
        project.sources[0].text[s.start : s.end] for s in project.sources[0].selections
    ]


def test_the_zip_comes_a_piece_at_a_time():
    """iter_project hands out the zip as it is written: after each source, not all at the end."""
    project = rich_project()
    pieces = [piece for piece in iter_project(project) if piece]
    assert len(pieces) > len(project.sources) + 1
    assert b"".join(pieces)[:2] == b"PK"
    again = read_project(io.BytesIO(b"".join(pieces)))
    assert comparable(again) == comparable(project)


def test_unknown_line_endings_option():
    with pytest.raises(ValueError):
        written(rich_project(), line_endings="cr")


def test_a_codebook_round_trips_through_a_valid_file():
    project = rich_project()
    buffer = io.BytesIO()
    write_codebook(project, buffer)
    validate(buffer.getvalue(), "Codebook.xsd")
    assert b'xmlns="urn:QDA-XML:codebook:1.0"' in buffer.getvalue()
    again = read_codebook(io.BytesIO(buffer.getvalue()))
    strip = [
        Code(c.guid, c.name, c.color, c.description, c.is_codable) for c in project.all_codes()
    ]
    assert [
        Code(c.guid, c.name, c.color, c.description, c.is_codable) for c in again.all_codes()
    ] == strip
    assert [(s.name, s.member_codes) for s in again.sets] == [
        ("Femmes", [project.codes[0].children[0].guid])
    ]


def test_guids_must_be_guids():
    project = rich_project()
    project.users[0].guid = "rita"
    with pytest.raises(ValueError, match="not a GUID"):
        written(project)


@needs_samples
@pytest.mark.parametrize("sample", [NVIVO, MAXQDA], ids=["nvivo", "maxqda"])
def test_samples_round_trip(sample):
    with sample.open("rb") as file:
        first = read_project(file)
    data = written(first)
    validate(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"), "Project.xsd")
    again = read_project(io.BytesIO(data))
    assert comparable(again) == comparable(first)
    buffer = io.BytesIO()
    write_codebook(first, buffer)
    validate(buffer.getvalue(), "Codebook.xsd")
    assert read_codebook(io.BytesIO(buffer.getvalue())).codes == [
        _without_notes(code) for code in first.codes
    ]


def _without_notes(code: Code) -> Code:
    return Code(
        code.guid,
        code.name,
        code.color,
        code.description,
        code.is_codable,
        [_without_notes(child) for child in code.children],
    )


class Sink:
    """A write-only, unseekable stream, like an HTTP response."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def test_writing_streams_in_bounded_memory():
    """40 interviews × 500 codings: the writer's own allocations stay far below the XML it
    writes (≈ 11 MB uncompressed): project.qde is never held whole."""
    ids = (str(uuid.UUID(int=i, version=4)) for i in range(1, 10**6))
    user = User(next(ids), "rita")
    codes = [Code(next(ids), f"code {i}") for i in range(50)]
    text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 300
    sources = [
        TextSource(
            next(ids),
            f"Entretien {n}",
            text,
            [
                Selection(
                    next(ids),
                    30 * i,
                    30 * i + 20,
                    creating_user=user.guid,
                    codings=[Coding(next(ids), codes[i % 50].guid, user.guid)],
                )
                for i in range(500)
            ],
        )
        for n in range(40)
    ]
    project = Project(name="Grand", users=[user], codes=codes, sources=sources)
    sink = Sink()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        write_project(project, sink)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert sink.size > 200_000  # compressed
    assert peak < 2_000_000, f"the writer held {peak} bytes at its peak"
