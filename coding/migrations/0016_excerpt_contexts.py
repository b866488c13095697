"""Each coding keeps the context an excerpt shows around it: about 30 words before and after.

Exports, the excerpts page and the review queue cut them from the interview's whole text. At a
thousand interviews one code's CSV read 800 transcripts (43 million characters), and PostgreSQL
spent most of its time decompressing them. Cut when the coding is written, they cost one read of
the characters around it, which the trigger that copies the coded words already makes.

- `excerpt_context_before` / `excerpt_context_after`: the rule, written once. The window is the
  200 characters before the coding's start (after its end); one that does not begin (end) the text
  likely cuts a word, which goes with the spaces next to it. The spaces are spelled out so that
  no-break spaces, which « guillemets » are full of, stay inside words.
- `coding_coding_check` cuts the coded words and both contexts from one read of the text, on
  every insert and every change of a coding's span (corrections move codings: they refresh the
  contexts a change of the text around a coding alters, corrections/services.py).
- The audit trail leaves the contexts out, like the coded words: they are the text's, not the
  coder's, and a refresh of them alone records nothing.
"""

from django.db import migrations, models

import coding.models

SQL = r"""
-- `around` holds the transcript from its character `offset` on; a coding starting at `start`.
CREATE FUNCTION excerpt_context_before(around text, start integer, "offset" integer DEFAULT 0)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN start > 200
                THEN regexp_replace(substr(around, start - 200 - "offset" + 1, 200),
                                    '^[^ \t\n\r]*[ \t\n\r]+', '')
                ELSE substr(around, 1 - "offset", greatest(start, 0)) END  -- start < 0: coding_range_valid refuses it
$$;

-- The same after a coding ending at `end`, in a transcript of `length` characters.
CREATE FUNCTION excerpt_context_after(around text, "end" integer, length integer,
                                      "offset" integer DEFAULT 0)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN "end" + 200 < length
                THEN regexp_replace(substr(around, "end" - "offset" + 1, 200),
                                    '[ \t\n\r]+[^ \t\n\r]*$', '')
                ELSE substr(around, "end" - "offset" + 1, 200) END
$$;

CREATE OR REPLACE FUNCTION coding_coding_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_project bigint;
    found_length integer;
    window_start integer := greatest(NEW.start - 200, 0);
    around text;
BEGIN
    -- Only the characters from the context before to the context after are read (and
    -- decompressed), not the whole transcript.
    SELECT project_id, text_length,
           CASE WHEN NEW."end" > NEW.start
                THEN substr(text, window_start + 1, NEW."end" + 200 - window_start) END
      INTO found_project, found_length, around
      FROM interviews_interview WHERE id = NEW.interview_id;
    IF NEW."end" > found_length THEN
        RAISE EXCEPTION 'coding [%, %) lies beyond the end of the interview (% characters)',
            NEW.start, NEW."end", found_length
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coding_code WHERE id = NEW.code_id AND project_id = found_project) THEN
        RAISE EXCEPTION 'code % belongs to another project than interview %', NEW.code_id, NEW.interview_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF around IS NOT NULL THEN  -- else the check constraint coding_range_valid refuses the row
        NEW.text := substr(around, NEW.start - window_start + 1, NEW."end" - NEW.start);
        NEW.context_before := excerpt_context_before(around, NEW.start, window_start);
        NEW.context_after := excerpt_context_after(around, NEW."end", found_length, window_start);
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION coding_coding_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor bigint := nullif(current_setting('verbatim.actor_id', true), '')::bigint;
    action_group bigint := nullif(current_setting('verbatim.group', true), '')::bigint;
    undo_of bigint := nullif(current_setting('verbatim.undo_of', true), '')::bigint;
    row_after jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL
                            ELSE to_jsonb(NEW) - 'text' - 'context_before' - 'context_after' END;
    row_before jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL
                             ELSE to_jsonb(OLD) - 'text' - 'context_before' - 'context_after' END;
    target_interview bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.interview_id ELSE NEW.interview_id END;
BEGIN
    IF TG_OP = 'UPDATE' AND row_before - 'updated_at' = row_after - 'updated_at' THEN
        RETURN NULL;  -- nothing but the timestamp (or what the text says around it) changed
    END IF;
    INSERT INTO coding_codingevent
        (coding_id, project_id, interview_id, actor_id, action, before, after, at, "group", undo_of)
    SELECT coalesce(NEW.id, OLD.id), i.project_id, i.id,
           CASE WHEN TG_OP = 'INSERT' THEN coalesce(actor, NEW.coder_id) ELSE actor END,
           CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
           row_before, row_after, now(), action_group, undo_of
    FROM interviews_interview i WHERE i.id = target_interview;
    RETURN NULL;
END $$;

-- The codings already there, one interview at a time, its text decompressed once (a
-- concatenation makes a plain value; the column's would be decompressed again for every call).
DO $$
DECLARE
    interview record;
    whole text;
BEGIN
    FOR interview IN SELECT id, text, text_length FROM interviews_interview
                      WHERE id IN (SELECT interview_id FROM coding_coding) LOOP
        whole := interview.text || '';
        UPDATE coding_coding
           SET context_before = excerpt_context_before(whole, start),
               context_after = excerpt_context_after(whole, "end", interview.text_length)
         WHERE interview_id = interview.id;
    END LOOP;
END $$;
"""

# The functions of migrations 0014 (the check) and 0003 (the audit), for going back.
REVERSE_SQL = r"""
CREATE OR REPLACE FUNCTION coding_coding_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_project bigint;
    found_length integer;
    coded text;
BEGIN
    SELECT project_id, text_length,
           CASE WHEN NEW."end" > NEW.start
                THEN substr(text, NEW.start + 1, NEW."end" - NEW.start) END
      INTO found_project, found_length, coded
      FROM interviews_interview WHERE id = NEW.interview_id;
    IF NEW."end" > found_length THEN
        RAISE EXCEPTION 'coding [%, %) lies beyond the end of the interview (% characters)',
            NEW.start, NEW."end", found_length
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coding_code WHERE id = NEW.code_id AND project_id = found_project) THEN
        RAISE EXCEPTION 'code % belongs to another project than interview %', NEW.code_id, NEW.interview_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF coded IS NOT NULL THEN
        NEW.text := coded;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION coding_coding_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor bigint := nullif(current_setting('verbatim.actor_id', true), '')::bigint;
    action_group bigint := nullif(current_setting('verbatim.group', true), '')::bigint;
    undo_of bigint := nullif(current_setting('verbatim.undo_of', true), '')::bigint;
    row_after jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - 'text' END;
    row_before jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - 'text' END;
    target_interview bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.interview_id ELSE NEW.interview_id END;
BEGIN
    IF TG_OP = 'UPDATE' AND row_before - 'updated_at' = row_after - 'updated_at' THEN
        RETURN NULL;
    END IF;
    INSERT INTO coding_codingevent
        (coding_id, project_id, interview_id, actor_id, action, before, after, at, "group", undo_of)
    SELECT coalesce(NEW.id, OLD.id), i.project_id, i.id,
           CASE WHEN TG_OP = 'INSERT' THEN coalesce(actor, NEW.coder_id) ELSE actor END,
           CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
           row_before, row_after, now(), action_group, undo_of
    FROM interviews_interview i WHERE i.id = target_interview;
    RETURN NULL;
END $$;

DROP FUNCTION excerpt_context_before(text, integer, integer);
DROP FUNCTION excerpt_context_after(text, integer, integer, integer);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0015_pending_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="coding",
            name="context_before",
            field=coding.models.DatabaseFilledTextField(
                blank=True, db_default="", editable=False, verbose_name="context before"
            ),
        ),
        migrations.AddField(
            model_name="coding",
            name="context_after",
            field=coding.models.DatabaseFilledTextField(
                blank=True, db_default="", editable=False, verbose_name="context after"
            ),
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
