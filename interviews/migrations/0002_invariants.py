"""Invariants of transcripts kept by PostgreSQL, so that every write path obeys them."""

from django.db import migrations

SQL = """
CREATE FUNCTION interviews_text_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the text of interview % cannot change: codings point into it', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER interviews_text_immutable
    BEFORE UPDATE OF text ON interviews_interview
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION interviews_text_immutable();

CREATE FUNCTION interviews_turn_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    length integer;
BEGIN
    SELECT text_length INTO length FROM interviews_interview WHERE id = NEW.interview_id;
    IF NEW."end" > length THEN
        RAISE EXCEPTION 'turn [%, %) lies beyond the end of interview % (% characters)',
            NEW.start, NEW."end", NEW.interview_id, length
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.speaker_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM interviews_speaker WHERE id = NEW.speaker_id AND interview_id = NEW.interview_id
    ) THEN
        RAISE EXCEPTION 'speaker % does not belong to interview %', NEW.speaker_id, NEW.interview_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER interviews_turn_check
    BEFORE INSERT OR UPDATE ON interviews_turn
    FOR EACH ROW EXECUTE FUNCTION interviews_turn_check();

CREATE FUNCTION interviews_attribute_value_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM interviews_attribute a JOIN interviews_interview i ON i.project_id = a.project_id
        WHERE a.id = NEW.attribute_id AND i.id = NEW.interview_id
    ) THEN
        RAISE EXCEPTION 'attribute % belongs to another project than interview %',
            NEW.attribute_id, NEW.interview_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER interviews_attribute_value_check
    BEFORE INSERT OR UPDATE ON interviews_attributevalue
    FOR EACH ROW EXECUTE FUNCTION interviews_attribute_value_check();
"""

REVERSE_SQL = """
DROP TRIGGER interviews_attribute_value_check ON interviews_attributevalue;
DROP FUNCTION interviews_attribute_value_check();
DROP TRIGGER interviews_turn_check ON interviews_turn;
DROP FUNCTION interviews_turn_check();
DROP TRIGGER interviews_text_immutable ON interviews_interview;
DROP FUNCTION interviews_text_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("interviews", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
