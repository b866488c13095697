"""A code's excerpts read from one covering index; the single-column indexes of the coding's
foreign keys dropped, since a composite index leads with each (models.Coding.Meta.indexes)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Only the indexes go: altering the fields in the database too would drop and re-add (and so
# re-check over the whole table) each foreign key constraint.
FOREIGN_KEY_INDEXES = (
    "coding_coding_code_id_169dc677",
    "coding_coding_coder_id_646aeb05",
    "coding_coding_interview_id_a651e972",
)


def _without_index(name: str, field) -> migrations.SeparateDatabaseAndState:
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name="coding", name=name, field=field)],
        database_operations=[],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0016_excerpt_contexts"),
        ("interviews", "0010_recordings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="coding",
            index=models.Index(
                fields=["code", "interview", "start"],
                include=("id",),
                name="coding_code_excerpts",
            ),
        ),
        migrations.RemoveIndex(model_name="coding", name="coding_codi_code_id_97862d_idx"),
        _without_index(
            "code",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="codings",
                to="coding.code",
            ),
        ),
        _without_index(
            "coder",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="codings",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        _without_index(
            "interview",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="codings",
                to="interviews.interview",
            ),
        ),
        migrations.RunSQL(
            [f'DROP INDEX IF EXISTS "{name}"' for name in FOREIGN_KEY_INDEXES],
            reverse_sql=[
                'CREATE INDEX "coding_coding_code_id_169dc677" ON "coding_coding" ("code_id")',
                'CREATE INDEX "coding_coding_coder_id_646aeb05" ON "coding_coding" ("coder_id")',
                'CREATE INDEX "coding_coding_interview_id_a651e972"'
                ' ON "coding_coding" ("interview_id")',
            ],
        ),
    ]
