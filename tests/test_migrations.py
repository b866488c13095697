"""Migrating an existing database in place: what was stored before a change of structure is still
there after it, and the rules still hold (the search index moved to its own app; the rules of a
coding moved into PostgreSQL)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import contexts_of

pytestmark = pytest.mark.django_db(transaction=True)

# The schema as it was before the search index became an app and the apply rule one function.
BEFORE = [("interviews", "0006_search_ligatures"), ("coding", "0009_undo_keeps_review_history")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def stored_before(old, text: str, code_name: str):
    """An interview of `text` in a new project, and a code of that project, as the historical
    models `old` store them: (interview, code)."""
    project = old.get_model("interviews", "Project").objects.create(name="Avant")
    interview = old.get_model("interviews", "Interview").objects.create(
        project=project, title="Entretien", text=text, checksum="x"
    )
    code = old.get_model("coding", "Code").objects.create(project=project, name=code_name)
    return interview, code


def test_an_existing_database_migrates_in_place_with_its_data(django_user_model):
    old = migrate(BEFORE)
    user = django_user_model.objects.create(username="rita")
    interview, code = stored_before(old, "Le banc du parc, pis le café.", "Banc")
    old.get_model("coding", "Coding").objects.create(
        interview=interview, code=code, coder_id=user.pk, start=3, end=7, status="approved"
    )
    segments = old.get_model("interviews", "SearchSegment").objects.filter(interview=interview)
    before = list(segments.values_list("start", "end", "text"))
    assert before

    try:
        new = migrate(latest())
        moved = new.get_model("search", "SearchSegment").objects.filter(interview_id=interview.pk)
        assert list(moved.values_list("start", "end", "text")) == before
        coding = new.get_model("coding", "Coding").objects.get(interview_id=interview.pk)
        assert (coding.start, coding.end, coding.text, coding.status) == (3, 7, "banc", "approved")
        # The one apply rule runs on the old data: the new passage touches the old coding and merges.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT outcome FROM coding_apply(%s, %s, %s, %s, 7, 12)",
                [user.pk, interview.project_id, interview.pk, code.pk],
            )
            assert cursor.fetchone() == ("merged",)
        coding.refresh_from_db()
        assert (coding.start, coding.end, coding.text) == (3, 12, "banc du p")
        assert coding.status == "pending"  # changed after approval: back to review
    finally:
        migrate(latest())


def test_codings_made_before_their_contexts_were_stored_get_them(django_user_model):
    old = migrate([("coding", "0015_pending_index")])
    user = django_user_model.objects.create(username="rita")
    text = "Martine : " + " ".join(f"«\u00a0mot{n}\u00a0» 🤝🏽" for n in range(80))
    interview, code = stored_before(old, text, "Mot")
    spans = [(0, 7), (400, 420), (len(text) - 5, len(text))]
    for start, end in spans:
        old.get_model("coding", "Coding").objects.create(
            interview=interview, code=code, coder_id=user.pk, start=start, end=end
        )

    try:
        new = migrate(latest())
        codings = new.get_model("coding", "Coding").objects.filter(interview_id=interview.pk)
        stored = codings.order_by("start").values_list("context_before", "context_after")
        assert list(stored) == [contexts_of(text, start, end) for start, end in spans]
    finally:
        migrate(latest())


def audit_function() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('coding_coding_audit()'::regprocedure)")
        return cursor.fetchone()[0]


def test_codings_made_before_their_speaker_was_stored_get_it(django_user_model):
    old = migrate([("coding", "0019_latest_review_index")])
    assert "speaker_id" not in audit_function()  # going back restored migration 0016's
    user = django_user_model.objects.create(username="rita")
    text = "Intervieweuse : Et là ?\n\nMartine : Le banc du parc, pis le café."
    interview, code = stored_before(old, text, "Banc")
    speaker = old.get_model("interviews", "Speaker").objects.create(
        interview=interview, label="Martine", name="Martine"
    )
    old.get_model("interviews", "Turn").objects.create(
        interview=interview, speaker=speaker, start=text.index("Le banc"), end=len(text)
    )
    for words in ("Et là", "banc", "café"):
        start = text.index(words)
        old.get_model("coding", "Coding").objects.create(
            interview=interview, code=code, coder_id=user.pk, start=start, end=start + len(words)
        )

    try:
        new = migrate(latest())
        codings = new.get_model("coding", "Coding").objects.filter(interview_id=interview.pk)
        assert list(codings.order_by("start").values_list("text", "speaker_id")) == [
            ("Et là", None),  # no turn there
            ("banc", speaker.pk),
            ("café", speaker.pk),
        ]
        events = new.get_model("coding", "CodingEvent").objects.filter(interview_id=interview.pk)
        assert events.filter(action="update").count() == 0  # the backfill records nothing
        assert audit_function().count("- 'context_after' - 'speaker_id'") == 2
    finally:
        migrate(latest())


def check_function() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('coding_coding_check()'::regprocedure)")
        return cursor.fetchone()[0]


def test_interviews_stored_before_their_text_pieces_get_them(django_user_model):
    old = migrate([("coding", "0020_coding_speaker"), ("interviews", "0010_recordings")])
    # Going back gave the check its read of the text itself again.
    assert "interviews_textpiece" not in check_function()
    assert "substr(text, window_start + 1" in check_function()
    user = django_user_model.objects.create(username="rita")
    text = "Martine : " + " ".join(f"«\u00a0mot{n}\u00a0» 🤝🏽\r\n" for n in range(300))
    interview, code = stored_before(old, text, "Mot")
    before = old.get_model("coding", "Coding").objects.create(
        interview=interview, code=code, coder_id=user.pk, start=990, end=1010
    )

    try:
        new = migrate(latest())
        assert "interviews_textpiece" in check_function()
        rows = new.get_model("interviews", "TextPiece").objects.filter(interview_id=interview.pk)
        assert "".join(rows.order_by("start").values_list("text", flat=True)) == text
        assert rows.count() == len(text) // 1000 + 1
        codings = new.get_model("coding", "Coding").objects
        after = codings.create(
            interview_id=interview.pk, code_id=code.pk, coder_id=user.pk, start=1995, end=2030
        )
        for coding in (codings.get(pk=before.pk), codings.get(pk=after.pk)):
            assert coding.text == text[coding.start : coding.end]
            assert (coding.context_before, coding.context_after) == contexts_of(
                text, coding.start, coding.end
            )
    finally:
        migrate(latest())
