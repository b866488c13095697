"""The analysis cache's values stored without PostgreSQL's compression (TOAST storage EXTERNAL).

The co-occurrence's parts at L are 16 MB of base64 text. Written as one entry, pglz (the only
compression this server is built with: no lz4) took 0.25 s of each write, to save space a cache
does not need (docs/benchmarks.md, twenty-fifth round). The parts are now cut into entries of
about 250 kB (analysis.queries.PART_BUCKETS), but a first visit still writes them all. Values are
still moved out of line past 2 kB; small ones are unaffected.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0002_analysis_cache"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE analysis_cache ALTER COLUMN value SET STORAGE EXTERNAL",
            "ALTER TABLE analysis_cache ALTER COLUMN value SET STORAGE EXTENDED",
        ),
    ]
