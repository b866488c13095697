"""Each interview's text is kept in pieces of a thousand characters too (interviews.TextPiece,
migration interviews 0011), kept by triggers whatever stores or corrects it; the codings' words
and contexts are cut from them (migration coding 0021), exactly where a selection lands, at a
piece's edge as anywhere."""

import pytest
from django.db import DatabaseError, connection

from coding.models import Coding
from corrections import services
from interviews.models import Interview, TextPiece, text_checksum
from tests.factories import (
    assert_contexts_follow_the_text,
    contexts_of,
    make_code,
    make_coding,
    make_interview,
)

pytestmark = pytest.mark.django_db

SIZE = 1000

# Hard characters on each side of the pieces' edges (999 | 1000, 1999 | 2000): an emoji of
# several code points, a combining accent, CRLF, no-break spaces in « guillemets ».
HARD = "Intervieweuse : Et là ?\r\n\r\nMartine : " + "".join(
    f"mot{n} «\u00a0cafe\u0301\u00a0» 👩\u200d👩\u200d👧 🤝🏽\r\n" for n in range(120)
)


def pieces(interview_id: int) -> list[tuple[int, str]]:
    rows = TextPiece.objects.filter(interview_id=interview_id).order_by("start")
    return list(rows.values_list("start", "text"))


def assert_pieces_are_the_text(interview_id: int) -> None:
    text = Interview.objects.get(pk=interview_id).text
    found = pieces(interview_id)
    assert [start for start, _ in found] == list(range(0, len(text), SIZE))
    assert "".join(piece for _, piece in found) == text
    assert all(len(piece) == SIZE for _, piece in found[:-1])


def test_the_pieces_are_the_text_whatever_stores_it(project):
    assert len(HARD) > 3 * SIZE
    by_model = make_interview(project, HARD, title="Modèle")
    several = Interview.objects.bulk_create(
        Interview(project=project, title=title, text=text, checksum=text_checksum(text))
        for title, text in [
            ("Court", "Martine : oui."),
            ("Vide", ""),
            ("Long", HARD * 2),
            # Characters of 1 to 4 bytes, so that a piece's bytes end inside a character.
            ("Euros", "€" * 2500),
            ("Emoji", "👩" * 2100 + "."),
            ("Ascii", "a" * 2001 + "é"),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO interviews_interview (project_id, title, participant, language,"
            " source_name, source_format, text, checksum, word_count, created_at)"
            " VALUES (%s, 'SQL', '', 'fr', '', 'txt', %s, 'x', 0, now()) RETURNING id",
            [project.pk, HARD[: 2 * SIZE]],
        )
        (by_sql,) = cursor.fetchone()
    for pk in [by_model.pk, *(i.pk for i in several), by_sql]:
        assert_pieces_are_the_text(pk)
    assert pieces(several[1].pk) == []
    assert len(pieces(by_sql)) == 2  # exactly two thousand characters: no empty third


def test_codings_at_the_pieces_edges_get_exactly_their_words_and_contexts(project, rita):
    interview = make_interview(project, HARD, title="Bords")
    code = make_code(project, "Partout")
    spans = [(start, start + 7) for start in range(SIZE - 12, SIZE + 6)]
    spans += [(2 * SIZE - 3, 2 * SIZE + 3), (SIZE - 1, 2 * SIZE + 1), (0, len(HARD))]
    spans += [(len(HARD) - 9, len(HARD)), (0, 1), (SIZE, SIZE + 1), (SIZE - 201, SIZE - 200)]
    for start, end in spans:
        coding = make_coding(interview, code, rita, start, end)
        assert coding.text == HARD[start:end], (start, end)
        assert (coding.context_before, coding.context_after) == contexts_of(HARD, start, end)
    assert_contexts_follow_the_text(interview)


def test_a_correction_cuts_the_pieces_again_and_the_codings_follow(project, rita, sam):
    interview = make_interview(project, HARD, title="Corrigé")
    code = make_code(project, "Café")
    for word in ("mot30", "mot60", "mot100"):
        start = HARD.index(f"{word} ")
        make_coding(interview, code, rita, start, start + len(word))
    # A word inserted before them all: every piece after it changes, every coding moves.
    text = HARD.replace("Et là ?", "Et là, dites-moi ?", 1)
    services.correct(interview, sam, text, reason="ajout", expected_version=1)
    assert_pieces_are_the_text(interview.pk)
    moved = Coding.objects.filter(interview=interview).order_by("start")
    assert [c.text for c in moved] == ["mot30", "mot60", "mot100"]
    stored = Interview.objects.get(pk=interview.pk).text
    assert "dites-moi" in stored
    assert all(stored[c.start : c.end] == c.text for c in moved)
    assert_contexts_follow_the_text(interview)


def test_deleting_an_interview_deletes_its_pieces(project):
    interview = make_interview(project, HARD, title="Effacé")
    other = make_interview(project, HARD + " autre", title="Gardé")
    interview.delete()
    assert pieces(interview.pk) == []
    assert_pieces_are_the_text(other.pk)


def test_a_coding_in_an_interview_without_pieces_is_refused_not_left_empty(project, rita):
    interview = make_interview(project, HARD, title="Sans morceaux")
    TextPiece.objects.filter(interview=interview).delete()
    with pytest.raises(DatabaseError, match="has no text pieces"):
        make_coding(interview, make_code(project), rita, 10, 20)
