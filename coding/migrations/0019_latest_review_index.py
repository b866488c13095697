"""A coding's latest review event read from one index, (coding, created_at, id); the foreign key's
own index dropped, since that index leads with it (models.ReviewEvent.Meta.indexes)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0018_pending_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="reviewevent",
            index=models.Index(fields=["coding", "created_at", "id"], name="reviewevent_latest"),
        ),
        migrations.RemoveIndex(model_name="reviewevent", name="coding_revi_coding__7e6f3b_idx"),
        # Only the index goes (as in 0017): altering the field in the database too would drop and
        # re-add, and so re-check, its foreign key constraint.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reviewevent",
                    name="coding",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reviews",
                        to="coding.coding",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "coding_reviewevent_coding_id_3918361a"',
                    reverse_sql='CREATE INDEX "coding_reviewevent_coding_id_3918361a"'
                    ' ON "coding_reviewevent" ("coding_id")',
                )
            ],
        ),
    ]
