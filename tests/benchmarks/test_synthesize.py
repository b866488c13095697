from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from benchmarks import synthetic
from coding.models import Code, Coding, CodingEvent, ReviewEvent
from interviews.models import AttributeValue, Interview, Membership, Project, Turn
from interviews.transcripts import parse_turns

pytestmark = pytest.mark.django_db

TINY = {"size": "S", "interviews": 3, "codings": 90, "words": 800}


def synthesize(**options) -> Project:
    call_command("synthesize", **(TINY | options), stdout=StringIO())
    return Project.objects.get(name__startswith="Synthetic S (3 interviews")


def test_it_creates_the_size_asked_for():
    project = synthesize()
    assert project.interviews.count() == 3
    assert Coding.objects.filter(interview__project=project).count() == 90
    for interview in project.interviews.all():
        assert 400 <= interview.word_count <= 1400
        assert interview.word_count == len(interview.text.split())
        assert AttributeValue.objects.filter(interview=interview).count() == 5


def test_the_codebook_has_about_sixty_codes_on_three_levels_with_distinct_colours():
    project = synthesize()
    codes = list(Code.objects.filter(project=project))
    assert 55 <= len(codes) <= 65
    by_id = {code.pk: code for code in codes}

    def level(code):
        return 1 if code.parent_id is None else 1 + level(by_id[code.parent_id])

    assert {level(code) for code in codes} == {1, 2, 3}
    assert len({code.color for code in codes}) == len(codes)


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another():
    first = synthetic.corpus_checksum(synthesize(seed=7))
    again = synthetic.corpus_checksum(synthesize(seed=7, replace=True))
    other = synthetic.corpus_checksum(synthesize(seed=8, replace=True))
    assert first == again
    assert other != first


def test_it_refuses_to_generate_a_project_that_exists_without_replace():
    synthesize()
    with pytest.raises(CommandError, match="--replace"):
        synthesize()


def test_replace_leaves_one_project_and_no_orphan_codings_or_audit_rows():
    old = synthesize()
    new = synthesize(replace=True)
    assert not Project.objects.filter(pk=old.pk).exists()
    assert Coding.objects.count() == 90
    assert set(CodingEvent.objects.values_list("project_id", flat=True)) == {new.pk}


def test_every_coding_went_through_the_triggers():
    project = synthesize()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM coding_coding c JOIN interviews_interview i ON i.id = c.interview_id
            WHERE i.project_id = %s AND c.text = substr(i.text, c.start + 1, c."end" - c.start)
            """,
            [project.pk],
        )
        assert cursor.fetchone()[0] == 90
    codings = Coding.objects.filter(interview__project=project).select_related("interview")
    for coding in codings:
        assert coding.text == coding.interview.text[coding.start : coding.end]
        assert coding.text.strip()
    assert CodingEvent.objects.filter(project_id=project.pk, action="create").count() == 90


def test_stored_turns_are_those_the_transcript_parser_finds():
    project = synthesize()
    for interview in project.interviews.all():
        labels = set(interview.speakers.values_list("label", flat=True))
        parsed = [(t.label, t.start, t.end) for t in parse_turns(interview.text, labels=labels)]
        stored = Turn.objects.filter(interview=interview).order_by("start")
        assert [(t.speaker.label, t.start, t.end) for t in stored] == parsed


def test_two_to_four_coders_share_passages_but_never_repeat_a_code_on_overlapping_text():
    project = synthesize()
    codings = list(Coding.objects.filter(interview__project=project))
    for interview in project.interviews.all():
        coders = {c.coder_id for c in codings if c.interview_id == interview.pk}
        assert 2 <= len(coders) <= 4
    coders_per_passage = Counter()
    for coding in codings:
        coders_per_passage[coding.interview_id, coding.start, coding.end] += 1
    assert sum(1 for n in coders_per_passage.values() if n >= 2) >= 5
    for a in codings:
        for b in codings:
            if a.pk < b.pk and (a.interview_id, a.coder_id, a.code_id) == (
                b.interview_id,
                b.coder_id,
                b.code_id,
            ):
                assert a.end <= b.start or b.end <= a.start


def test_coders_are_researchers_beside_a_supervisor_and_an_admin_and_some_codings_reviewed():
    project = synthesize()
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {
        **dict.fromkeys(synthetic.CODERS, Membership.Role.RESEARCHER),
        synthetic.SUPERVISOR: Membership.Role.SUPERVISOR,
        synthetic.ADMIN: Membership.Role.ADMIN,
    }
    reviewed = Coding.objects.filter(interview__project=project).exclude(status="pending")
    assert ReviewEvent.objects.filter(coding__in=reviewed).count() == reviewed.count()
    # Sent back with a comment, as the review screen asks: those codings are noted, no other.
    sent_back = reviewed.filter(status=Coding.Status.NEEDS_CHANGE)
    assert sent_back.exists()
    assert not ReviewEvent.objects.filter(coding__in=sent_back, comment="").exists()
    assert set(Coding.objects.filter(interview__project=project, noted=True)) == set(sent_back)


def test_texts_are_french_dialogue_with_guillemets_and_no_break_spaces():
    project = synthesize()
    text = "\n".join(project.interviews.values_list("text", flat=True))
    assert "«\u00a0" in text and "\u00a0»" in text
    assert "Intervieweu" in text
    assert len(set(Interview.objects.values_list("checksum", flat=True))) == 3


def test_allocation_is_uneven_but_adds_up_exactly():
    counts = synthetic.allocate(100_000, 200, seed=1)
    assert sum(counts) == 100_000
    assert min(counts) < 350 < 650 < max(counts)


def relfilenodes(tables) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relname = ANY(%s)", [list(tables)]
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_after_a_load_the_counts_kept_by_triggers_are_written_again_compactly():
    """VACUUM FULL writes each table anew (a new file), its counts unchanged."""
    before = relfilenodes(synthetic.COUNTS)
    project = synthesize()
    after = relfilenodes(synthetic.COUNTS)
    assert len(after) == 4 and all(after[table] != before[table] for table in after)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(pending) FROM coding_pendingcount c"
            " JOIN interviews_interview i ON i.id = c.interview_id WHERE i.project_id = %s",
            [project.pk],
        )
        pending = cursor.fetchone()[0]
    assert pending == Coding.objects.filter(interview__project=project, status="pending").count()
    assert pending > 0
