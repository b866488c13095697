"""The counts kept by triggers (pending per interview, per code and interview, per code, per coder
and interview: migrations 0018, 0022–0024) move once per statement when codings come or go,
rather than once per coding.

A row trigger wrote a new version of each count row for every coding inserted or deleted. In one
transaction none of those versions can be pruned before the commit, and each update finds its row
past all the versions before it: inserting 32,000 codings into 20 interviews in one statement took
226 µs a coding, against 119 for 2,000 and 70 with no count trigger (docs/benchmarks.md,
twenty-eighth round). An import is one transaction. Here one statement-level trigger per event
reads the statement's codings (its transition table) and moves each count row once, by how many
codings it gained or lost. A single coding's statement (an apply, a removal) pays one function
call where it paid three.

The rows are written in the order the row triggers wrote them, which the updates' row triggers
(unchanged: a coding moved, a status changed) still follow: the counts per code and interview,
then the codes' totals, then the coders' counts, then the pending counts; the rows of new codings in
key order within a table, so that two imports never wait on each other crosswise. A deleted coding
still only lowers a row that exists.
"""

from django.db import migrations

PER_STATEMENT = r"""
CREATE FUNCTION coding_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A statement trigger fires for a statement that wrote nothing too (a merge deletes none).
    IF NOT EXISTS (SELECT FROM new_codings) THEN
        RETURN NULL;
    END IF;
    INSERT INTO coding_codecount AS c (code_id, interview_id, codings)
    SELECT code_id, interview_id, count(*) FROM new_codings
     GROUP BY code_id, interview_id ORDER BY code_id, interview_id
    ON CONFLICT (code_id, interview_id) DO UPDATE SET codings = c.codings + excluded.codings;
    INSERT INTO coding_codetotal AS t (code_id, codings)
    SELECT code_id, count(*) FROM new_codings GROUP BY code_id ORDER BY code_id
    ON CONFLICT (code_id) DO UPDATE SET codings = t.codings + excluded.codings;
    INSERT INTO coding_codercount AS c (interview_id, coder_id, codings)
    SELECT interview_id, coder_id, count(*) FROM new_codings
     GROUP BY interview_id, coder_id ORDER BY interview_id, coder_id
    ON CONFLICT (interview_id, coder_id) DO UPDATE SET codings = c.codings + excluded.codings;
    INSERT INTO coding_pendingcount AS c (interview_id, pending)
    SELECT interview_id, count(*) FROM new_codings WHERE status = 'pending'
     GROUP BY interview_id ORDER BY interview_id
    ON CONFLICT (interview_id) DO UPDATE SET pending = c.pending + excluded.pending;
    RETURN NULL;
END $$;

CREATE FUNCTION coding_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM old_codings) THEN
        RETURN NULL;
    END IF;
    UPDATE coding_codecount c SET codings = c.codings - gone.codings
      FROM (SELECT code_id, interview_id, count(*) AS codings FROM old_codings
             GROUP BY code_id, interview_id) gone
     WHERE c.code_id = gone.code_id AND c.interview_id = gone.interview_id;
    UPDATE coding_codetotal t SET codings = t.codings - gone.codings
      FROM (SELECT code_id, count(*) AS codings FROM old_codings
             GROUP BY code_id) gone
     WHERE t.code_id = gone.code_id;
    UPDATE coding_codercount c SET codings = c.codings - gone.codings
      FROM (SELECT interview_id, coder_id, count(*) AS codings FROM old_codings
             GROUP BY interview_id, coder_id) gone
     WHERE c.interview_id = gone.interview_id AND c.coder_id = gone.coder_id;
    UPDATE coding_pendingcount c SET pending = c.pending - gone.pending
      FROM (SELECT interview_id, count(*) AS pending FROM old_codings WHERE status = 'pending'
             GROUP BY interview_id) gone
     WHERE c.interview_id = gone.interview_id;
    RETURN NULL;
END $$;

DROP TRIGGER coding_code_count_insert ON coding_coding;
DROP TRIGGER coding_code_count_delete ON coding_coding;
DROP TRIGGER coding_coder_count_insert ON coding_coding;
DROP TRIGGER coding_coder_count_delete ON coding_coding;
DROP TRIGGER coding_pending_insert ON coding_coding;
DROP TRIGGER coding_pending_delete ON coding_coding;

CREATE TRIGGER coding_counts_insert AFTER INSERT ON coding_coding
    REFERENCING NEW TABLE AS new_codings
    FOR EACH STATEMENT EXECUTE FUNCTION coding_counts_inserted();
CREATE TRIGGER coding_counts_delete AFTER DELETE ON coding_coding
    REFERENCING OLD TABLE AS old_codings
    FOR EACH STATEMENT EXECUTE FUNCTION coding_counts_deleted();
"""

PER_ROW = r"""
DROP TRIGGER coding_counts_delete ON coding_coding;
DROP TRIGGER coding_counts_insert ON coding_coding;
DROP FUNCTION coding_counts_deleted();
DROP FUNCTION coding_counts_inserted();

CREATE TRIGGER coding_code_count_insert AFTER INSERT ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_code_count();
CREATE TRIGGER coding_code_count_delete AFTER DELETE ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_code_count();
CREATE TRIGGER coding_coder_count_insert AFTER INSERT ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_coder_count();
CREATE TRIGGER coding_coder_count_delete AFTER DELETE ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_coder_count();
CREATE TRIGGER coding_pending_insert AFTER INSERT ON coding_coding
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION coding_pending_count();
CREATE TRIGGER coding_pending_delete AFTER DELETE ON coding_coding
    FOR EACH ROW WHEN (OLD.status = 'pending') EXECUTE FUNCTION coding_pending_count();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0026_coding_noted"),
    ]

    operations = [migrations.RunSQL(PER_STATEMENT, PER_ROW)]
