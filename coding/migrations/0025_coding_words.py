"""Each coding's words (Coding.words), counted by a trigger whenever its text changes.

The code frequencies add up the words of every coding of the project: counting them in each
coded text (`regexp_count(text, '\\S+')`) took 8 µs a coding, 9.6 s of the page at L. The text is
filled by coding_coding_check (and changed by corrections); this trigger, named to fire after it
(BEFORE triggers run in name order), counts its words on every insert and on every update that
changes the text, whatever writes it. The count of the codings already there runs without the
audit trigger: it changes no coding as anyone sees it, and would write an event for each."""

from django.db import migrations

import coding.models

WORDS = r"""
CREATE FUNCTION coding_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.words := regexp_count(NEW.text, '\S+');
    RETURN NEW;
END $$;

CREATE TRIGGER coding_words_insert BEFORE INSERT ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_words();
CREATE TRIGGER coding_words_update BEFORE UPDATE ON coding_coding
    FOR EACH ROW WHEN (NEW.text IS DISTINCT FROM OLD.text) EXECUTE FUNCTION coding_words();

ALTER TABLE coding_coding DISABLE TRIGGER coding_coding_audit;
UPDATE coding_coding SET words = regexp_count(text, '\S+');
ALTER TABLE coding_coding ENABLE TRIGGER coding_coding_audit;
"""

NO_WORDS = r"""
DROP TRIGGER coding_words_update ON coding_coding;
DROP TRIGGER coding_words_insert ON coding_coding;
DROP FUNCTION coding_words();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0024_coder_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="coding",
            name="words",
            field=coding.models.DatabaseFilledIntegerField(
                db_default=0, default=0, editable=False, verbose_name="words"
            ),
        ),
        migrations.RunSQL(WORDS, NO_WORDS),
    ]
