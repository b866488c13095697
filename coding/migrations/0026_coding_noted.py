"""Whether a coding may have a review comment or a memo (Coding.noted), kept by triggers.

Each excerpt an export writes carries its last review comment and its memos. Most codings have
neither, and the export probed both tables for every row: at L a quarter of one code's CSV
(1.3 ms of its 9.4 in PostgreSQL, docs/benchmarks.md, twenty-seventh round). The flag lets it
probe only the codings that may have one.

It only ever goes from false to true: a review event with a comment, or a memo attached to the
coding (written, changed, or moved to it by a merge), sets it; nothing clears it, not even a save of an
older copy of the coding (`coding_noted_kept`). A memo deleted later leaves a probe that finds
nothing. A review event without a comment (a decision alone, or the return to review a changed
coding makes) leaves it: the last comment an export writes is then empty either way. That also
keeps the flag out of the BEFORE trigger that writes such an event while its coding is being
updated (coding_back_to_review), where updating the coding again is refused. The audit trail
leaves it out, as it leaves out what the database fills.
"""

from django.db import migrations, models

NOTED = r"""
CREATE FUNCTION coding_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coding_coding SET noted = true WHERE id = NEW.coding_id AND NOT noted;
    RETURN NULL;
END $$;

CREATE TRIGGER coding_noted_by_review AFTER INSERT OR UPDATE OF comment, coding_id
    ON coding_reviewevent FOR EACH ROW WHEN (NEW.comment <> '') EXECUTE FUNCTION coding_noted();
CREATE TRIGGER coding_noted_by_memo AFTER INSERT OR UPDATE OF coding_id ON coding_memo
    FOR EACH ROW WHEN (NEW.coding_id IS NOT NULL) EXECUTE FUNCTION coding_noted();

CREATE FUNCTION coding_noted_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.noted := true;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_noted_kept BEFORE UPDATE OF noted ON coding_coding
    FOR EACH ROW WHEN (OLD.noted AND NOT NEW.noted) EXECUTE FUNCTION coding_noted_kept();

-- The audit function of migration 0020, leaving the flag out as it leaves the speaker out.
DO $$
DECLARE
    definition text := pg_get_functiondef('coding_coding_audit()'::regprocedure);
    changed text := replace(definition, '- ''speaker_id''', '- ''speaker_id'' - ''noted''');
BEGIN
    IF changed = definition THEN
        RAISE EXCEPTION 'coding_coding_audit() is not the function of migration coding 0020';
    END IF;
    EXECUTE changed;
END $$;

-- The codings already there, the table's own triggers off: nothing else changes.
ALTER TABLE coding_coding DISABLE TRIGGER USER;
UPDATE coding_coding SET noted = true
 WHERE id IN (SELECT coding_id FROM coding_reviewevent WHERE comment <> ''
              UNION SELECT coding_id FROM coding_memo WHERE coding_id IS NOT NULL);
ALTER TABLE coding_coding ENABLE TRIGGER USER;
"""

NOT_NOTED = r"""
DO $$
BEGIN
    EXECUTE replace(pg_get_functiondef('coding_coding_audit()'::regprocedure),
                    ' - ''noted''', '');
END $$;
DROP TRIGGER coding_noted_kept ON coding_coding;
DROP FUNCTION coding_noted_kept();
DROP TRIGGER coding_noted_by_memo ON coding_memo;
DROP TRIGGER coding_noted_by_review ON coding_reviewevent;
DROP FUNCTION coding_noted();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0025_coding_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="coding",
            name="noted",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunSQL(NOTED, NOT_NOTED),
    ]
