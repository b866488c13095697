"""Each rule of a coding written once, in PostgreSQL, for every write path.

- `coding_apply` (first written in 0006 for the common case only) now applies a code to a passage
  whatever the passage meets: a coder's codings with one code never overlap or touch, so a passage
  that meets some merges with them into one coding (as NVivo does); their memos move to the merged
  coding. The workspace, "code all search results" and scripts all call it; there is no Python copy.
- `coding_back_to_review`: a coding whose code or boundaries change after a review decision is no
  longer what was reviewed, so it returns to the review queue with a history line naming who changed
  it. An undo (verbatim.undo_of set) restores a coding as it was and is left alone: it writes its own
  history line (coding.audit).
"""

import importlib

from django.db import migrations

# Reversing this migration restores 0006's function, which applied the common case only.
OLD_APPLY = importlib.import_module("coding.migrations.0006_apply_in_one_statement").APPLY

APPLY = r"""
DROP FUNCTION coding_apply(bigint, bigint, bigint, bigint, integer, integer);

-- Code [p_start, p_end) of an interview with a code of its project, as one action of p_actor (one
-- Ctrl+Z), or as part of the action p_group when given. One statement, its own transaction when
-- called outside one. Outcomes: 'no code' (not a code of the project: merged, deleted or never),
-- 'created', 'merged' (the passage met the coder's codings with this code, now one), 'already'.
CREATE FUNCTION coding_apply(
    p_actor bigint, p_project bigint, p_interview bigint, p_code bigint, p_start integer,
    p_end integer, p_group bigint DEFAULT NULL
) RETURNS TABLE (coding_id bigint, code_name text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    found_name text;
    touching bigint[];
    low integer;
    high integer;
    kept bigint;
BEGIN
    SELECT name INTO found_name FROM coding_code WHERE id = p_code AND project_id = p_project;
    IF NOT FOUND THEN  -- another project's code answers like a deleted one
        RETURN QUERY SELECT NULL::bigint, NULL::text, 'no code'::text;
        RETURN;
    END IF;
    -- What coding.audit.recorded_as sets, for the audit trigger; the settings and the lock last
    -- until the end of the transaction. Inside PL/pgSQL each statement takes a new snapshot (READ
    -- COMMITTED), so what follows the lock sees every coding a writer committed before releasing it.
    PERFORM set_config('verbatim.actor_id', p_actor::text, true),
            set_config('verbatim.group', coalesce(p_group, nextval('coding_action_group'))::text, true),
            set_config('verbatim.undo_of', '', true),
            pg_advisory_xact_lock(7301, p_interview::int);
    SELECT array_agg(id ORDER BY start, id), min(start), max("end")
      INTO touching, low, high
      FROM (SELECT id, start, "end" FROM coding_coding
             WHERE interview_id = p_interview AND code_id = p_code AND coder_id = p_actor
               AND start <= p_end AND "end" >= p_start
               FOR UPDATE) meeting;
    IF touching IS NULL THEN
        INSERT INTO coding_coding
            (interview_id, code_id, coder_id, start, "end", text, status, created_at, updated_at)
        VALUES (p_interview, p_code, p_actor, p_start, p_end, '', 'pending', now(), now())
        RETURNING id INTO kept;
        RETURN QUERY SELECT kept, found_name, 'created'::text;
        RETURN;
    END IF;
    kept := touching[1];
    IF cardinality(touching) = 1 AND low <= p_start AND high >= p_end THEN
        RETURN QUERY SELECT kept, found_name, 'already'::text;
        RETURN;
    END IF;
    -- The first coding absorbs the others; memos written on them stay with the merged passage.
    UPDATE coding_memo SET coding_id = kept WHERE coding_memo.coding_id = ANY(touching[2:]);
    DELETE FROM coding_reviewevent WHERE coding_reviewevent.coding_id = ANY(touching[2:]);
    DELETE FROM coding_coding WHERE id = ANY(touching[2:]);
    UPDATE coding_coding SET start = least(low, p_start), "end" = greatest(high, p_end),
                             updated_at = now()
     WHERE id = kept;
    RETURN QUERY SELECT kept, found_name, 'merged'::text;
END $$;

-- The same for many passages of one interview, in order, as one action: "code all search results".
CREATE FUNCTION coding_apply_each(
    p_actor bigint, p_project bigint, p_interview bigint, p_code bigint, p_starts integer[],
    p_ends integer[], p_group bigint
) RETURNS TABLE (coding_id bigint, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(p_starts), 0) LOOP
        RETURN QUERY SELECT a.coding_id, a.outcome
          FROM coding_apply(p_actor, p_project, p_interview, p_code, p_starts[i], p_ends[i], p_group) a;
    END LOOP;
END $$;

CREATE FUNCTION coding_back_to_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'pending' AND NEW.status = OLD.status
       AND (NEW.code_id, NEW.start, NEW."end") IS DISTINCT FROM (OLD.code_id, OLD.start, OLD."end")
       AND coalesce(current_setting('verbatim.undo_of', true), '') = '' THEN
        NEW.status := 'pending';
        INSERT INTO coding_reviewevent (coding_id, reviewer_id, status, comment, undo, created_at)
        VALUES (NEW.id,
                coalesce(nullif(current_setting('verbatim.actor_id', true), '')::bigint, NEW.coder_id),
                'pending', '', false, clock_timestamp());
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_back_to_review
    BEFORE UPDATE OF code_id, start, "end" ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_back_to_review();
"""

REVERSE = r"""
DROP TRIGGER coding_back_to_review ON coding_coding;
DROP FUNCTION coding_back_to_review();
DROP FUNCTION coding_apply_each(bigint, bigint, bigint, bigint, integer[], integer[], bigint);
DROP FUNCTION coding_apply(bigint, bigint, bigint, bigint, integer, integer, bigint);
""" + OLD_APPLY


class Migration(migrations.Migration):
    dependencies = [("coding", "0009_undo_keeps_review_history")]

    operations = [migrations.RunSQL(APPLY, REVERSE)]
