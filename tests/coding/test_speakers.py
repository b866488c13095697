"""Each coding carries the speaker of the turn it starts in (`Coding.speaker`, migration coding
0020), kept by triggers through every way codings and turns are written, out of the audit trail,
and read by the excerpts, the review queue and the exports."""

import random

import pytest
from django.db import connection
from django.http import QueryDict

from coding import actions
from coding.audit import undo_last
from coding.models import Coding, CodingEvent
from excerpts import queries
from excerpts.filters import read_filters
from exports import excerpt_rows
from interviews.models import Speaker, Turn
from review.queries import reviewed_codings
from tests.factories import (
    assert_speakers_follow_the_turns,
    make_coding,
    make_interview,
    speakers_from_the_turns,
)

pytestmark = pytest.mark.django_db


def at(interview, words: str) -> tuple[int, int]:
    start = interview.text.index(words)
    return start, start + len(words)


def speaker_of(interview, label: str) -> Speaker:
    return interview.speakers.get(label=label)


def stored(coding: Coding) -> int | None:
    return Coding.objects.values_list("speaker_id", flat=True).get(pk=coding.pk)


def test_each_coding_gets_the_speaker_of_the_turn_it_starts_in(interview, code, rita):
    codings = [
        make_coding(interview, code, rita, start, start + 3)
        for start in range(0, interview.text_length - 3, 7)
    ]
    for coding in codings:  # returned by the insert itself, as a view sees it
        assert coding.speaker_id == speakers_from_the_turns(interview)[coding.pk]
    assert_speakers_follow_the_turns(interview)
    kept = {coding.speaker_id for coding in codings}
    # Both speakers, and None for the codings that start on a label, between turns.
    assert kept == {
        speaker_of(interview, "Martine").pk,
        speaker_of(interview, "Intervieweuse").pk,
        None,
    }
    on_label = make_coding(interview, code, rita, *at(interview, "Martine : Je"))
    assert on_label.speaker_id is None


def test_every_way_of_writing_a_coding_sets_it(project, interview, code, rita):
    martine, asking = speaker_of(interview, "Martine"), speaker_of(interview, "Intervieweuse")
    with connection.cursor() as cursor:  # the workspace's apply (migration coding 0010)
        cursor.execute(
            "SELECT * FROM coding_apply(%s, %s, %s, %s, %s, %s)",
            [rita.pk, project.pk, interview.pk, code.pk, *at(interview, "même banc")],
        )
        cursor.execute(
            'INSERT INTO coding_coding (interview_id, code_id, coder_id, start, "end", text,'
            " status, created_at, updated_at, speaker_id)"
            " VALUES (%s, %s, %s, %s, %s, '', 'pending', now(), now(), %s)",
            [interview.pk, code.pk, rita.pk, *at(interview, "Et quand"), martine.pk],
        )
    Coding.objects.bulk_create(
        [
            Coding(
                interview=interview,
                code=code,
                coder=rita,
                start=at(interview, "un café")[0],
                end=at(interview, "un café")[1],
            )
        ]
    )
    assert_speakers_follow_the_turns(interview)
    assert (
        Coding.objects.get(text="Et quand").speaker_id == asking.pk
    )  # what was written is ignored

    # Moved into the other speaker's turn, by an update or by save().
    coding = Coding.objects.get(text="même banc")
    Coding.objects.filter(pk=coding.pk).update(
        start=at(interview, "Et quand")[0], end=at(interview, "Et quand")[1]
    )
    assert stored(coding) == asking.pk
    coding.refresh_from_db()
    coding.start, coding.end = at(interview, "Des fois")
    coding.speaker = asking  # a stale value a save() writes back
    coding.save()
    assert stored(coding) == martine.pk
    # A direct write of the column alone is put right.
    Coding.objects.filter(pk=coding.pk).update(speaker=asking)
    assert stored(coding) == martine.pk


def test_the_turns_changing_refresh_the_speakers_of_their_interview_only(project, code, rita):
    interview = make_interview(project)
    other = make_interview(project, interview.text + "\n\nMartine : Voilà.", title="Entretien 2")
    for each in (interview, other):
        for words in ("abordez", "même banc", "Des fois", "Et quand", "juste un café"):
            make_coding(each, code, rita, *at(each, words))
    martine, asking = speaker_of(interview, "Martine"), speaker_of(interview, "Intervieweuse")
    untouched = _row_versions(other)

    # A turn given to the other speaker (the correction page's "speaker" choice).
    turn = Turn.objects.get(
        interview=interview,
        start__lte=at(interview, "Et quand")[0],
        end__gt=at(interview, "Et quand")[0],
    )
    Turn.objects.filter(pk=turn.pk).update(speaker=martine)
    assert Coding.objects.get(interview=interview, text="Et quand").speaker_id == martine.pk
    assert_speakers_follow_the_turns(interview)
    # A turn that starts later: a coding at its old start is now between turns.
    Turn.objects.filter(pk=turn.pk).update(start=at(interview, "quand")[0])
    assert Coding.objects.get(interview=interview, text="Et quand").speaker_id is None
    assert_speakers_follow_the_turns(interview)
    # Its timestamp alone changes nothing, and writes no coding.
    versions = _row_versions(interview)
    Turn.objects.filter(pk=turn.pk).update(timestamp="00:01:00")
    assert _row_versions(interview) == versions
    # Every turn deleted, then one turn over the whole text, in one statement each.
    Turn.objects.filter(interview=interview).delete()
    assert set(Coding.objects.filter(interview=interview).values_list("speaker_id", flat=True)) == {
        None
    }
    Turn.objects.bulk_create(
        [Turn(interview=interview, speaker=asking, start=0, end=interview.text_length)]
    )
    assert set(Coding.objects.filter(interview=interview).values_list("speaker_id", flat=True)) == {
        asking.pk
    }
    # A speaker deleted takes its turns, and its codings lose it: none points at a speaker gone.
    asking.delete()
    assert set(Coding.objects.filter(interview=interview).values_list("speaker_id", flat=True)) == {
        None
    }
    assert _row_versions(other) == untouched
    assert_speakers_follow_the_turns(other)


def _row_versions(interview) -> dict[int, str]:
    """Each coding's row version (xmin): whether anything wrote it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, xmin::text FROM coding_coding WHERE interview_id = %s", [interview.pk]
        )
        return dict(cursor.fetchall())


def test_the_audit_trail_and_the_review_leave_the_speaker_out(interview, code, rita):
    coding = make_coding(interview, code, rita, *at(interview, "même banc"))
    Coding.objects.filter(pk=coding.pk).update(status=Coding.Status.APPROVED)
    events = CodingEvent.objects.filter(coding_id=coding.pk)
    assert all("speaker_id" not in (event.after or {}) for event in events)
    count = events.count()
    Turn.objects.filter(interview=interview).update(speaker=speaker_of(interview, "Intervieweuse"))
    coding.refresh_from_db()
    assert coding.speaker_id == speaker_of(interview, "Intervieweuse").pk
    # The transcript's, not the coder's: no event, and no return to review.
    assert events.count() == count
    assert coding.status == Coding.Status.APPROVED


def test_a_coding_brought_back_by_undo_gets_the_speaker_of_its_turn(interview, code, rita):
    start, end = at(interview, "même banc")
    actions.apply(interview, code.pk, rita, start, end)
    coding = Coding.objects.get()
    actions.remove_coding(coding, rita)
    # Meanwhile the turn changed hands: the restored coding takes today's speaker.
    Turn.objects.filter(interview=interview).update(speaker=speaker_of(interview, "Intervieweuse"))
    assert undo_last(rita, interview.pk) is not None
    assert Coding.objects.get().speaker_id == speaker_of(interview, "Intervieweuse").pk


def test_the_pages_and_the_exports_show_its_name_as_it_is_now(project, interview, code, rita):
    coding = make_coding(interview, code, rita, *at(interview, "même banc"))
    martine = speaker_of(interview, "Martine")
    martine.name = "Martine T."
    martine.save()
    filters = read_filters(project, QueryDict(f"code={code.pk}"))
    (excerpt,), _count = queries.excerpts_and_count(filters, 0, 50, 100)
    assert excerpt.speaker_name == "Martine T."
    (card,) = reviewed_codings([coding.pk])
    assert card.speaker_name == "Martine T."
    assert [row[3] for row in excerpt_rows.read(filters).rows()] == ["Martine T."]
    assert [c.speaker_name for c in queries.codings(filters)] == ["Martine T."]


@pytest.mark.parametrize("seed", range(6))
def test_random_turns_and_codings_agree_after_every_write(project, code, rita, seed):
    rng = random.Random(seed)
    text = "".join(rng.choice("abc de «\u00a0f\u00a0» 🤝🏽 e\u0301\r\n") for _ in range(600))
    interview = make_interview(project, text, title=f"Aléatoire {seed}")
    speakers = [
        Speaker.objects.create(interview=interview, label=f"S{n}", name=f"S{n}") for n in range(3)
    ]
    for _ in range(40):
        start = rng.randrange(len(text) - 1)
        make_coding(interview, code, rita, start, min(len(text), start + rng.randint(1, 30)))
    for _ in range(25):
        turns = list(Turn.objects.filter(interview=interview).order_by("start"))
        # No two turns start together (a transcript's never do; which of two would be arbitrary).
        free = sorted(set(range(len(text) - 1)) - {turn.start for turn in turns})
        move = rng.choice(["add", "add", "delete", "shift", "speaker", "coding"])
        if move == "add":
            start = rng.choice(free)
            Turn.objects.create(
                interview=interview,
                speaker=rng.choice(speakers + [None]),
                start=start,
                end=min(len(text), start + rng.randint(1, 120)),
            )
        elif move == "delete" and turns:
            rng.choice(turns).delete()
        elif move == "shift" and turns:
            turn = rng.choice(turns)
            turn.start = rng.choice(free)
            turn.end = min(len(text), turn.start + rng.randint(1, 120))
            turn.save()
        elif move == "speaker" and turns:
            Turn.objects.filter(
                pk__in=[t.pk for t in rng.sample(turns, min(3, len(turns)))]
            ).update(speaker=rng.choice(speakers))
        else:
            coding = rng.choice(list(Coding.objects.filter(interview=interview)))
            Coding.objects.filter(pk=coding.pk).update(start=rng.randrange(coding.end))
        assert_speakers_follow_the_turns(interview)
