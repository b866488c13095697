"""How many codings each coder has in each interview (coding.CoderCount), kept by triggers.

The project's page lists its interviews with their codings, the member's and everyone's: at L it
counted a million codings on every visit (370 ms). As for the codes' counts (migration 0022), the
triggers keep one row per interview and coder whatever writes the coding, so that the page reads
a few rows per interview. A deleted coding only lowers a row that exists: its interview may be
going too, and the row with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COUNTS = r"""
CREATE FUNCTION coding_coder_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE coding_codercount SET codings = codings - 1
         WHERE interview_id = OLD.interview_id AND coder_id = OLD.coder_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO coding_codercount AS c (interview_id, coder_id, codings)
        VALUES (NEW.interview_id, NEW.coder_id, 1)
        ON CONFLICT (interview_id, coder_id) DO UPDATE SET codings = c.codings + 1;
    END IF;
    RETURN NULL;
END $$;

-- An update fires it only when the coding changes interview or coder.
CREATE TRIGGER coding_coder_count_insert AFTER INSERT ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_coder_count();
CREATE TRIGGER coding_coder_count_delete AFTER DELETE ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_coder_count();
CREATE TRIGGER coding_coder_count_update AFTER UPDATE OF interview_id, coder_id ON coding_coding
    FOR EACH ROW WHEN (OLD.interview_id <> NEW.interview_id OR OLD.coder_id <> NEW.coder_id)
    EXECUTE FUNCTION coding_coder_count();

INSERT INTO coding_codercount (interview_id, coder_id, codings)
SELECT interview_id, coder_id, count(*) FROM coding_coding GROUP BY interview_id, coder_id;
"""

NO_COUNTS = r"""
DROP TRIGGER coding_coder_count_update ON coding_coding;
DROP TRIGGER coding_coder_count_delete ON coding_coding;
DROP TRIGGER coding_coder_count_insert ON coding_coding;
DROP FUNCTION coding_coder_count();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0023_code_totals"),
        ("interviews", "0011_text_pieces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CoderCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("codings", models.IntegerField(default=0)),
                (
                    "coder",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "interview",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="coder_counts",
                        to="interviews.interview",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("interview", "coder"), name="coder_count_unique"
                    )
                ],
            },
        ),
        migrations.RunSQL(COUNTS, NO_COUNTS),
    ]
