"""The two real exports in shared/refi-qda/samples, read with the counts their files hold.

Expected counts are taken from the raw XML by a regular expression here (not from the reader), and
the constants beside them were counted by hand with `grep -c` on the unzipped project.qde.
"""

import re
import zipfile

from exchange.refi import Unit, read_project

from .builders import MAXQDA, NVIVO, needs_samples

pytestmark = needs_samples


def raw(path, member="project.qde") -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).decode("utf-8")


def count(xml: str, tag: str) -> int:
    return len(re.findall(rf"<{tag}[\s/>]", xml))


def word(char: str) -> bool:
    return char.isalnum()


def splits_a_word(text: str, k: int) -> bool:
    return 0 < k < len(text) and word(text[k - 1]) and word(text[k])


def test_maxqda_sample_counts():
    xml = raw(MAXQDA)
    assert (count(xml, "User"), count(xml, "Code"), count(xml, "TextSource")) == (1, 307, 10)
    assert (count(xml, "Set"), count(xml, "MemberSource"), count(xml, "PlainTextSelection")) == (
        2,
        10,
        0,
    )
    with MAXQDA.open("rb") as file:
        project = read_project(file)
    assert project.origin == "MAXQDA 24 (Release 24.7.0)"
    assert len(project.users) == 1
    assert len(list(project.all_codes())) == 307
    assert len(project.codes) == len(re.findall(r"^   <Code ", xml, re.MULTILINE))  # roots
    assert len(project.sources) == 10 and not project.skipped_sources
    assert sum(len(source.selections) for source in project.sources) == 0
    assert [len(s.member_sources) for s in project.sets] == [5, 5]
    assert all(s.alignment is None for s in project.sources)
    assert project.losses == []
    # Colours and descriptions as written (upper- or lower-case hex becomes lower-case).
    first = project.codes[0]
    assert (first.name, first.color) == ("Additional Themes and Ideas", "#ef8256")
    assert first.description.startswith("This category encompasses")
    # Each text is its file, exactly (no BOM in these files, LF line endings kept).
    with zipfile.ZipFile(MAXQDA) as archive:
        for source in project.sources:
            name = f"sources/{source.guid.upper()}.txt"
            assert source.text == archive.read(name).decode("utf-8")
    assert project.sources[0].guid == "c5e4c960-5296-4fde-8c63-deaba4e17f92"  # lower-cased


def test_nvivo_sample_counts_and_unit():
    xml = raw(NVIVO)
    assert (count(xml, "User"), count(xml, "Code"), count(xml, "TextSource")) == (2, 60, 1)
    assert (count(xml, "PlainTextSelection"), count(xml, "Coding"), count(xml, "Set")) == (
        97,
        97,
        0,
    )
    with NVIVO.open("rb") as file:
        project = read_project(file)
    assert project.origin == "NVivo for Windows 12.6"
    assert len(project.users) == 2
    assert len(list(project.all_codes())) == 60
    (source,) = project.sources
    assert len(source.selections) == 97
    assert sum(len(s.codings) for s in source.selections) == 97
    # The file has a BOM and CRLF line endings; the text keeps the CRLFs and drops the BOM.
    data = zipfile.ZipFile(NVIVO).read(f"Sources/{source.guid}.txt")
    assert data.startswith(b"\xef\xbb\xbf") and source.text == data[3:].decode("utf-8")
    assert "\r\n" in source.text and not source.text.startswith("\ufeff")
    # The unit detected: UTF-16 code units, CRLF counted as two (as stored), BOM not counted.
    assert source.alignment.unit == Unit("utf16", "as_stored", bom_counted=False)
    assert (source.alignment.fitting, source.alignment.clean_ends) == (97, 194)
    assert "UTF-16" in source.alignment.describe()
    # The only loss: the .docx beside the .txt (formatting).
    assert [loss.kind for loss in project.losses] == ["rich_text"]


def test_nvivo_selections_are_the_passages_a_person_coded():
    with NVIVO.open("rb") as file:
        project = read_project(file)
    (source,) = project.sources
    text = source.text
    xml = raw(NVIVO)
    written = [
        (int(a), int(b))
        for a, b in re.findall(
            r'<PlainTextSelection [^>]*startPosition="(\d+)" endPosition="(\d+)"', xml
        )
    ]
    utf16 = text.encode("utf-16-le")
    for selection, (start, end) in zip(source.selections, written, strict=True):
        # Independently: NVivo's numbers are UTF-16 code units of the text without its BOM.
        assert selection.start == len(utf16[: 2 * start].decode("utf-16-le"))
        assert selection.end == len(utf16[: 2 * end].decode("utf-16-le"))
        passage = text[selection.start : selection.end]
        assert passage.strip(), selection.guid
        assert not splits_a_word(text, selection.start), (selection.guid, passage[:30])
        assert not splits_a_word(text, selection.end), (selection.guid, passage[-30:])
        assert not passage[0].isspace(), (selection.guid, passage[:30])
    # Emoji come before many selections: counted in code points the same numbers would not fit.
    assert sum(1 for c in text if ord(c) > 0xFFFF) == 894
    # A passage checked by eye.
    first = source.selections[0]
    assert text[first.start : first.end].startswith("Na mi van? Nem mertétek kötelezővé tenni?")
    assert text[first.start : first.end].endswith("hogy nem haltok meg covidban.")
