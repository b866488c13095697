"""Correcting a coded transcript (corrections/services.py): every coding, turn, memo and search line
stays on its words, or says why it could not; restoring a version puts everything back exactly."""

import random

import pytest
from django.db import IntegrityError, connection, transaction

from coding import actions
from coding.audit import recorded_as, restore_removed, undo_last
from coding.models import Code, Coding, DetachedCoding, Memo, ReviewEvent, TextChange
from corrections import services
from corrections.models import TextVersion
from interviews.models import Interview, Turn
from search import index
from tests.corrections.test_anchoring import PIECES, touched, transcript
from tests.factories import (
    TRANSCRIPT,
    assert_contexts_follow_the_text,
    assert_speakers_follow_the_turns,
    contexts_of,
    make_code,
    make_coding,
    make_interview,
)

# The messages read here are the English ones (the site default is French).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def at(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def coded(interview, code, user, words, status=Coding.Status.PENDING) -> Coding:
    coding = make_coding(interview, code, user, *at(interview.text, words))
    if status != Coding.Status.PENDING:
        Coding.objects.filter(pk=coding.pk).update(status=status)
        coding.refresh_from_db()
    return coding


def fix(interview, user, old, new, reason="coquille"):
    text = interview.text.replace(old, new, 1)
    assert text != interview.text
    return services.correct(
        interview, user, text, reason=reason, expected_version=interview.text_version
    )


def test_a_coding_after_the_edit_moves_with_its_words_and_keeps_its_review(interview, code, rita):
    banc = coded(interview, code, rita, "même banc", Coding.Status.APPROVED)
    fix(interview, rita, "quelqu'un", "quelqu’un que vous croisez")
    banc.refresh_from_db()
    assert banc.text == "même banc" and interview.text[banc.start : banc.end] == "même banc"
    assert banc.status == Coding.Status.APPROVED
    assert not TextChange.objects.exists()


def test_a_coding_before_the_edit_does_not_move(interview, code, rita):
    early = coded(interview, code, rita, "Comment est-ce")
    before = (early.start, early.end)
    fix(interview, rita, "café", "thé")
    early.refresh_from_db()
    assert (early.start, early.end) == before


def test_the_contexts_of_a_coding_that_stays_follow_the_words_around_it(interview, code, rita):
    banc = coded(interview, code, rita, "même banc", Coding.Status.APPROVED)
    fix(interview, rita, "pis j'attends", "pis j’attends longtemps")  # after it: it stays
    banc.refresh_from_db()
    assert banc.context_after.startswith(", pis j’attends longtemps.")
    fix(interview, rita, "loin", "proche")  # a word before it: it moves, and is cut again
    banc.refresh_from_db()
    assert banc.context_before.endswith("Je m'assois pas proche, sur le ")
    assert (banc.context_before, banc.context_after) == contexts_of(
        interview.text, banc.start, banc.end
    )
    assert banc.status == Coding.Status.APPROVED  # its words did not change
    assert not TextChange.objects.exists()


def test_a_coding_partly_edited_keeps_the_mapped_span_is_flagged_and_returns_to_review(
    interview, code, rita, sam
):
    banc = coded(interview, code, rita, "sur le même banc", Coding.Status.APPROVED)
    outcome = fix(interview, sam, "même", "grand")
    banc.refresh_from_db()
    assert banc.text == "sur le grand banc"
    assert banc.status == Coding.Status.PENDING
    (change,) = outcome.changed
    assert (change.coding, change.old_text, change.new_text) == (
        banc,
        "sur le même banc",
        "sur le grand banc",
    )
    assert change.version == 2
    last = ReviewEvent.objects.filter(coding=banc).last()
    assert (last.status, last.reviewer) == (Coding.Status.PENDING, sam)


def test_a_coding_whose_words_are_deleted_is_detached_not_dropped(interview, code, rita, sam):
    coding = coded(interview, code, rita, "pis j'attends")
    Memo.objects.create(project=interview.project, author=rita, coding=coding, body="Patience")
    outcome = fix(interview, sam, ", pis j'attends", "")
    (detached,) = outcome.detached
    assert not Coding.objects.filter(pk=coding.pk).exists()
    assert (detached.coding_id, detached.text, detached.coder) == (coding.pk, "pis j'attends", rita)
    assert not Memo.objects.exists()
    # Placed again, on other words: the same coding comes back with its memo.
    start, end = at(interview.text, "même banc")
    with recorded_as(rita, interview_id=interview.pk):
        back = restore_removed(detached.event, rita, start=start, end=end)
    assert (back.pk, back.text) == (coding.pk, "même banc")
    assert Memo.objects.get().coding == back


def test_turns_move_and_a_turn_whose_words_are_gone_goes(interview, rita):
    turns = list(Turn.objects.filter(interview=interview).order_by("start"))
    question = "Et quand il vous parle ?"
    outcome = fix(interview, rita, question, "")
    remaining = list(Turn.objects.filter(interview=interview).order_by("start"))
    assert outcome.turns_removed == 1
    assert len(remaining) == len(turns) - 1
    for turn in remaining:
        assert interview.text[turn.start : turn.end].strip()
    assert interview.text[remaining[-1].start : remaining[-1].end].startswith("Là je peux")


def test_the_search_index_follows_the_corrected_text(interview, rita):
    fix(interview, rita, "café", "chocolat chaud")
    assert index.counts(index.parse(interview.project_id, "chocolat")) == {interview.pk: 1}
    found = index.counts(index.parse(interview.project_id, "café"))
    assert found == {interview.pk: 1}  # « juste un café » is still there
    fix(interview, rita, "café", "chocolat")
    assert index.counts(index.parse(interview.project_id, "café")) == {}


def test_each_correction_is_a_version_with_who_when_and_why(interview, rita, sam):
    fix(interview, rita, "café", "thé", reason="mal entendu")
    fix(interview, sam, "banc", "banc vert", reason="précision")
    versions = list(TextVersion.objects.filter(interview=interview))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[0].text == TRANSCRIPT and versions[0].reason == "As imported."
    assert [(v.created_by, v.reason) for v in versions[1:]] == [
        (rita, "mal entendu"),
        (sam, "précision"),
    ]
    interview.refresh_from_db()
    assert interview.text_version == 3 and interview.text == versions[-1].text


def test_restoring_the_previous_version_puts_every_coding_back_exactly(interview, code, rita):
    other = make_code(interview.project, "Café")
    codings = [
        coded(interview, code, rita, "même banc"),
        coded(interview, other, rita, "« juste un café »"),
        coded(interview, code, rita, "pis j'attends"),
        coded(interview, other, rita, "quelqu'un que vous ne connaissez"),
    ]
    before = {c.pk: (c.start, c.end, c.text) for c in codings}
    turns_before = list(Turn.objects.filter(interview=interview).values_list("pk", "start", "end"))
    fix(interview, rita, ", pis j'attends", "")
    fix(interview, rita, "que vous ne connaissez", "qu’on connaît")
    services.restore(interview, rita, 1, expected_version=3)
    interview.refresh_from_db()
    assert interview.text == TRANSCRIPT and interview.text_version == 4
    after = {c.pk: (c.start, c.end, c.text) for c in Coding.objects.filter(interview=interview)}
    assert after == before
    assert not DetachedCoding.objects.exists()
    assert list(Turn.objects.filter(interview=interview).values_list("pk", "start", "end")) == (
        turns_before
    )
    assert TextVersion.objects.get(interview=interview, number=4).restores == 1


def test_a_second_save_from_an_older_page_is_refused_and_changes_nothing(interview, rita, sam):
    text = interview.text
    fix(interview, rita, "café", "thé")
    with pytest.raises(services.Stale, match="meanwhile"):
        services.correct(interview, sam, text.replace("banc", "mur"), expected_version=1)
    interview.refresh_from_db()
    assert "banc" in interview.text and interview.text_version == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   \n ", "cannot empty"),
        ("Bonjour\x00", "NUL"),
        ("Bonjour \ud800", "broken characters"),
        (TRANSCRIPT, "Nothing changed"),
    ],
)
def test_bad_corrections_are_refused_with_a_reason(interview, rita, text, message):
    with pytest.raises(services.Refused, match=message):
        services.correct(interview, rita, text, expected_version=1)
    assert not TextVersion.objects.exists()


def test_a_text_identical_to_another_interview_is_refused(project, interview, rita):
    other = make_interview(project, TRANSCRIPT.replace("café", "thé"), title="Entretien 2")
    with pytest.raises(services.Refused, match="exactly this text"):
        services.correct(interview, rita, other.text, expected_version=1)
    interview.refresh_from_db()
    assert interview.text == TRANSCRIPT


def test_the_text_cannot_change_outside_a_correction(interview):
    with pytest.raises(IntegrityError), transaction.atomic():
        Interview.objects.filter(pk=interview.pk).update(text="Autre chose.")


def test_undo_does_not_reach_across_a_correction(interview, code, rita):
    start, end = at(interview.text, "même banc")
    actions.apply(interview, code.pk, rita, start, end)
    fix(interview, rita, "quelqu'un", "quelqu’un")
    assert undo_last(rita, interview.pk) is None
    assert Coding.objects.get().text == "même banc"


def test_a_coding_made_after_a_correction_can_be_undone(interview, code, rita):
    fix(interview, rita, "quelqu'un", "quelqu’un")
    start, end = at(interview.text, "même banc")
    actions.apply(interview, code.pk, rita, start, end)
    assert undo_last(rita, interview.pk) is not None
    assert not Coding.objects.exists()


# Property: random edits of a longer transcript with many codings, saved one by one; then restoring
# each previous version in turn.


@pytest.mark.parametrize("seed", range(8))
def test_random_corrections_keep_untouched_codings_and_restoring_undoes_them(project, rita, seed):
    rng = random.Random(seed)
    interview = make_interview(project, transcript(rng, 400), title=f"Aléatoire {seed}")
    codes = [make_code(project, f"Code {n}") for n in range(3)]
    for _ in range(60):
        start = rng.randrange(interview.text_length - 2)
        end = rng.randint(start + 1, min(interview.text_length, start + 80))
        if interview.text[start:end].strip():
            Coding.objects.create(
                interview=interview, code=rng.choice(codes), coder=rita, start=start, end=end
            )
    history = [_state(interview)]
    for _ in range(5):
        text = interview.text
        i = rng.randrange(len(text))
        j = i if rng.random() < 0.4 else min(len(text), i + rng.randint(1, 25))
        added = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 5))) or "x"
        untouched = {
            pk: words
            for pk, (start, end, words) in history[-1].items()
            if not touched((start, end), i, j)
        }
        services.correct(
            interview, rita, text[:i] + added + text[j:], expected_version=interview.text_version
        )
        now = _state(interview)
        for pk, words in untouched.items():
            assert now[pk][2] == words, (seed, pk)
        assert_contexts_follow_the_text(interview)
        assert_speakers_follow_the_turns(interview)
        history.append(now)
    for number in range(len(history) - 1, 0, -1):  # back through every version, one at a time
        services.restore(interview, rita, number, expected_version=interview.text_version)
        assert _state(interview) == history[number - 1], (seed, number)
        assert_contexts_follow_the_text(interview)
        assert_speakers_follow_the_turns(interview)


def _state(interview) -> dict[int, tuple[int, int, str]]:
    rows = Coding.objects.filter(interview=interview).values_list("pk", "start", "end", "text")
    return {pk: (start, end, text) for pk, start, end, text in rows}


def test_codes_are_untouched_by_a_correction(interview, code, rita):
    coded(interview, code, rita, "même banc")
    fix(interview, rita, "même banc", "banc")
    assert Code.objects.get() == code
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM coding_codingevent WHERE "group" IS NOT NULL')
        # The correction's own moves are out of Ctrl+Z's reach: only the coding's creation is.
        assert cursor.fetchone()[0] <= 1


# One turn at a time, as the correction page does


def turns_of(interview):
    return [
        (t.speaker.label, interview.text[t.start : t.end])
        for t in Turn.objects.filter(interview=interview)
        .select_related("speaker")
        .order_by("start")
    ]


def turn_at(interview, words):
    for turn in Turn.objects.filter(interview=interview).order_by("start"):
        if words in interview.text[turn.start : turn.end]:
            return turn
    raise AssertionError(words)


def test_a_turn_is_corrected_in_place(interview, code, rita):
    coding = coded(interview, code, rita, "« juste un café »")
    turn = turn_at(interview, "juste un café")
    services.correct_passage(
        interview,
        rita,
        turn.start,
        turn.end,
        "Là je peux lui proposer un thé, « juste un café », rien de plus.",
        expected_version=1,
    )
    assert turns_of(interview)[-1] == (
        "Martine",
        "Là je peux lui proposer un thé, « juste un café », rien de plus.",
    )
    coding.refresh_from_db()
    assert coding.text == "« juste un café »"


def test_a_turn_can_change_speaker_and_its_label_follows(interview, rita):
    turn = turn_at(interview, "Et quand il vous parle")
    martine = interview.speakers.get(label="Martine")
    services.correct_passage(
        interview,
        rita,
        turn.start,
        turn.end,
        interview.text[turn.start : turn.end],
        speaker=martine,
        expected_version=1,
    )
    assert "Martine : Et quand il vous parle ?" in interview.text
    assert turns_of(interview)[2] == ("Martine", "Et quand il vous parle ?")


def test_a_turn_joins_the_next_one(interview, rita):
    turn = turn_at(interview, "Et quand il vous parle")
    services.correct_passage(
        interview,
        rita,
        turn.start,
        turn.end,
        interview.text[turn.start : turn.end],
        join_next=True,
        expected_version=1,
    )
    assert [label for label, _words in turns_of(interview)] == [
        "Intervieweuse",
        "Martine",
        "Intervieweuse",
    ]
    assert turns_of(interview)[2][1].startswith("Et quand il vous parle ?\n\nLà je peux")


def test_a_line_opening_with_a_label_splits_the_turn(interview, rita):
    turn = turn_at(interview, "Je m'assois")
    words = interview.text[turn.start : turn.end].replace(
        "\nDes fois", "\nIntervieweuse : Ah oui ?\nMartine : Des fois"
    )
    services.correct_passage(interview, rita, turn.start, turn.end, words, expected_version=1)
    labels = [label for label, _words in turns_of(interview)]
    assert labels == [
        "Intervieweuse",
        "Martine",
        "Intervieweuse",
        "Martine",
        "Intervieweuse",
        "Martine",
    ]
    assert turns_of(interview)[2] == ("Intervieweuse", "Ah oui ?")


def test_the_search_lines_after_a_correction_are_those_of_the_new_text(project, rita):
    # Unchanged lines keep their vectors (migration interviews 0008): the result must be exactly
    # what indexing the corrected text from scratch gives.
    interview = make_interview(project, transcript(random.Random(3), 500))
    text = interview.text
    new = text[:200] + "naloxone et cœur " + text[260:].replace("banc", "parc", 3)
    services.correct(interview, rita, new, expected_version=1)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT start, "end", text, config, vector::text FROM interviews_searchsegment'
            " WHERE interview_id = %s ORDER BY start",
            [interview.pk],
        )
        stored = cursor.fetchall()
        cursor.execute(
            'SELECT start, "end", text, config,'
            " (vector || verbatim_project_lexeme(%s))::text"
            " FROM interviews_segments(%s, %s) ORDER BY start",
            [project.pk, new, interview.language],
        )
        assert stored == cursor.fetchall()


def test_time_marks_move_with_their_words_and_come_back_on_restore(interview, rita):
    from datetime import timedelta

    from interviews.models import TimeMark

    start, end = at(interview.text, "Et quand il vous parle ?")
    mark = TimeMark.objects.create(
        interview=interview, start=start, end=end, time_start=timedelta(seconds=62)
    )
    fix(interview, rita, "quelqu'un", "quelqu’un que vous croisez")
    mark.refresh_from_db()
    assert interview.text[mark.start : mark.end] == "Et quand il vous parle ?"
    fix(interview, rita, "Et quand il vous parle ?", "")
    assert not TimeMark.objects.exists()
    services.restore(interview, rita, 2, expected_version=3)
    back = TimeMark.objects.get()
    assert (back.pk, back.time_start) == (mark.pk, timedelta(seconds=62))
    assert interview.text[back.start : back.end] == "Et quand il vous parle ?"


def test_no_correction_while_a_blind_round_compares_codings_on_the_interview(
    interview, code, rita, sam
):
    from coding.models import CodingRound

    round_ = CodingRound.objects.create(project=interview.project, name="Aveugle", created_by=sam)
    round_.interviews.set([interview])
    before = interview.text
    with pytest.raises(services.Refused, match="blind coding round is open"):
        fix(interview, sam, before[:10], before[:10].upper())
    interview.refresh_from_db()
    assert interview.text == before and not TextVersion.objects.filter(interview=interview).exists()
    round_.closed_at = round_.created_at
    round_.save()
    fix(interview, sam, before[:10], before[:10].upper())  # closed: corrections are back
    interview.refresh_from_db()
    assert interview.text != before


def test_each_codings_words_follow_its_text_through_corrections(interview, code, rita):
    """Coding.words is counted by a trigger whenever the coded text changes (migration coding
    0025): on insert, when a coding is resized, and when a correction rewrites its words; the
    code frequencies add them up."""
    banc = coded(interview, code, rita, "sur le même banc")
    assert banc.words == 4  # read back as it was written
    fix(interview, rita, "même", "grand vieux")
    banc.refresh_from_db()
    assert (banc.text, banc.words) == ("sur le grand vieux banc", 5)
    Coding.objects.filter(pk=banc.pk).update(end=banc.end - len(" banc"))
    banc.refresh_from_db()
    assert (banc.text, banc.words) == ("sur le grand vieux", 4)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM coding_coding WHERE words <> regexp_count(text, '\\S+')"
        )
        assert cursor.fetchone() == (0,)
