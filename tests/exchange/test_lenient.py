"""What real exports do that the schema does not allow, read all the same."""

import io
import zipfile
from decimal import Decimal

import pytest

from exchange.refi import RefiError, Unit, read_codebook, read_project

from .builders import (
    CODE,
    SELECTION,
    SOURCE,
    USER,
    code_xml,
    one_source,
    project_xml,
    qdpx,
    selection_xml,
    text_source_xml,
)

TEXT = "Je fais confiance au médecin.\nPas au ministère."


@pytest.mark.parametrize("folder", ["sources", "Sources", "SOURCES", ""])
def test_sources_folder_in_any_case_or_at_the_root(folder):
    name = f"{folder}/{SOURCE}.txt" if folder else f"{SOURCE}.txt"
    qde = project_xml(code_xml() + text_source_xml(selection_xml(3, 7)))
    project = read_project(qdpx(qde, {name: TEXT.encode()}))
    assert project.sources[0].text == TEXT
    assert TEXT[3:7] == "fais" == project.sources[0].text[3:7]


def test_file_name_case_differs_from_the_path():
    # The standard's own example lists 142EB46D-….TXT for internal://142EB46D-….txt.
    qde = project_xml(text_source_xml(path=f"internal://{SOURCE.upper()}.txt"))
    project = read_project(qdpx(qde, {f"Sources/{SOURCE.upper()}.TXT": b"abc"}))
    assert project.sources[0].text == "abc"


@pytest.mark.parametrize(
    "namespace", ["urn:QDA-XML:project:1.0", "urn:QDA-XML:project:0:10", "urn:other", None]
)
def test_any_namespace_or_none(namespace):
    qde = project_xml(code_xml() + text_source_xml(selection_xml(0, 2)), namespace=namespace)
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": TEXT.encode()}))
    assert [c.guid for c in project.all_codes()] == [CODE]
    assert project.sources[0].selections[0].codings[0].code_guid == CODE


def test_elements_out_of_schema_order_and_empty_containers():
    qde = project_xml(
        "<Sets/>"
        + text_source_xml(selection_xml(3, 7))
        + "<Notes/>"
        + "<Description>Projet pilote</Description>"
        + code_xml()
        + f'<Users><User name="Rita" guid="{USER}"/></Users>'
        + "<Cases></Cases>"
    )
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": TEXT.encode()}))
    assert project.description == "Projet pilote"
    assert [u.name for u in project.users] == ["Rita"]
    assert project.sources[0].selections[0].codings[0].code_guid == CODE
    assert project.losses == []


def test_guids_with_braces_or_upper_case_meet():
    braced = "{" + CODE.upper() + "}"
    qde = project_xml(
        code_xml(guid=braced) + text_source_xml(selection_xml(0, 2, code=CODE.upper()))
    )
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": b"Je"}))
    (code,) = project.codes
    assert code.guid == CODE
    assert project.sources[0].selections[0].codings[0].code_guid == CODE
    assert project.sources[0].selections[0].guid == SELECTION


def test_missing_optional_attributes():
    qde = project_xml(
        f'<CodeBook><Codes><Code guid="{CODE}"/></Codes></CodeBook>'
        + f'<Sources><TextSource guid="{SOURCE}" plainTextPath="internal://{SOURCE}.txt">'
        + f'<PlainTextSelection guid="{SELECTION}" startPosition="0" endPosition="2">'
        + f'<Coding guid="{SELECTION[:-4]}ffff"><CodeRef targetGUID="{CODE}"/></Coding>'
        + "</PlainTextSelection></TextSource></Sources>"
    )
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": b"Je"}))
    (code,) = project.codes
    assert (code.name, code.color, code.is_codable, code.description) == ("", None, True, "")
    (source,) = project.sources
    assert source.name == "" and source.creating_user is None
    selection = source.selections[0]
    assert selection.creating_user is None and selection.creation_datetime is None


def test_plain_text_content_instead_of_a_file():
    qde = project_xml(
        code_xml()
        + f'<Sources><TextSource guid="{SOURCE}" name="Inline">'
        + f"<PlainTextContent>{TEXT}</PlainTextContent>{selection_xml(3, 7)}"
        + "</TextSource></Sources>"
    )
    project = read_project(qdpx(qde))
    assert project.sources[0].text == TEXT
    assert project.sources[0].text[3:7] == "fais"


def test_relative_path_inside_the_archive():
    qde = project_xml(text_source_xml(path=f"relative:///{SOURCE}.txt"))
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": b"abc"}))
    assert project.sources[0].text == "abc"


def test_another_name_for_the_qde():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("My Project.qde", project_xml(code_xml()))
    assert [c.name for c in read_project(buffer).codes] == ["Trust"]


def test_atlas_ti_flattened_code_names_become_a_tree():
    # As in REFI-QDA 1.5 Annex A.2 (an ATLAS.ti 8 export): "Coke::diet Coke" beside "Coke".
    codes = (
        '<Code guid="0983e32e-6866-431a-bd94-dac9bb963825" name="Coke::full-fat Coke" '
        'isCodable="true" color="#966450"/>'
        '<Code guid="d299efae-5779-46dc-9827-a3d1a5d544bc" name="Coke::diet Coke" isCodable="true"/>'
        '<Code guid="7496ba52-9c8d-4396-8fab-cc438614e453" name="Coke" isCodable="true"/>'
        '<Code guid="ba1eb6df-89ac-4d11-b69f-929012a16fd4" name="Feelings::negative::sleepy" '
        'isCodable="true"/>'
        '<Code guid="85d17f60-7bb0-481e-b742-b4861dd669df" name="happiness" isCodable="true"/>'
    )
    qde = project_xml(f"<CodeBook><Codes>{codes}</Codes></CodeBook>", origin="ATLAS.ti 8.4.0")
    project = read_project(qdpx(qde))
    tree = {c.name: [k.name for k in c.children] for c in project.codes}
    assert tree == {
        "Coke": ["full-fat Coke", "diet Coke"],
        "happiness": [],
        "Feelings": ["negative"],
    }
    coke = next(c for c in project.codes if c.name == "Coke")
    assert coke.is_codable and coke.guid == "7496ba52-9c8d-4396-8fab-cc438614e453"
    feelings = next(c for c in project.codes if c.name == "Feelings")
    assert not feelings.is_codable and not feelings.children[0].is_codable
    assert feelings.children[0].children[0].name == "sleepy"
    again = read_project(qdpx(qde))
    assert [c.guid for c in again.all_codes()] == [c.guid for c in project.all_codes()]


def test_double_colon_kept_from_other_tools():
    qde = project_xml(code_xml(name="C++::templates"), origin="MAXQDA 24")
    assert read_project(qdpx(qde)).codes[0].name == "C++::templates"


def test_notes_variables_cases_and_sets():
    var_text, var_int, var_date = (
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
        "33333333-3333-4333-8333-333333333333",
    )
    note, case, group = (
        "44444444-4444-4444-8444-444444444444",
        "55555555-5555-4555-8555-555555555555",
        "66666666-6666-4666-8666-666666666666",
    )
    qde = project_xml(
        code_xml()
        + "<Variables>"
        + f'<Variable guid="{var_text}" name="Genre" typeOfVariable="Text"/>'
        + f'<Variable guid="{var_int}" name="Âge" typeOfVariable="Integer">'
        + "<Description>en années</Description></Variable>"
        + f'<Variable guid="{var_date}" name="Entretien" typeOfVariable="Date"/>'
        + "</Variables>"
        + f'<Cases><Case guid="{case}" name="Mabel"><Description>mère</Description>'
        + f'<VariableValue><VariableRef targetGUID="{var_text}"/><TextValue>femme</TextValue>'
        + "</VariableValue>"
        + f'<VariableValue><VariableRef targetGUID="{var_int}"/><IntegerValue>25</IntegerValue>'
        + "</VariableValue>"
        + f'<SourceRef targetGUID="{SOURCE}"/></Case></Cases>'
        + f'<Sources><TextSource guid="{SOURCE}" name="Mabel.txt" plainTextPath="internal://{SOURCE}.txt">'
        + f'<NoteRef targetGUID="{note}"/>'
        + f'<VariableValue><VariableRef targetGUID="{var_date}"/><DateValue>2024-03-01</DateValue>'
        + "</VariableValue></TextSource></Sources>"
        + f'<Notes><Note guid="{note}" name="Plan" creatingUser="{USER}" '
        + 'creationDateTime="2018-03-27T19:38:46Z"><Description>journal</Description>'
        + "<PlainTextContent>Un grand projet.</PlainTextContent></Note></Notes>"
        + f'<Sets><Set guid="{group}" name="Femmes"><MemberSource targetGUID="{SOURCE}"/>'
        + f'<MemberCode targetGUID="{CODE}"/><MemberNote targetGUID="{note}"/></Set></Sets>'
    )
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": b"Bonjour"}))
    assert [(v.name, v.type) for v in project.variables] == [
        ("Genre", "Text"),
        ("Âge", "Integer"),
        ("Entretien", "Date"),
    ]
    assert project.variables[1].description == "en années"
    (case_,) = project.cases
    assert (case_.name, case_.description, case_.source_refs) == ("Mabel", "mère", [SOURCE])
    assert [(v.variable_guid, v.value) for v in case_.variable_values] == [
        (var_text, "femme"),
        (var_int, 25),
    ]
    (source,) = project.sources
    assert source.note_refs == [note]
    assert str(source.variable_values[0].value) == "2024-03-01"
    (note_,) = project.notes
    assert (note_.name, note_.text, note_.description) == ("Plan", "Un grand projet.", "journal")
    assert note_.creation_datetime.isoformat() == "2018-03-27T19:38:46+00:00"
    (set_,) = project.sets
    assert (set_.member_sources, set_.member_codes, set_.member_notes) == ([SOURCE], [CODE], [note])


def test_what_is_not_text_is_listed_as_lost():
    picture, pdf, audio, video = (
        "77777777-7777-4777-8777-777777777777",
        "88888888-8888-4888-8888-888888888888",
        "99999999-9999-4999-8999-999999999999",
        "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
    )
    rep = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
    qde = project_xml(
        code_xml()
        + "<Sources>"
        + f'<PictureSource guid="{picture}" name="photo.jpg" path="internal://{picture}.jpg">'
        + f'<PictureSelection guid="{SELECTION}" firstX="1" firstY="1" secondX="9" secondY="9"/>'
        + "</PictureSource>"
        + f'<PDFSource guid="{pdf}" name="Rapport.pdf" path="internal://{pdf}.pdf">'
        + f'<PDFSelection guid="{SELECTION[:-4]}0001" page="0" firstX="1" firstY="1" '
        + 'secondX="9" secondY="9"/>'
        + f'<Representation guid="{rep}" plainTextPath="internal://{rep}.txt">'
        + selection_xml(0, 7, guid=f"{SELECTION[:-4]}0002")
        + "</Representation></PDFSource>"
        + f'<AudioSource guid="{audio}" name="Jeanine.m4a" path="relative:///{audio}.m4a"/>'
        + f'<VideoSource guid="{video}" name="Pub.mp4" path="absolute:///C:/Pub.mp4"/>'
        + "</Sources>"
        + '<Links><Link guid="cccccccc-cccc-4ccc-8ccc-cccccccccccc" name="Memo-Quotation"/></Links>'
        + '<Graphs><Graph guid="dddddddd-dddd-4ddd-8ddd-dddddddddddd" name="Netzwerk"/></Graphs>'
    )
    project = read_project(qdpx(qde, {f"sources/{rep}.txt": b"Kellogg's passion"}))
    (pdf_text,) = project.sources
    assert (pdf_text.guid, pdf_text.name, pdf_text.kind) == (pdf, "Rapport.pdf", "pdf")
    assert pdf_text.text[0:7] == "Kellogg"
    assert {s.kind for s in project.skipped_sources} == {"picture", "audio", "video"}
    assert {loss.kind: loss.count for loss in project.losses} == {
        "picture_source": 1,
        "pdf_selection": 1,
        "audio_source": 1,
        "video_source": 1,
        "link": 1,
        "graph": 1,
    }
    assert "Netzwerk" in next(loss.detail for loss in project.losses if loss.kind == "graph")


def test_a_coding_of_an_unknown_code_is_reported():
    qde = project_xml(text_source_xml(selection_xml(0, 2)))
    project = read_project(qdpx(qde, {f"sources/{SOURCE}.txt": b"Je"}))
    assert project.sources[0].selections[0].codings == []
    assert project.loss("unknown_code") == 1


def test_utf8_bom_on_a_source_is_not_text():
    project = read_project(one_source(b"\xef\xbb\xbf" + TEXT.encode(), selection_xml(3, 7)))
    (source,) = project.sources
    assert source.text == TEXT
    assert source.text[source.selections[0].start : source.selections[0].end] == "fais"
    assert source.alignment.unit == Unit()


@pytest.mark.parametrize(
    "namespace",
    ["urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4", None],
)
def test_codebooks_in_any_namespace(namespace):
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    qdc = (
        f'<?xml version="1.0" encoding="UTF-8"?><CodeBook{xmlns} origin="NVivo">'
        '<Codes><Code guid="{5215cc69-b628-4e02-afb9-9beeaee55808}" name="Topics" isCodable="false">'
        '<Code guid="{d7aa29da-519b-4946-9b90-253b6db8fd0a}" name="Economy" isCodable="true" '
        'color="#FF0"><Description>jobs, taxes</Description></Code></Code></Codes>'
        '<Sets><Set guid="2324b638-d629-4970-b2e8-8b5bfd0a8d6b" name="Money">'
        '<MemberCode guid="d7aa29da-519b-4946-9b90-253b6db8fd0a"/></Set></Sets></CodeBook>'
    )
    project = read_codebook(io.BytesIO(qdc.encode()))
    (topics,) = project.codes
    assert (topics.guid, topics.is_codable) == ("5215cc69-b628-4e02-afb9-9beeaee55808", False)
    (economy,) = topics.children
    assert (economy.name, economy.color, economy.description) == (
        "Economy",
        "#ffff00",
        "jobs, taxes",
    )
    assert project.sets[0].member_codes == ["d7aa29da-519b-4946-9b90-253b6db8fd0a"]
    assert project.sources == [] and project.origin == "NVivo"


def test_a_qdpx_given_as_a_codebook_is_refused_clearly():
    with pytest.raises(RefiError, match="import it as a .qdpx"):
        read_codebook(qdpx(project_xml(code_xml())))


def test_typed_values_that_do_not_parse_become_none():
    var = "11111111-1111-4111-8111-111111111111"
    qde = project_xml(
        f'<Variables><Variable guid="{var}" name="Poids" typeOfVariable="Float"/></Variables>'
        + f'<Cases><Case guid="{CODE}"><VariableValue><VariableRef targetGUID="{var}"/>'
        + "<FloatValue>72.5</FloatValue></VariableValue>"
        + f'<VariableValue><VariableRef targetGUID="{var}"/><FloatValue>lourd</FloatValue>'
        + "</VariableValue></Case></Cases>"
    )
    (case_,) = read_project(qdpx(qde)).cases
    assert [v.value for v in case_.variable_values] == [Decimal("72.5"), None]


def test_a_note_whose_text_is_a_file_and_a_pdf_with_its_own_description():
    note, pdf, rep = (
        "44444444-4444-4444-8444-444444444444",
        "88888888-8888-4888-8888-888888888888",
        "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
    )
    qde = project_xml(
        f'<Sources><PDFSource guid="{pdf}" name="Rapport.pdf" path="internal://{pdf}.pdf">'
        + f'<Description>le rapport</Description><Representation guid="{rep}" '
        + f'plainTextPath="internal://{rep}.txt"/><NoteRef targetGUID="{note}"/></PDFSource>'
        + "</Sources>"
        + f'<Notes><Note guid="{note}" name="Mémo" plainTextPath="internal://{note}.txt"/></Notes>'
    )
    files = {f"sources/{rep}.txt": b"Texte du PDF", f"sources/{note}.txt": "\ufeffÀ lire".encode()}
    project = read_project(qdpx(qde, files))
    (source,) = project.sources
    assert (source.kind, source.description, source.note_refs) == ("pdf", "le rapport", [note])
    assert project.notes[0].text == "À lire"
    assert project.losses == []


def test_a_bom_before_the_xml_declaration():
    # QualCoder writes its .qdc (and once wrote project.qde) as 'utf-8-sig'.
    qde = b"\xef\xbb\xbf" + project_xml(code_xml()).encode()
    assert [c.name for c in read_project(qdpx(qde)).codes] == ["Trust"]
    qdc = (
        '\ufeff<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
        f'<Codes><Code guid="{CODE}" name="Trust" isCodable="true"/></Codes></CodeBook>'
    )
    assert [c.name for c in read_codebook(io.BytesIO(qdc.encode())).codes] == ["Trust"]
