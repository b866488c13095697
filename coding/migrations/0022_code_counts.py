"""How many codings each code has in each interview (coding.CodeCount), kept by triggers.

The workspace redraws a code's counts after every action (in the interview, in the project), and
the excerpts of a code count its codings: a code's every index entry, 10,000 at L, 1.2 ms of an
apply. As for the pending counts (migration 0018), the triggers keep one row per code and
interview whatever writes the coding (coding_apply, merges, undo, imports, corrections, raw SQL),
so that a count is a sum over a code's rows. A deleted coding only lowers a row that exists: its
code or interview may be going too, and the row with it."""

import django.db.models.deletion
from django.db import migrations, models

COUNTS = r"""
CREATE FUNCTION coding_code_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE coding_codecount SET codings = codings - 1
         WHERE code_id = OLD.code_id AND interview_id = OLD.interview_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO coding_codecount AS c (code_id, interview_id, codings)
        VALUES (NEW.code_id, NEW.interview_id, 1)
        ON CONFLICT (code_id, interview_id) DO UPDATE SET codings = c.codings + 1;
    END IF;
    RETURN NULL;
END $$;

-- An update fires it only when the coding changes code or interview (a merge of codes, a move).
CREATE TRIGGER coding_code_count_insert AFTER INSERT ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_code_count();
CREATE TRIGGER coding_code_count_delete AFTER DELETE ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_code_count();
CREATE TRIGGER coding_code_count_update AFTER UPDATE OF code_id, interview_id ON coding_coding
    FOR EACH ROW WHEN (OLD.code_id <> NEW.code_id OR OLD.interview_id <> NEW.interview_id)
    EXECUTE FUNCTION coding_code_count();

INSERT INTO coding_codecount (code_id, interview_id, codings)
SELECT code_id, interview_id, count(*) FROM coding_coding GROUP BY code_id, interview_id;
"""

NO_COUNTS = r"""
DROP TRIGGER coding_code_count_update ON coding_coding;
DROP TRIGGER coding_code_count_delete ON coding_coding;
DROP TRIGGER coding_code_count_insert ON coding_coding;
DROP FUNCTION coding_code_count();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0021_check_reads_text_pieces"),
        ("interviews", "0011_text_pieces"),
    ]

    operations = [
        migrations.CreateModel(
            name="CodeCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("codings", models.IntegerField(default=0)),
                (
                    "code",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="coding.code",
                    ),
                ),
                (
                    "interview",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="interviews.interview",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("code", "interview"), name="code_count_unique")
                ],
            },
        ),
        migrations.RunSQL(COUNTS, NO_COUNTS),
    ]
