"""Times kept: every cue of a subtitle file and every timestamp of a transcript becomes a timed mark
on the text, through pseudonymisation, the draft and the stored interview (TimeMark, Turn.timestamp).
The small files are made by tests/interviews/fixtures/build.py (no public file has these cases)."""

from datetime import timedelta

import pytest

from interviews import formats, services
from interviews.models import ImportFile, Interview, TimeMark
from interviews.pseudonyms import Pseudonymiser
from tests.interviews.fixtures import build

pytestmark = pytest.mark.usefixtures("english")


def read(name, data, encoding=None):
    return formats.read_transcript(name, data, encoding)


def times(extracted):
    return [(m.time_start, m.time_end, extracted.text[m.start : m.end]) for m in extracted.marks]


# Timestamps written in text transcripts ------------------------------------------------------------


def test_bracketed_timestamps_are_taken_out_and_kept():
    extracted = read("entretien.txt", build.BRACKETED.encode())
    assert extracted.text == "Intervieweur : Bonjour.\nParticipant : Bonjour, ça va."
    assert times(extracted) == [
        (5.0, 9.0, "Intervieweur : Bonjour.\n"),
        (9.0, None, "Participant : Bonjour, ça va."),
    ]


def test_f4_timestamps_end_their_paragraph():
    extracted = read("entretien.txt", build.F4.encode())
    assert "#" not in extracted.text
    assert [(start, end) for start, end, _text in times(extracted)] == [
        (0.0, 12.3),
        (12.3, 20.0),
        (20.0, 24.5),
    ]
    assert times(extracted)[1][2].strip() == "B: En deux mille dix, au printemps."


def test_parenthesised_and_whisper_and_bare_timestamps():
    parenthesised = read("entretien.txt", build.PARENTHESISED.encode())
    assert parenthesised.text == "Q : Vous êtes arrivé quand ?\nR : En 2010."
    whisper = read("whisper.txt", build.WHISPER.encode())
    assert times(whisper) == [
        (0.0, 3.2, "Bonjour et bienvenue.\n"),
        (3.2, 7.6, "On commence par les présentations."),
    ]
    bare = read("entretien.md", build.BARE.encode())
    assert bare.text == "Intervieweuse : Bonjour.\nParticipante : Bonjour."
    assert [m.time_start for m in bare.marks] == [1.25, 4.0]


def test_a_single_time_in_a_sentence_is_left_alone():
    text = "Intervieweuse : On se voit à (10:30) ?\nMarc : Oui."
    extracted = read("entretien.txt", text.encode())
    assert extracted.text == text and extracted.marks == []


def test_timestamps_in_a_word_table_of_time_speaker_and_speech():
    extracted = read("entretien.docx", build.speaker_table_docx())
    assert extracted.text.startswith("Enquêtrice : Vous faites ce travail depuis quand ?\n\nKarim")
    assert [m.time_start for m in extracted.marks] == [5.0, 9.0, 15.0, 18.0]


# Subtitles and oTranscribe -----------------------------------------------------------------------


def test_substation_alpha_names_override_tags_and_hard_spaces():
    extracted = read("entretien.ass", build.ASS.encode())
    assert extracted.text == (
        "Intervieweuse : Bonjour,\u00a0vous travaillez où ?\n\n"
        "Martine : Dans la rue, au ras du sol. Depuis quatorze ans."
    )
    assert times(extracted) == [
        (1.5, 4.0, "Bonjour,\u00a0vous travaillez où ?"),
        (5.0, 8.25, "Dans la rue, au ras du sol."),
        (8.25, 10.0, "Depuis quatorze ans."),
    ]


def test_an_otr_file_keeps_its_timestamps_and_bold_speakers():
    extracted = read("entretien.otr", build.otr())
    assert (
        extracted.text == "Intervieweuse: Bonjour Martine.\n\nMartine: Bonjour, « au ras du sol »."
    )
    assert [(m.time_start, m.time_end) for m in extracted.marks] == [(2.5, 6.25), (6.25, None)]
    assert extracted.labels == ["Intervieweuse", "Martine"]


def test_a_damaged_otr_is_refused():
    with pytest.raises(formats.Unreadable, match="oTranscribe"):
        read("entretien.otr", b'{"media": "x.mp3"}')


# Through pseudonymisation, the draft and the stored interview --------------------------------------


def test_marks_follow_the_text_when_names_are_replaced():
    pseudonymiser = Pseudonymiser([("Martine", "Jo"), ("Intervieweuse", "Enquêtrice")])
    (prepared,) = services.prepare(
        name="entretien.vtt", data=build.VTT.encode(), pseudonymiser=pseudonymiser
    )
    marks = prepared.marks["utf-8"]
    cues = [prepared.text[start:end] for start, end, _start, _end in marks]
    assert cues == [
        "Bonjour Jo, vous travaillez où ?",
        "Dans la rue, « au ras du sol » & pas ailleurs.",
        "Depuis quatorze ans.",
        "Merci.",
    ]
    assert [start for _s, _e, start, _end in marks] == [1.0, 5.0, 9.5, 62.0]


@pytest.mark.django_db
def test_an_imported_subtitle_file_stores_every_cue_and_turn_times(project, ada):
    (prepared,) = services.prepare(
        name="entretien.vtt", data=build.VTT.encode(), pseudonymiser=Pseudonymiser([])
    )
    file = ImportFile.objects.create(
        batch=project.import_batches.create(created_by=ada), **prepared.__dict__
    )
    plan = services.plan_for(file)
    interview = services.import_interview(project=project, plan=plan, imported_by=ada)
    stored = [
        (interview.text[m.start : m.end], m.time_start, m.time_end)
        for m in TimeMark.objects.filter(interview=interview)
    ]
    assert stored[2] == ("Depuis quatorze ans.", timedelta(seconds=9.5), timedelta(seconds=12))
    assert len(stored) == 4
    assert [t.timestamp for t in interview.turns.order_by("start")] == [
        timedelta(seconds=1),
        timedelta(seconds=5),
        timedelta(seconds=62),
    ]


@pytest.mark.django_db
def test_a_plain_subtitle_file_keeps_its_times_without_speakers(project, ada):
    srt = "1\n00:00:01,000 --> 00:00:02,500\nBonjour.\n\n2\n00:00:03,000 --> 00:00:04,000\nSalut.\n"
    (prepared,) = services.prepare(name="a.srt", data=srt.encode(), pseudonymiser=Pseudonymiser([]))
    plan = services.plan_for(prepared)
    interview = services.import_interview(project=project, plan=plan, imported_by=ada)
    assert list(interview.time_marks.values_list("start", "end", "time_start")) == [
        (0, 8, timedelta(seconds=1)),
        (10, 16, timedelta(seconds=3)),
    ]
    assert not interview.turns.exists()


@pytest.mark.django_db
def test_marks_that_do_not_fit_the_text_are_not_stored(project, ada):
    plan = services.InterviewPlan(
        name="a.txt",
        format="txt",
        text="Bonjour.",
        title="A",
        marks=[[0, 8, 1.0, 2.0], [5, 50, 3.0, None], [4, 2, 1.0, None], [0, 3, 5.0, 1.0]],
    )
    interview = services.import_interview(project=project, plan=plan, imported_by=ada)
    assert list(interview.time_marks.values_list("start", "end")) == [(0, 8)]


@pytest.mark.django_db
def test_switching_to_another_reading_keeps_its_own_marks(project, ada):
    # Three cues in GBK: unsure, so each reading comes with its own marks.
    srt = "1\n00:00:01,000 --> 00:00:02,000\n这是中文\n\n2\n00:00:03,000 --> 00:00:04,000\n再见\n"
    (prepared,) = services.prepare(
        name="a.srt", data=srt.encode("gbk"), pseudonymiser=Pseudonymiser([])
    )
    assert not prepared.encoding_sure
    other = next(codec for codec in prepared.alternatives if codec != prepared.encoding)
    prepared.encoding, prepared.text = other, prepared.alternatives[other]
    plan = services.plan_for(prepared)
    assert len(plan.marks) == 2
    assert all(end <= len(plan.text) for _start, end, _ts, _te in plan.marks)


@pytest.mark.django_db
def test_comments_and_notices_reach_the_draft(project, ada):
    (prepared,) = services.prepare(
        name="c.odt",
        data=build.complete_odt(),
        pseudonymiser=Pseudonymiser([("Rita", "R."), ("On se salue", "Salut")]),
    )
    file = ImportFile.objects.create(
        batch=project.import_batches.create(created_by=ada), **prepared.__dict__
    )
    file.refresh_from_db()
    (comment,) = file.comments
    assert file.text[comment["start"] : comment["end"]] == "Salut"
    assert (comment["text"], comment["author"]) == ("Voisinage courtois ?", "R.")
    assert len(file.notices) == 4
    assert not Interview.objects.exists()
