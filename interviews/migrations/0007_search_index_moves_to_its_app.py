"""SearchSegment now belongs to the `search` app (search 0001 takes it over): no change to the
database, whose table keeps its name and whose triggers (0004–0006) keep filling it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("interviews", "0006_search_ligatures")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SearchSegment")],
            database_operations=[],
        )
    ]
