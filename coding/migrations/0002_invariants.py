"""Invariants of the codebook and of codings kept by PostgreSQL, and the codings' audit trail.

Triggers rather than Python checks, so that bulk loads, raw SQL and every view obey the same rules.
"""

from django.db import migrations

SQL = r"""
-- A code's parent is in the same project, and the codebook stays a tree.
CREATE FUNCTION coding_code_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coding_code WHERE id = NEW.parent_id AND project_id = NEW.project_id) THEN
        RAISE EXCEPTION 'the parent of code "%" belongs to another project', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (
        WITH RECURSIVE ancestors(id, parent_id) AS (
            SELECT id, parent_id FROM coding_code WHERE id = NEW.parent_id
            UNION
            SELECT c.id, c.parent_id FROM coding_code c JOIN ancestors a ON c.id = a.parent_id
        )
        SELECT 1 FROM ancestors WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'code "%" cannot be moved under itself or one of its sub-codes', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_code_check
    BEFORE INSERT OR UPDATE OF parent_id, project_id ON coding_code
    FOR EACH ROW EXECUTE FUNCTION coding_code_check();

-- A coding lies inside its interview's text, uses a code of the same project, and keeps a snapshot
-- of the exact characters it covers (substr counts code points on a UTF-8 database, like Python).
CREATE FUNCTION coding_coding_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    interview record;
BEGIN
    SELECT project_id, text_length, text INTO interview
        FROM interviews_interview WHERE id = NEW.interview_id;
    IF NEW."end" > interview.text_length THEN
        RAISE EXCEPTION 'coding [%, %) lies beyond the end of the interview (% characters)',
            NEW.start, NEW."end", interview.text_length
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coding_code WHERE id = NEW.code_id AND project_id = interview.project_id) THEN
        RAISE EXCEPTION 'code % belongs to another project than interview %', NEW.code_id, NEW.interview_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."end" > NEW.start THEN  -- else the check constraint coding_range_valid refuses the row
        NEW.text := substr(interview.text, NEW.start + 1, NEW."end" - NEW.start);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_coding_check
    BEFORE INSERT OR UPDATE OF start, "end", interview_id, code_id ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_coding_check();

-- Who did what to which coding, and when. The actor is set per transaction by coding.audit.
CREATE FUNCTION coding_coding_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor bigint := nullif(current_setting('verbatim.actor_id', true), '')::bigint;
    row_after jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - 'text' END;
    row_before jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - 'text' END;
    target_interview bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.interview_id ELSE NEW.interview_id END;
BEGIN
    IF TG_OP = 'UPDATE' AND row_before - 'updated_at' = row_after - 'updated_at' THEN
        RETURN NULL;  -- nothing but the timestamp changed
    END IF;
    INSERT INTO coding_codingevent (coding_id, project_id, actor_id, action, before, after, at)
    SELECT coalesce(NEW.id, OLD.id), i.project_id,
           CASE WHEN TG_OP = 'INSERT' THEN coalesce(actor, NEW.coder_id) ELSE actor END,
           CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
           row_before, row_after, now()
    FROM interviews_interview i WHERE i.id = target_interview;
    RETURN NULL;
END $$;

CREATE TRIGGER coding_coding_audit
    AFTER INSERT OR UPDATE OR DELETE ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_coding_audit();

-- A memo's interview, code or coding belongs to the memo's project.
CREATE FUNCTION coding_memo_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.interview_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM interviews_interview WHERE id = NEW.interview_id AND project_id = NEW.project_id))
       OR (NEW.code_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM coding_code WHERE id = NEW.code_id AND project_id = NEW.project_id))
       OR (NEW.coding_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM coding_coding c JOIN interviews_interview i ON i.id = c.interview_id
            WHERE c.id = NEW.coding_id AND i.project_id = NEW.project_id))
    THEN
        RAISE EXCEPTION 'a memo can only be attached to something of its own project'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_memo_check
    BEFORE INSERT OR UPDATE ON coding_memo
    FOR EACH ROW EXECUTE FUNCTION coding_memo_check();
"""

REVERSE_SQL = """
DROP TRIGGER coding_memo_check ON coding_memo;
DROP FUNCTION coding_memo_check();
DROP TRIGGER coding_coding_audit ON coding_coding;
DROP FUNCTION coding_coding_audit();
DROP TRIGGER coding_coding_check ON coding_coding;
DROP FUNCTION coding_coding_check();
DROP TRIGGER coding_code_check ON coding_code;
DROP FUNCTION coding_code_check();
"""


class Migration(migrations.Migration):
    dependencies = [("coding", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
