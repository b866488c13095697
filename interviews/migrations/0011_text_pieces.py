"""Each interview's text kept also in pieces of a thousand characters (`TextPiece`).

The trigger that fills a coding's words and contexts (coding_coding_check, migration coding 0016)
read them with `substr` on the text. PostgreSQL stores a transcript compressed (pglz) and, in
UTF-8, decompresses it from its first character up to the end of the part asked for: 0.5 ms near
the end of a 60,000-character transcript, on every coding applied and every coding a correction
moves. The pieces holding the part are read in 0.02 ms (docs/benchmarks.md, twentieth round);
migration coding 0021 has the trigger read them.

Triggers keep them, whatever stores an interview (the ORM, COPY, raw SQL) or corrects its text;
`interviews_piece_size()` is their length, written once.
"""

import django.db.models.deletion
from django.db import migrations, models

SQL = r"""
CREATE FUNCTION interviews_piece_size() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1000';

-- `whole` as (start, piece) rows, in one pass over its UTF-8 bytes. `substr` on a text counts its
-- characters from the first on every call: cutting a 1,000,000-character text that way took 5 s,
-- this 40 ms (60,000 characters: 21 ms against 2.6). Each piece is read from at most 4 bytes a
-- character, cut back to a character's first byte, then to `size` characters.
CREATE FUNCTION interviews_text_pieces(whole text) RETURNS TABLE (start integer, piece text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    bytes bytea := convert_to(whole, 'UTF8');
    total integer := length(bytes);
    size integer := interviews_piece_size();
    at integer := 0;  -- the next piece's first byte
    stop integer;
BEGIN
    start := 0;
    WHILE at < total LOOP
        stop := least(at + 4 * size, total);
        WHILE stop < total AND get_byte(bytes, stop) & 192 = 128 LOOP  -- 10xxxxxx: inside a character
            stop := stop - 1;
        END LOOP;
        piece := left(convert_from(substring(bytes FROM at + 1 FOR stop - at), 'UTF8'), size);
        RETURN NEXT;
        start := start + size;
        at := at + octet_length(piece);
    END LOOP;
END $$;

-- An interview's pieces, written when it is stored and again when a correction changes its text
-- (the only change a text may have: interviews_text_immutable).
CREATE FUNCTION interviews_pieces_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM interviews_textpiece WHERE interview_id = NEW.id;
    END IF;
    INSERT INTO interviews_textpiece (interview_id, start, text)
    SELECT NEW.id, p.start, p.piece FROM interviews_text_pieces(NEW.text) p;
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_pieces_insert AFTER INSERT ON interviews_interview
    FOR EACH ROW EXECUTE FUNCTION interviews_pieces_write();
CREATE TRIGGER interviews_pieces_update AFTER UPDATE OF text ON interviews_interview
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION interviews_pieces_write();

-- The interviews already there.
INSERT INTO interviews_textpiece (interview_id, start, text)
SELECT i.id, p.start, p.piece FROM interviews_interview i CROSS JOIN LATERAL interviews_text_pieces(i.text) p;
"""

REVERSE_SQL = r"""
DROP TRIGGER interviews_pieces_update ON interviews_interview;
DROP TRIGGER interviews_pieces_insert ON interviews_interview;
DROP FUNCTION interviews_pieces_write();
DROP FUNCTION interviews_text_pieces(text);
DROP FUNCTION interviews_piece_size();
"""


class Migration(migrations.Migration):
    dependencies = [("interviews", "0010_recordings")]

    operations = [
        migrations.CreateModel(
            name="TextPiece",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.PositiveIntegerField()),
                ("text", models.TextField()),
                (
                    "interview",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="interviews.interview",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("interview", "start"), name="textpiece_interview_start"
                    )
                ],
            },
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
