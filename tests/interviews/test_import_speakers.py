"""Speakers a person would see: roles once, names that look like names, [id1] and [Name], voices;
never a sentence that merely contains a colon. Figures over the gathered files are in
docs/importing.md (tests/interviews/fixtures/speakers.py)."""

import pytest

from interviews import formats, services
from interviews.transcripts import looks_like_name, parse_turns, written_label
from tests.interviews.fixtures import build, speakers


def labels(text: str, hints=()) -> list[str]:
    return [s.label for s in services.detect_speakers(text, list(hints))]


def test_no_false_speaker_and_one_missed_on_the_gathered_files():
    rows = speakers.measure()
    assert [(name, false) for name, false, *_rest in rows if false] == []
    # "Hélène : …" opens one line of a two-line transcript: a name needs two, or a format mark.
    assert [(name, missed) for name, _false, missed, *_rest in rows if missed] == [
        ("court-cp1252.txt", 1)
    ]


@pytest.mark.parametrize(
    "label",
    [
        "Marie",
        "JEAN-PIERRE",
        "Marie de la Tour",
        "Dr. Roy",
        "P1",
        "id1",
        "Speaker 2",
        "Participant (Luc)",
    ],
)
def test_names_and_roles_look_like_names(label):
    assert looks_like_name(label)


@pytest.mark.parametrize(
    "label", ["Règle numéro un", "J'ai dit", "He said", "musique", "Bref", "Thus", "rires nerveux"]
)
def test_sentences_and_sounds_do_not(label):
    assert not looks_like_name(label)


def test_one_line_is_enough_for_a_role_word():
    assert labels(build.ONE_LINE_EACH) == ["Intervieweur", "Participant"]


def test_a_name_needs_two_lines_or_a_mark_of_the_format():
    text = "Intervieweuse : Bonjour.\nHélène : Bonjour."
    assert labels(text) == ["Intervieweuse"]
    assert labels(text, ["Hélène"]) == ["Intervieweuse", "Hélène"]


def test_sentences_with_a_colon_in_a_french_film_are_not_speakers():
    extracted = formats.read_transcript("film.srt", build.FRENCH_FILM_SRT.encode())
    assert labels(extracted.text, extracted.labels) == ["Lucie"]
    # The dialogue dashes put each speaker's line on its own.
    assert "Tu viens ?\nJ'arrive." in extracted.text


def test_cue_labels_are_certain_in_capitals_or_brackets_and_possible_with_french_spacing():
    assert written_label("MARIE : Bonjour.") == ("MARIE", True)
    assert written_label("[Alba] En 1928,") == ("Alba", True)
    assert written_label("Martine : Dans la rue.") == ("Martine", False)
    assert written_label("Digo: le doy un abrazo.") == ("", False)
    assert written_label("[risita] Ya.") == ("", False)


def test_bracketed_labels_open_turns_like_colon_labels():
    text = "[id1] hello.\n\n[id2] hi.\n\n[id1] again.\n\n[id2] bye."
    turns = parse_turns(text)
    assert [(t.label, text[t.start : t.end]) for t in turns] == [
        ("id1", "hello."),
        ("id2", "hi."),
        ("id1", "again."),
        ("id2", "bye."),
    ]
