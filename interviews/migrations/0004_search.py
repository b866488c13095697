"""Full-text search over transcripts (interviews/search.py): one indexed row per paragraph.

PostgreSQL fills interviews_searchsegment itself, on every insert of interviews (ORM, COPY, raw SQL)
and when an interview's language changes; the migration fills it for the interviews already there.
Words are compared without accents. The embedded PostgreSQL has no unaccent extension, so
verbatim_unaccent() decomposes the text (NFD) and drops the combining accents U+0300–U+036F: « é »,
precomposed or not, reads « e ». (translate() with a table of accented letters would keep lengths,
but costs ten times more on a long transcript.) The folded text is not always as long as the
original, so interviews/search.py maps offsets back, character by character.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


# Blank edges of a line are not part of its segment (CRLF's \r among them).
BLANK = "' \t\r\u000b\u000c\u00a0\u2007\u202f\ufeff'"

SQL = f"""
CREATE FUNCTION verbatim_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(normalize(value, NFD), E'[\\u0300-\\u036f]+', '', 'g') $$;

-- The text search configuration of an interview's language ("fr", "en-CA"…): stemming and stop words.
CREATE FUNCTION verbatim_search_config(language text) RETURNS regconfig
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (CASE lower(substring(coalesce(language, '') FROM '^[A-Za-z]*'))
    WHEN 'fr' THEN 'french' WHEN 'en' THEN 'english' WHEN 'es' THEN 'spanish'
    WHEN 'de' THEN 'german' WHEN 'it' THEN 'italian' WHEN 'pt' THEN 'portuguese'
    WHEN 'nl' THEN 'dutch' ELSE 'simple' END)::regconfig $$;

-- The non-blank lines of a text, as [start, end) in code points, with their search vector.
CREATE FUNCTION interviews_segments(body text, language text)
RETURNS TABLE (start integer, "end" integer, text text, config text, vector tsvector)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT line.start + char_length(line.text) - char_length(ltrim(line.text, E{BLANK})),
           line.start + char_length(rtrim(line.text, E{BLANK})),
           btrim(line.text, E{BLANK}),
           verbatim_search_config(language)::text,
           to_tsvector(verbatim_search_config(language),
                       verbatim_unaccent(btrim(line.text, E{BLANK})))
    FROM (
        SELECT text,
               (sum(char_length(text) + 1) OVER (ORDER BY n) - char_length(text) - 1)::integer
        FROM unnest(string_to_array(body, E'\\n')) WITH ORDINALITY AS lines (text, n)
    ) AS line (text, start)
    WHERE btrim(line.text, E{BLANK}) <> ''
$$;

CREATE FUNCTION interviews_segments_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
    SELECT i.id, s.start, s."end", s.text, s.config, s.vector
    FROM new_interviews i CROSS JOIN LATERAL interviews_segments(i.text, i.language) s;
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_segments_insert
    AFTER INSERT ON interviews_interview REFERENCING NEW TABLE AS new_interviews
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_segments_insert();

CREATE FUNCTION interviews_segments_language() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM interviews_searchsegment WHERE interview_id = NEW.id;
    INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
    SELECT NEW.id, s.start, s."end", s.text, s.config, s.vector
    FROM interviews_segments(NEW.text, NEW.language) s;
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_segments_language
    AFTER UPDATE OF language ON interviews_interview
    FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language)
    EXECUTE FUNCTION interviews_segments_language();

INSERT INTO interviews_searchsegment (interview_id, start, "end", text, config, vector)
SELECT i.id, s.start, s."end", s.text, s.config, s.vector
FROM interviews_interview i CROSS JOIN LATERAL interviews_segments(i.text, i.language) s;
"""

REVERSE_SQL = """
DROP TRIGGER interviews_segments_language ON interviews_interview;
DROP FUNCTION interviews_segments_language();
DROP TRIGGER interviews_segments_insert ON interviews_interview;
DROP FUNCTION interviews_segments_insert();
DROP FUNCTION interviews_segments(text, text);
DROP FUNCTION verbatim_search_config(text);
DROP FUNCTION verbatim_unaccent(text);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('interviews', '0003_import'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchSegment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.PositiveIntegerField()),
                ('end', models.PositiveIntegerField()),
                ('text', models.TextField()),
                ('config', models.CharField(max_length=32)),
                ('vector', django.contrib.postgres.search.SearchVectorField()),
                ('interview', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='search_segments', to='interviews.interview')),
            ],
            options={
                'ordering': ['interview', 'start'],
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['vector'], gin_pending_list_limit=256, name='searchsegment_vector'), models.Index(fields=['interview', 'start'], name='searchsegment_interview')],
            },
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
