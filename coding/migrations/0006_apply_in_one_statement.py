from django.db import migrations

# Applying a code is the workspace's hottest write. Through the ORM it took five round trips
# (BEGIN, the actor and lock, the check for touching codings, INSERT, COMMIT) and as much time
# compiling them as PostgreSQL spent running them. This function does the common case in one
# statement, which is its own transaction when called outside one: a passage that meets none of the
# coder's codings with this code becomes a new coding. Anything else ("touching": the coding must
# merge with others) is left to coding.workspace.apply_code, which the caller then runs.
#
# Inside PL/pgSQL each statement takes a new snapshot (READ COMMITTED), so the check that follows
# the interview's lock sees every coding a writer committed before releasing it: the same guarantee
# as coding.audit.recorded_as followed by a query.
APPLY = r"""
CREATE FUNCTION coding_apply(
    p_actor bigint, p_project bigint, p_interview bigint, p_code bigint, p_start integer, p_end integer
) RETURNS TABLE (new_coding_id bigint, code_name text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    found_name text;
    created bigint;
BEGIN
    SELECT name INTO found_name FROM coding_code WHERE id = p_code AND project_id = p_project;
    IF NOT FOUND THEN  -- another project's code answers like a deleted one
        RETURN QUERY SELECT NULL::bigint, NULL::text, 'no code'::text;
        RETURN;
    END IF;
    -- What coding.audit.recorded_as sets, for the audit trigger; the settings and the lock last
    -- until the end of the transaction.
    PERFORM set_config('verbatim.actor_id', p_actor::text, true),
            set_config('verbatim.group', nextval('coding_action_group')::text, true),
            set_config('verbatim.undo_of', '', true),
            pg_advisory_xact_lock(7301, p_interview::int);
    IF EXISTS (
        SELECT 1 FROM coding_coding
         WHERE interview_id = p_interview AND code_id = p_code AND coder_id = p_actor
           AND start <= p_end AND "end" >= p_start
    ) THEN
        RETURN QUERY SELECT NULL::bigint, found_name, 'touching'::text;
        RETURN;
    END IF;
    INSERT INTO coding_coding
        (interview_id, code_id, coder_id, start, "end", text, status, created_at, updated_at)
    VALUES (p_interview, p_code, p_actor, p_start, p_end, '', 'pending', now(), now())
    RETURNING id INTO created;
    RETURN QUERY SELECT created, found_name, 'created'::text;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("coding", "0005_review_queue_and_code_moves")]

    operations = [
        migrations.RunSQL(
            APPLY, "DROP FUNCTION coding_apply(bigint, bigint, bigint, bigint, integer, integer);"
        )
    ]
