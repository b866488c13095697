"""Each coding carries the context excerpts show around it (migration coding 0016): cut by the
database whenever a coding is written or moved, on the text's code points, whatever wrote it."""

import pytest
from django.db import connection

from coding.models import Coding, CodingEvent
from tests.factories import (
    assert_contexts_follow_the_text,
    contexts_of,
    insert_coding_sql,
    make_code,
    make_coding,
    make_interview,
)

pytestmark = pytest.mark.django_db

# Everything a window can cut through: no-break spaces inside « guillemets », an emoji of several
# code points (a skin tone, a joiner), a combining accent, CRLF and tabs, and a run with no space.
HARD = (
    "Intervieweuse : Et là ?\r\n\r\nMartine : "
    + "On dit «\u00a0bonjour\u00a0», pis on attend 🤝🏽 👩\u200d👩\u200d👧. " * 9
    + "Des fois\tça prend des semaines, cafe\u0301 en main.\r\nPis là, il parle. " * 7
    + "sans-espace-" * 30
    + " fin."
)


def test_every_coding_carries_the_contexts_of_its_place_in_a_hard_text(project, rita):
    interview = make_interview(project, HARD, title="Difficile")
    code = make_code(project, "Partout")
    spans = [(start, start + 11) for start in range(3, len(HARD) - 12, 23)]
    spans += [(0, 1), (len(HARD) - 1, len(HARD)), (len(HARD) - 250, len(HARD) - 199)]
    for start, end in spans:
        coding = make_coding(interview, code, rita, start, end)
        # Returned by the insert itself: what a view sees without reading the row again.
        assert (coding.context_before, coding.context_after) == contexts_of(HARD, start, end)
    assert_contexts_follow_the_text(interview)
    near_start = Coding.objects.get(interview=interview, start=0)
    assert near_start.context_before == ""
    far = Coding.objects.filter(interview=interview, start__gt=400, end__lt=len(HARD) - 400)
    assert far.exists()
    for coding in far:  # cut at a space: no word begun or ended halfway
        assert HARD[coding.start - len(coding.context_before) - 1] in " \t\r\n"
        assert HARD[coding.end + len(coding.context_after)] in " \t\r\n"


def test_a_window_without_a_space_keeps_what_it_holds(project, rita):
    text = "x" * 300 + " milieu " + "y" * 300
    interview = make_interview(project, text, title="Sans espace")
    coding = make_coding(interview, make_code(project), rita, 300, 308)
    assert coding.context_before == "x" * 200 and coding.context_after == "y" * 200


def test_a_coding_written_in_plain_sql_gets_its_contexts_too(project, interview, code, rita):
    start = interview.text.index("banc")
    coding = Coding.objects.get(pk=insert_coding_sql(interview, code, rita, start, start + 4))
    assert coding.context_before.endswith("sur le même ")
    assert (coding.context_before, coding.context_after) == contexts_of(
        interview.text, start, start + 4
    )


def test_a_moved_coding_gets_the_contexts_of_its_new_place(project, interview, code, rita):
    coding = make_coding(interview, code, rita, *_at(interview.text, "banc"))
    Coding.objects.filter(pk=coding.pk).update(
        start=interview.text.index("café"), end=interview.text.index("café") + 4
    )
    coding.refresh_from_db()
    assert coding.text == "café"
    assert coding.context_after.startswith(", « juste un café »")
    assert_contexts_follow_the_text(interview)


def test_the_audit_trail_leaves_the_contexts_out(project, interview, code, rita):
    coding = make_coding(interview, code, rita, *_at(interview.text, "banc"))
    created = CodingEvent.objects.get(coding_id=coding.pk)
    assert "context_before" not in created.after and "text" not in created.after
    # Cutting them again (what a correction around a coding does) records nothing.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE coding_coding SET start = start WHERE id = %s", [coding.pk])
    assert CodingEvent.objects.filter(coding_id=coding.pk).count() == 1


def _at(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)
