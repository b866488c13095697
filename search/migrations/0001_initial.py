"""The search index, taken over from interviews (its migrations 0004–0006 made the table, its
indexes and the triggers that fill it): the model moves, the database does not change."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("interviews", "0007_search_index_moves_to_its_app")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchSegment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("start", models.PositiveIntegerField()),
                        ("end", models.PositiveIntegerField()),
                        ("text", models.TextField()),
                        ("config", models.CharField(max_length=32)),
                        ("vector", django.contrib.postgres.search.SearchVectorField()),
                        (
                            "interview",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="search_segments",
                                to="interviews.interview",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "interviews_searchsegment",
                        "ordering": ["interview", "start"],
                        "indexes": [
                            django.contrib.postgres.indexes.GinIndex(
                                fields=["vector"],
                                gin_pending_list_limit=256,
                                name="searchsegment_vector",
                            ),
                            models.Index(
                                fields=["interview", "start"], name="searchsegment_interview"
                            ),
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]
