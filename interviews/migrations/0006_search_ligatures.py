"""Search folds « œ » and « æ » like the other letters it reads without accents.

French writes « cœur », « sœur », « œuvre »; people type « coeur » as often. NFD does not split a
ligature, so verbatim_unaccent() now spells it out first (« œ » reads « oe »), and the lines that
hold one are indexed again. interviews/search.py counts such a letter as two when it maps the words
found back to the text.
"""

from django.db import migrations

FOLD = r"""
CREATE OR REPLACE FUNCTION verbatim_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(
    normalize(replace(replace(replace(replace(value, 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), NFD),
    E'[\\u0300-\\u036f]+', '', 'g') $$;
"""

UNFOLD = r"""
CREATE OR REPLACE FUNCTION verbatim_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(normalize(value, NFD), E'[\\u0300-\\u036f]+', '', 'g') $$;
"""

REINDEX = """
UPDATE interviews_searchsegment s
   SET vector = to_tsvector(s.config::regconfig, verbatim_unaccent(s.text))
                || verbatim_project_lexeme(i.project_id)
  FROM interviews_interview i
 WHERE i.id = s.interview_id AND s.text ~ '[œŒæÆ]';
"""


class Migration(migrations.Migration):
    dependencies = [("interviews", "0005_search_by_project")]

    operations = [migrations.RunSQL(FOLD + REINDEX, UNFOLD + REINDEX)]
