"""The trigger that fills a coding's words and contexts reads the interview's text pieces
(interviews.TextPiece, migration interviews 0011) rather than the compressed text itself, which
PostgreSQL decompressed from its start on every insert and move (0.5 ms near the end of a
60,000-character transcript). The function of migration 0016 is changed by that one read, and
changed back going back, so that its forty lines are not written again here.
"""

from django.db import migrations

FROM_TEXT = """\
    -- Only the characters from the context before to the context after are read (and
    -- decompressed), not the whole transcript.
    SELECT project_id, text_length,
           CASE WHEN NEW."end" > NEW.start
                THEN substr(text, window_start + 1, NEW."end" + 200 - window_start) END
      INTO found_project, found_length, around
      FROM interviews_interview WHERE id = NEW.interview_id;
"""

FROM_PIECES = """\
    -- The characters from the context before to the context after, from the pieces that hold
    -- them (interviews.TextPiece): the text itself would be decompressed from its start.
    SELECT project_id, text_length INTO found_project, found_length
      FROM interviews_interview WHERE id = NEW.interview_id;
    IF NEW."end" > NEW.start THEN
        SELECT substr(string_agg(p.text, '' ORDER BY p.start), window_start - min(p.start) + 1,
                      NEW."end" + 200 - window_start)
          INTO around
          FROM interviews_textpiece p
         WHERE p.interview_id = NEW.interview_id
           AND p.start > window_start - interviews_piece_size() AND p.start < NEW."end" + 200;
        IF around IS NULL AND NEW."end" <= found_length THEN
            RAISE EXCEPTION 'interview % has no text pieces', NEW.interview_id;
        END IF;
    END IF;
"""


def _swap(old: str, new: str) -> str:
    """The DO block that replaces `old` by `new` in coding_coding_check(), refusing a function
    that does not hold `old` (another migration's, or one changed by hand)."""
    quoted_old, quoted_new = (text.replace("'", "''") for text in (old, new))
    return f"""
DO $$
DECLARE
    definition text := pg_get_functiondef('coding_coding_check()'::regprocedure);
    changed text := replace(definition, '{quoted_old}', '{quoted_new}');
BEGIN
    IF changed = definition THEN
        RAISE EXCEPTION 'coding_coding_check() is not the function this migration expects';
    END IF;
    EXECUTE changed;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0020_coding_speaker"),
        ("interviews", "0011_text_pieces"),
    ]

    operations = [migrations.RunSQL(_swap(FROM_TEXT, FROM_PIECES), _swap(FROM_PIECES, FROM_TEXT))]
