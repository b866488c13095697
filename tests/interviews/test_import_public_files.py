"""Files from other projects' test suites (tests/interviews/fixtures/public/SOURCES.md), read as an
admin would import them. Each expectation comes from the file itself (its XML, its cues) or from the
test suite it comes from, not from what Verbatim's readers produce."""

from pathlib import Path

import pytest

from interviews import formats, services
from interviews.pseudonyms import Pseudonymiser

PUBLIC = Path(__file__).parent / "fixtures" / "public"

pytestmark = pytest.mark.usefixtures("english")


def read(name: str, encoding: str | None = None) -> formats.Extracted:
    return formats.read_transcript(name, (PUBLIC / name).read_bytes(), encoding)


def speakers(extracted) -> list[str]:
    return [s.label for s in services.detect_speakers(extracted.text, extracted.labels)]


def commented(extracted) -> list[tuple[str, str, str]]:
    """(passage, comment, author) of each comment."""
    return sorted((extracted.text[c.start : c.end], c.text, c.author) for c in extracted.comments)


# Word ------------------------------------------------------------------------------------------


def test_a_document_whose_only_text_is_in_a_text_box_is_read():
    # mammoth: <w:txbxContent><w:p><w:r><w:t>Datum plane</w:t>, in mc:Choice and in mc:Fallback.
    extracted = read("mammoth-text-box.docx")
    assert extracted.text == "Datum plane"
    assert any("text box" in notice for notice in extracted.notices)


def test_a_text_box_with_several_paragraphs_comes_once():
    # PyDocX textbox.docx: three paragraphs AAA, BBB, CCC+DDD, written twice (DrawingML and VML).
    assert read("pydocx-textbox.docx").text == "AAA\n\nBBB\n\nCCCDDD"


def test_footnotes_and_endnotes_are_kept_where_they_belong_and_said_so():
    # mammoth: "Ouch", footnote 1 " A tachyon walks into a bar.", ".", footnote 2 " " + "Fin.".
    for name in ("mammoth-footnotes.docx", "mammoth-endnotes.docx"):
        extracted = read(name)
        assert extracted.text == "Ouch[1].[2] [note 1: A tachyon walks into a bar.] [note 2: Fin.]"
        assert "“[note 1: …]”" in extracted.notices[0]


def test_comments_come_with_their_author_and_passage():
    # mammoth: comment 0 over "Ouch"; comment 2 only referenced after ".", on no passage.
    extracted = read("mammoth-comments.docx")
    assert extracted.text == "Ouch."
    assert commented(extracted) == [
        ("", "Fin.", "Michael Williamson"),
        ("Ouch", "A tachyon walks into a bar.", "Michael Williamson"),
    ]


def test_overlapping_comments_keep_their_own_passages():
    # docx2python's test_comments: comments 1-3 on the whole first paragraph, 4 from "tempor".
    extracted = read("docx2python-comments.docx")
    lorem = (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua."
    )
    tempor = "tempor incididunt ut labore et dolore magna aliqua."
    assert commented(extracted) == sorted(
        [
            (lorem, "COMMENT", "Randy Bartels"),
            (lorem, "RESPONSE", "Randy Bartels"),
            (lorem, "Response from Shay Hill", "Shay Hill"),
            (tempor, "Comment on subset starting with tempor", "Shay Hill"),
            (lorem, "COMMENT on par 5", "Randy Bartels"),
            (lorem, "RESPONSE to comment on par 5", "Randy Bartels"),
            (lorem, "Response from Shay Hill on par 5", "Shay Hill"),
            (tempor, "Comment on subset starting with tempor on par 5", "Shay Hill"),
        ]
    )
    assert extracted.text.startswith(lorem + "\n\nPar2\n\nPar3\n\nPar4\n\nPar5 " + lorem)


def test_comments_of_python_docx_anchor_their_paragraphs():
    extracted = read("python-docx-comments-rich-para.docx")
    assert commented(extracted) == [
        ("Other text worthy of note.", "Text with inline image  in the middle.", ""),
        ("Paragraph 5", "Text with character style.", ""),
        ("Paragraph 6", "Paragraph with Heading 2 paragraph style.", ""),
        (
            "Some text worthy of note.",
            "Text with hyperlink https://google.com embedded.",
            "Steve Canny",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("mammoth-strict-format.docx", "Test"),
        # docx2python's test_strict: bullets, numbers, then a 2×2 table.
        (
            "docx2python-strict.docx",
            "Bullet1\n\nBullet2\n\nNumber1\n\nNumber2\n\nCellaa\n\nCellab\n\nCellba\n\nCellbb",
        ),
    ],
)
def test_strict_open_xml_files_are_read(name, text):
    assert read(name).text == text


def test_symbols_are_mapped_to_unicode_and_the_unmappable_one_is_counted():
    # docx2python's test_symbols: Webdings F068, "≠", Symbol F0F0 (Apple's logo: no Unicode),
    # "∞×÷≥≤±™®©¥£€µαβπΩ∑", then Webdings F04A F04B F084 F0E6 F0DD. Unicode's Webdings table:
    # 0x68 ambulance, 0x4A island, 0x4B motorway, 0x84 baby symbol, 0xE6 bellhop, 0xDD cloud tornado.
    extracted = read("docx2python-symbols.docx")
    assert extracted.text == "🚑≠∞×÷≥≤±™®©¥£€µαβπΩ∑🏝🛣🚼🛎🌪"
    assert extracted.notices == ["1 symbol has no Unicode equivalent and was left out."]


def test_a_cell_merged_over_rows_comes_once():
    # docx2python merged_cells.docx: "12-0" spans rows 1-2, "34-123" rows 3-4 and columns 1-3.
    text = read("docx2python-merged-cells.docx").text.split("\n\n")
    assert text == [
        "0-0", "0-12", "0-3", "12-0", "1-1", "1-2", "1-3", "2-1", "2-2", "2-3", "3-0", "34-123",
        "4-0",
    ]  # fmt: skip
    # PyDocX table_col_row_span.docx: BBB spans two rows.
    assert read("pydocx-table-col-row-span.docx").text.count("BBB") == 1


def test_a_table_nested_in_a_cell_is_kept():
    # PyDocX nested_tables.docx: AAA BBB / CCC [DDD EEE / FFF GGG].
    assert read("pydocx-nested-tables.docx").text == "AAA\n\nBBB\n\nCCC\n\nDDD\nEEE\nFFF\nGGG"
    assert "DDD" in read("pydocx-nested-table-rowspan.docx").text


def test_ordinary_tables_stay_text_and_are_not_taken_for_speakers():
    # mammoth tables.docx: a 2×2 table of "Top left", "Top right", "Bottom left", "Bottom right".
    extracted = read("mammoth-tables.docx")
    assert (
        extracted.text == "Above\n\nTop left\n\nTop right\n\nBottom left\n\nBottom right\n\nBelow"
    )
    assert speakers(extracted) == []
    # A Chinese tender from LibreOffice: form tables with repeated field names ("姓  名").
    assert speakers(read("docx2python-libreoffice.docx")) == []


def test_libreoffice_and_google_docs_exports_are_read():
    assert "东阳市歌山镇农贸市场经营管理权项目" in read("docx2python-libreoffice.docx").text
    assert read("pydocx-google-docs.docx").text == "Beauty will save the world."
    assert read("docx2python-google-docs.docx").text.startswith("Pop-up lomo waistcoat")
    assert read("pydocx-special-chars.docx").text == "& < > link"


# OpenDocument -----------------------------------------------------------------------------------


def test_odt_tables_and_frames():
    assert (
        read("odfpy-simpletable.odt").text == "Cell 1\n\nCell 2\n\nCell 3 (bold)\n\nCell 4 (italic)"
    )
    # odfpy imageslabels.odt: captions in text boxes of frames.
    assert (
        "Right justified picture with paragraph anchor. No text flow."
        in read("odfpy-imageslabels.odt").text
    )


def test_odt_headers_and_footers_are_left_out():
    # odfpy headerfooter.odt: body "Lorem ipsum"; its header and footer live in styles.xml.
    assert read("odfpy-headerfooter.odt").text == "Lorem ipsum"


def test_an_odt_declaring_an_external_entity_is_refused_without_reading_it():
    # odfpy nasty.odt: <!ENTITY nasty SYSTEM "examples/externalcontent.txt"> used in the text.
    with pytest.raises(formats.Unreadable, match="damaged"):
        read("odfpy-nasty.odt")


# PDF ----------------------------------------------------------------------------------------------


def test_pdf_text_layers():
    # pypdfium2's expectations/text_extract.txt, page 1.
    text = read("pypdfium2-text.pdf").text
    assert text.startswith("Lorem ipsum dolor sit amet,\nconsectetur adipisici elit,")
    # pypdf's resources/crazyones.txt.
    assert read("pypdf-crazyones.pdf").text.startswith("The Crazy Ones\nOctober 14, 1998")
    assert read("pypdf-two-different-pages.pdf").text == "1\n\n2"


# Subtitles -------------------------------------------------------------------------------------


def times(extracted) -> list[tuple[float, float | None, str]]:
    return [(m.time_start, m.time_end, extracted.text[m.start : m.end]) for m in extracted.marks]


def test_every_cue_of_a_plain_webvtt_file_keeps_its_times():
    # webvtt-py's test_read: 16 cues, the first 00:00:00.500 → 00:00:07.000 "Caption text #1".
    extracted = read("webvtt-py-sample.vtt")
    assert len(extracted.marks) == 16
    assert times(extracted)[0] == (0.5, 7.0, "Caption text #1")
    assert times(extracted)[-1] == (61.35, 64.3, "Caption text #16")
    assert speakers(extracted) == []


def test_every_cue_of_a_subrip_file_keeps_its_times():
    extracted = read("webvtt-py-sample.srt")
    assert times(extracted)[:2] == [(0.5, 7.0, "Caption text #1"), (7.0, 11.89, "Caption text #2")]


def test_cue_timestamp_tags_and_classes_are_dropped():
    # webvtt-py cue_tags.vtt: "When the moon <00:17.500>hits your eye" (karaoke timings).
    extracted = read("webvtt-py-cue-tags.vtt")
    assert extracted.text.split("\n\n") == [
        "When the moon hits your eye",
        "Like a big-a pizza pie",
        "That's amore",
    ]


def test_a_netflix_file_has_its_sdh_names_as_speakers_and_no_sentence_taken_for_one():
    extracted = read("webvtt-py-netflix.vtt")
    assert times(extracted)[0] == (7.96, 9.48, "[Alba] En 1928,")
    found = set(speakers(extracted))
    # Names in brackets opening a cue (read from the file); not "[risita]", "[Ángeles ríe]",
    # "Digo: …", "Todo pasa por la central: …".
    assert found == {
        "Alba", "Sara", "Carlota", "Ángeles", "Marga", "Carlos", "Victoria", "Francisco",
        "Ricardo", "Pedro", "Miguel", "Carmen", "Beltrán",
    }  # fmt: skip


def test_substation_alpha_dialogue_with_line_breaks_and_a_sentence_with_a_colon():
    # pysubs2 ttml_example.ass: "that the image formed on\\Nthe Retina should be inverted?"
    extracted = read("pysubs2-ttml-example.ass")
    assert times(extracted)[1] == (
        5.0,
        10.0,
        "that the image formed on the Retina should be inverted?",
    )
    assert "Thus: what we call" in extracted.text
    assert speakers(extracted) == []


def test_a_gbk_subtitle_is_read_with_its_times_and_the_doubt_is_said():
    # aspasia's gbk_srt test: three cues "这是中文", "还有更多的中文", "再见".
    extracted = read("aspasia-gbk.srt")
    assert times(extracted) == [
        (0.0, 1.2, "这是中文"),
        (4.5, 7.1, "还有更多的中文"),
        (10.0, 11.1, "再见"),
    ]
    assert extracted.encoding == "gb18030"  # GBK's superset
    # Three short cues: other East Asian encodings read them too, so the admin is asked.
    assert not extracted.encoding_sure
    assert len(extracted.alternatives) >= 2
    assert read("aspasia-gbk.srt", "gbk").text == "这是中文\n\n还有更多的中文\n\n再见"


# Text and encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "start"),
    [
        # charset-normalizer's test_full_detection expectations.
        ("charset-normalizer-sample-french.txt", "utf-8", "JEAN-BAPTISTE POQUELIN MOLIÈRE"),
        ("charset-normalizer-sample-french-1.txt", "cp1252", "JEAN-BAPTISTE POQUELIN MOLIÈRE"),
        ("charset-normalizer-sample-chinese.txt", "big5", "維基大典（Wikipedia）者"),
        ("charset-normalizer-sample-russian.txt", "mac_cyrillic", "В гимназии он не был"),
    ],
)
def test_encodings_are_detected(name, encoding, start):
    extracted = read(name)
    assert extracted.encoding == encoding
    assert extracted.text.startswith(start)


def test_qualcoder_speakers_in_brackets():
    extracted = read("qualcoder-transcript.txt")
    assert speakers(extracted) == ["id1", "id2", "id3"]
    plans = services.detect_speakers(extracted.text, extracted.labels)
    assert [(s.label, s.turns) for s in plans] == [("id1", 3), ("id2", 2), ("id3", 2)]


def test_reading_all_the_public_files_takes_them_all_in():
    pseudonymiser = Pseudonymiser([])
    for path in sorted(PUBLIC.iterdir()):
        if path.suffix in (".md",):
            continue
        (prepared,) = services.prepare(
            name=path.name, data=path.read_bytes(), pseudonymiser=pseudonymiser
        )
        if path.name == "odfpy-nasty.odt":
            assert prepared.error
        else:
            assert not prepared.error, (path.name, prepared.error)
