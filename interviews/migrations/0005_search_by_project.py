"""The search index knows each line's project (interviews/search.py).

Until now the GIN index answered "which lines of the whole database hold this word", and the project
was filtered afterwards, line by line: a search in a 200-interview project read every other
project's hits too (30,000 heap rows for 2,000 in the project, with a 2,000-interview project in the
same database). Each vector now also holds one lexeme naming its project, `'project 12'`, and a
search asks for it with `&`: GIN intersects the two posting lists and the heap sees only the
project's hits. No parser ever produces that lexeme from text (it holds a space), so no query typed
by a user can match it. (btree_gin would allow a (project, vector) index, but the embedded
PostgreSQL does not ship it.)
"""

from django.db import migrations

SQL = """
CREATE FUNCTION verbatim_project_lexeme(project bigint) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT array_to_tsvector(ARRAY['project ' || project]) $$;

CREATE FUNCTION verbatim_project_query(project bigint) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT format('''project %s''', project)::tsquery $$;

CREATE OR REPLACE FUNCTION interviews_segments_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
    SELECT i.id, s.start, s."end", s.text, s.config,
           s.vector || verbatim_project_lexeme(i.project_id)
    FROM new_interviews i CROSS JOIN LATERAL interviews_segments(i.text, i.language) s;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION interviews_segments_language() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM interviews_searchsegment WHERE interview_id = NEW.id;
    INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
    SELECT NEW.id, s.start, s."end", s.text, s.config,
           s.vector || verbatim_project_lexeme(NEW.project_id)
    FROM interviews_segments(NEW.text, NEW.language) s;
    RETURN NULL;
END $$;

-- An interview that changes project (none does today) would take its lines with it.
DROP TRIGGER interviews_segments_language ON interviews_interview;
CREATE TRIGGER interviews_segments_language
    AFTER UPDATE OF language, project_id ON interviews_interview
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language
                       OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION interviews_segments_language();

UPDATE interviews_searchsegment s
   SET vector = s.vector || verbatim_project_lexeme(i.project_id)
  FROM interviews_interview i
 WHERE i.id = s.interview_id;
"""

REVERSE_SQL = """
UPDATE interviews_searchsegment s
   SET vector = ts_delete(s.vector, 'project ' || i.project_id)
  FROM interviews_interview i
 WHERE i.id = s.interview_id;

DROP TRIGGER interviews_segments_language ON interviews_interview;
CREATE TRIGGER interviews_segments_language
    AFTER UPDATE OF language ON interviews_interview
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
    EXECUTE FUNCTION interviews_segments_language();

CREATE OR REPLACE FUNCTION interviews_segments_language() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM interviews_searchsegment WHERE interview_id = NEW.id;
    INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
    SELECT NEW.id, s.start, s."end", s.text, s.config, s.vector
    FROM interviews_segments(NEW.text, NEW.language) s;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION interviews_segments_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
    SELECT i.id, s.start, s."end", s.text, s.config, s.vector
    FROM new_interviews i CROSS JOIN LATERAL interviews_segments(i.text, i.language) s;
    RETURN NULL;
END $$;

DROP FUNCTION verbatim_project_query(bigint);
DROP FUNCTION verbatim_project_lexeme(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("interviews", "0004_search")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
