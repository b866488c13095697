"""Each interview's count of codings awaiting review (coding.PendingCount), kept by triggers.

The review queue opens on a project's pending codings, and counted them on every page: up to
10,001 index entries, 2.5 to 3.5 ms at S. The triggers keep one row per interview, whatever writes
the coding (the workspace's coding_apply, reviews, imports, merges, corrections, raw SQL), so the
count is a sum over the project's interviews. A deleted coding only lowers a row that exists: its
interview may be going too, and the row with it."""

import django.db.models.deletion
from django.db import migrations, models

COUNTS = r"""
CREATE FUNCTION coding_pending_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'pending' THEN
        UPDATE coding_pendingcount SET pending = pending - 1 WHERE interview_id = OLD.interview_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'pending' THEN
        INSERT INTO coding_pendingcount AS c (interview_id, pending) VALUES (NEW.interview_id, 1)
        ON CONFLICT (interview_id) DO UPDATE SET pending = c.pending + 1;
    END IF;
    RETURN NULL;
END $$;

-- Each fires only when the count moves: the WHEN clauses spare every other write the call. The
-- update's is not limited to UPDATE OF status: an UPDATE of a reviewed coding's words alone sets
-- its status back to pending in a BEFORE trigger (coding_review_on_change), which such a column
-- list does not see. WHEN reads the row as written.
CREATE TRIGGER coding_pending_insert AFTER INSERT ON coding_coding
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION coding_pending_count();
CREATE TRIGGER coding_pending_delete AFTER DELETE ON coding_coding
    FOR EACH ROW WHEN (OLD.status = 'pending') EXECUTE FUNCTION coding_pending_count();
CREATE TRIGGER coding_pending_update AFTER UPDATE ON coding_coding
    FOR EACH ROW WHEN ((OLD.status = 'pending' OR NEW.status = 'pending')
                       AND (OLD.status <> NEW.status OR OLD.interview_id <> NEW.interview_id))
    EXECUTE FUNCTION coding_pending_count();

INSERT INTO coding_pendingcount (interview_id, pending)
SELECT interview_id, count(*) FROM coding_coding WHERE status = 'pending' GROUP BY interview_id;
"""

NO_COUNTS = r"""
DROP TRIGGER coding_pending_update ON coding_coding;
DROP TRIGGER coding_pending_delete ON coding_coding;
DROP TRIGGER coding_pending_insert ON coding_coding;
DROP FUNCTION coding_pending_count();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0017_excerpt_index"),
        ("interviews", "0010_recordings"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingCount",
            fields=[
                (
                    "interview",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="interviews.interview",
                    ),
                ),
                ("pending", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunSQL(COUNTS, NO_COUNTS),
    ]
