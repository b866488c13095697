"""Reading transcripts of every format, and refusing bad files with a message that says why."""

import os
import struct
from datetime import timedelta

import pytest

from interviews import formats, services
from interviews.pseudonyms import Pseudonymiser
from interviews.transcripts import parse_turns
from tests.interviews.fixtures import build

# These tests read refusal messages in English, whatever the site language.
pytestmark = pytest.mark.usefixtures("english")

NO_NAMES = Pseudonymiser([])


def read(name, data, encoding=None):
    return formats.read_transcript(name, data, encoding)


def problem(name, data, encoding=None) -> str:
    (prepared,) = services.prepare(name=name, data=data, pseudonymiser=NO_NAMES, encoding=encoding)
    assert prepared.error, f"{name} was accepted"
    return prepared.error


# Plain text and encodings ----------------------------------------------------------------------


def test_utf8_text_with_bom_and_crlf_keeps_accents_guillemets_emoji_and_paragraphs():
    extracted = read("entretien.txt", build.txt(bom=True, crlf=True))
    assert extracted.text == build.TEXT
    assert "\r" not in extracted.text and "\ufeff" not in extracted.text
    assert "🙏" in extracted.text and "«\u00a0Juste un café\u00a0»" in extracted.text
    assert (extracted.encoding, extracted.encoding_sure) == ("utf-8", True)


def test_markdown_is_read_as_text():
    assert read("notes.md", build.txt()).format == "md"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1252", build.LEGACY_TEXT),
        ("mac_roman", build.LEGACY_TEXT),
        ("latin_1", build.LEGACY_TEXT.replace("’", "'")),
    ],
)
def test_legacy_french_encodings_are_detected(encoding, text):
    extracted = read("entretien.txt", build.txt(text, encoding=encoding))
    assert extracted.text == text
    assert (extracted.encoding, extracted.encoding_sure) == (encoding, True)


def test_an_unsure_guess_is_flagged_with_the_other_readings_to_choose_from():
    extracted = read("court.txt", "Un caf\xe9 noir".encode("cp1252"))
    assert not extracted.encoding_sure
    assert extracted.text == "Un café noir"
    assert set(extracted.alternatives) >= {"latin_1", "mac_roman"}
    assert extracted.alternatives["mac_roman"] == "Un cafÈ noir"


def test_the_admin_can_override_the_encoding():
    data = build.txt(build.LEGACY_TEXT, encoding="mac_roman")
    assert read("entretien.txt", data, "mac_roman").text == build.LEGACY_TEXT


def test_a_wrong_encoding_choice_is_refused_with_the_byte_and_position():
    message = problem("entretien.txt", build.txt(build.LEGACY_TEXT, encoding="cp1252"), "utf-8")
    assert "UTF-8" in message and "0xF9" in message and "position" in message


# Word, OpenDocument, PDF, subtitles ------------------------------------------------------------


def test_docx_paragraphs_bold_speaker_names_and_tables_in_reading_order_without_images():
    table = [["Intervieweuse", "Une dernière question ?"], ["Martine", "Non, c’est tout."]]
    extracted = read("entretien.docx", build.docx(table=table, image=True))
    assert extracted.text.startswith(build.TEXT)
    assert extracted.text.endswith(
        "Intervieweuse : Une dernière question ?\n\nMartine : Non, c’est tout."
    )
    assert extracted.labels == ["Intervieweuse", "Martine"]


def test_bold_names_mark_speakers_even_when_they_speak_once():
    data = build.docx([("Animatrice", "Bonjour."), ("Robert", "Salut."), ("", "Fin.")])
    extracted = read("entretien.docx", data)
    speakers = services.detect_speakers(extracted.text, extracted.labels)
    assert [(s.label, s.role) for s in speakers] == [
        ("Animatrice", "interviewer"),
        ("Robert", "participant"),
    ]


def test_odt_paragraphs():
    assert read("entretien.odt", build.odt()).text == build.TEXT


def test_webvtt_voices_become_turns_with_timestamps():
    extracted = read("entretien.vtt", build.VTT.encode())
    turns = parse_turns(extracted.text, labels=set(extracted.labels), marks=extracted.marks)
    assert [(t.label, t.timestamp) for t in turns] == [
        ("Intervieweuse", timedelta(seconds=1)),
        ("Martine", timedelta(seconds=5)),
        ("Intervieweuse", timedelta(minutes=1, seconds=2)),
    ]
    # Two cues of the same voice make one turn; markup is gone and entities decoded.
    assert "« au ras du sol » & pas ailleurs. Depuis quatorze ans." in extracted.text
    assert "<i>" not in extracted.text


def test_subrip_speaker_prefixes_become_turns():
    extracted = read("entretien.srt", build.SRT.encode())
    turns = parse_turns(extracted.text, labels=set(extracted.labels), marks=extracted.marks)
    assert [t.label for t in turns] == ["Intervieweuse", "Martine", "Intervieweuse"]
    assert turns[1].timestamp == timedelta(seconds=5)


def test_pdf_text_layer_is_read():
    assert "Intervieweuse : Bonjour, ça va ?" in read("entretien.pdf", build.pdf()).text


# Speaker conventions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interviewer", "participant"),
    [
        ("Intervieweur", "Participant·e"),
        ("Intervieweuse", "Martine"),
        ("I", "P1"),
        ("Q", "R"),
        ("Enquêtrice", "Répondant"),
    ],
)
def test_common_speaker_conventions_are_detected_with_roles(interviewer, participant):
    text = (
        f"{interviewer} : Bonjour.\n{participant}\u00a0: Bonjour.\n"
        f"{interviewer}: Et ensuite ?\n{participant} : Ensuite, rien."
    )
    speakers = services.detect_speakers(text)
    assert [(s.label, s.role, s.turns) for s in speakers] == [
        (interviewer, "interviewer", 2),
        (participant, "participant", 2),
    ]


# Bad input: each refused with a message naming the problem --------------------------------------


def test_an_empty_file_is_refused():
    assert "empty" in problem("vide.txt", b"")


def test_binary_garbage_renamed_txt_is_refused():
    assert "not a text file" in problem("photo.txt", os.urandom(4096))


def test_binary_garbage_without_nul_bytes_is_refused():
    data = bytes(b for b in os.urandom(8192) if b)
    assert "not a text file" in problem("photo.txt", data)


def test_a_docx_that_is_not_a_zip_is_refused():
    assert "not a real .docx" in problem("entretien.docx", b"Intervieweuse : bonjour")


def test_a_damaged_docx_zip_is_refused():
    data = build.zip_of({"word/document.xml": b"<not xml"})
    assert "damaged" in problem("entretien.docx", data)


def test_an_old_doc_file_is_refused_with_what_to_do():
    assert ".docx" in problem("entretien.doc", b"\xd0\xcf\x11\xe0")


def test_an_encrypted_pdf_is_refused():
    assert "encrypted" in problem("entretien.pdf", build.encrypted_pdf())


def test_a_corrupted_pdf_is_refused():
    assert "damaged" in problem("entretien.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog")


def test_a_scanned_pdf_without_text_layer_is_refused_with_what_to_do():
    assert "no text layer" in problem("scan.pdf", build.scanned_pdf())


def test_a_pdf_deflate_bomb_is_refused():
    # How fast it is refused is measured by `manage.py bench` (import_hostile), not asserted.
    assert "bomb" in problem("bombe.pdf", build.pdf_bomb())


def test_a_pdf_form_drawing_itself_is_read_once():
    assert read("boucle.pdf", build.pdf_loop()).text == "boucle"


def test_an_unknown_format_is_refused():
    assert "not a transcript format" in problem("image.png", build.png())


def test_an_oversized_file_is_refused(settings):
    settings.VERBATIM_MAX_UPLOAD_BYTES = 1024
    assert "larger than the limit of 0 MB" in problem("long.txt", b"a" * 2000)


def test_a_zip_bomb_is_refused_after_reading_at_most_the_cap(settings):
    settings.VERBATIM_MAX_UPLOAD_BYTES = 1 << 20
    settings.VERBATIM_MAX_UNPACKED_BYTES = 4 << 20
    bomb = build.zip_bomb(64 << 20)
    assert len(bomb) < 1 << 20
    assert "zip bomb" in problem("lot.zip", bomb)


def test_a_docx_bomb_is_refused(settings):
    settings.VERBATIM_MAX_UNPACKED_BYTES = 4 << 20
    assert "zip bomb" in problem("entretien.docx", build.zip_bomb(8 << 20))


def test_a_zip_that_lies_about_its_sizes_is_refused(settings):
    settings.VERBATIM_MAX_UNPACKED_BYTES = 4 << 20
    data = bytearray(build.zip_of({"entretien.txt": b"\0" * (8 << 20)}))
    # Declare 100 bytes where 8 MB are packed: inflating must stop at the declared size.
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 100)
    struct.pack_into("<I", data, 22, 100)
    assert "damaged" in problem("lot.zip", bytes(data))


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/evil.txt", "/etc/passwd.txt", "C:/Windows/evil.txt", "a\\..\\b.txt"]
)
def test_a_zip_with_path_traversal_names_is_refused(name):
    data = build.zip_of({"ok.txt": build.txt(), name: build.txt()})
    assert "unsafe path" in problem("lot.zip", data)


def test_a_zip_of_transcripts_gives_each_file_by_its_own_name():
    data = build.zip_of(
        {
            "entretiens/01.txt": build.txt(),
            "entretiens/02.vtt": build.VTT.encode(),
            "__MACOSX/entretiens/._01.txt": b"\0\0",
            "entretiens/.DS_Store": b"\0",
            "entretiens/vide.txt": b"",
        }
    )
    prepared = services.prepare(name="lot.zip", data=data, pseudonymiser=NO_NAMES)
    assert [(p.name, p.error) for p in prepared] == [
        ("01.txt", ""),
        ("02.vtt", ""),
        ("vide.txt", "The file is empty."),
    ]


def test_a_zip_inside_a_zip_is_not_opened():
    inner = build.zip_of({"01.txt": build.txt()})
    (prepared,) = services.prepare(
        name="lot.zip", data=build.zip_of({"inner.zip": inner}), pseudonymiser=NO_NAMES
    )
    assert "inside an archive" in prepared.error


# Made cases (no public file has them) -------------------------------------------------------------


def test_tracked_insertions_are_kept_and_deletions_left_out():
    extracted = read("suivi.docx", build.tracked_changes_docx())
    assert extracted.text == "He is good for nothing."
    assert extracted.notices == [
        "Tracked changes were accepted (insertions kept: 1; deletions left out: 1)."
    ]


def test_a_word_table_with_a_speaker_column_becomes_turns():
    extracted = read("tableau.docx", build.speaker_table_docx())
    speakers = services.detect_speakers(extracted.text, extracted.labels)
    assert [(s.label, s.turns) for s in speakers] == [("Enquêtrice", 2), ("Karim", 2)]


def test_an_odt_with_a_note_a_comment_a_frame_a_change_and_merged_and_nested_cells():
    extracted = read("complet.odt", build.complete_odt())
    assert extracted.text == (
        "Le banc[1] est au soleil. [note 1: Square Viger.]\n\n"
        "On se salue, pas plus.\n\nEncadré : le quartier\n\nFusion\n\nB1\n\nImbriqué"
    )
    (comment,) = extracted.comments
    assert (extracted.text[comment.start : comment.end], comment.text, comment.author) == (
        "On se salue",
        "Voisinage courtois ?",
        "Rita",
    )
    assert "effacé" not in extracted.text


# Encodings: any Python codec ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gbk", "这是中文"),
        ("GB18030", "还有更多的中文"),
        ("shift-jis", "日本語のテキスト"),
        ("koi8_r", "Привет, мир"),
        ("cp1251", "Привет, мир"),
        ("iso-8859-7", "Καλημέρα"),
    ],
)
def test_the_override_takes_any_encoding_python_knows(encoding, text):
    data = f"Intervieweuse : {text}".encode(encoding)
    assert read("entretien.txt", data, encoding).text == f"Intervieweuse : {text}"


def test_an_unknown_encoding_name_is_refused():
    assert "Unknown encoding “klingon”" in problem("entretien.txt", b"Bonjour", "klingon")
    assert "Unknown encoding" in problem("entretien.txt", b"Bonjour", "base64")  # not text


def test_every_encoding_is_listed_with_a_label_and_its_other_names():
    listed = {name: (label, aliases) for name, label, aliases in formats.all_encodings()}
    assert list(listed)[:5] == ["utf-8", "cp1252", "iso8859-1", "mac-roman", "utf-16"]
    assert len(listed) > 100
    assert "gbk" in listed and "936" in listed["gbk"][1]
    assert listed["koi8-r"][0] == "koi8-r — Russian"
    assert "base64" not in listed and "rot-13" not in listed


def test_a_short_french_windows_1252_transcript_is_not_taken_for_central_european():
    extracted = read("court.txt", build.SHORT_FRENCH.encode("cp1252"))
    assert extracted.text == build.SHORT_FRENCH
    assert extracted.encoding == "cp1252"


def test_a_comment_on_a_bold_speaker_label_keeps_both():
    comments = (
        f'<w:comments xmlns:w="{build.W_NS}"><w:comment w:id="0" w:author="Rita">'
        "<w:p><w:r><w:t>À coder</w:t></w:r></w:p></w:comment></w:comments>"
    )
    body = build.w_p(
        '<w:commentRangeStart w:id="0"/>',
        build.w_r("Martine :", bold=True),
        build.w_r(" Je suis là."),
        '<w:commentRangeEnd w:id="0"/>',
    )
    extracted = read("c.docx", build.docx_package(body, {"word/comments.xml": comments}))
    assert extracted.text == "Martine : Je suis là."
    assert extracted.labels == ["Martine"]
    (comment,) = extracted.comments
    assert (comment.start, comment.end, comment.text) == (0, 21, "À coder")


def test_bold_speaker_labels_of_an_odt_are_speakers():
    extracted = formats.read_transcript("entretien.odt", build.bold_labels_odt())
    assert extracted.labels == ["Enquêtrice", "Nadia"]
    assert extracted.text.split("\n\n")[:2] == [
        "Enquêtrice : Vous êtes là depuis quand ?",
        "Nadia : Depuis 2012.",
    ]
    assert extracted.text.endswith("Titre")  # a bold line alone stays a heading
