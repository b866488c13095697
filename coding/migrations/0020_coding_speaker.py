"""Each coding keeps the speaker of the turn it starts in (`Coding.speaker`).

The excerpts page, the review queue and the exports showed it by finding, for every row, the last
turn starting at or before the coding: one backward index probe each, a quarter of the time of one
code's CSV and 15 % of a 10,000-row one at S (docs/benchmarks.md, nineteenth round). The triggers
keep it whatever writes codings or turns (the workspace, imports, corrections, undo, raw SQL):

- `coding_speaker_at`: the rule, written once. The last turn starting at or before the coding
  holds its start when it ends after it; between turns there is no speaker.
- `coding_speaker` sets it on every insert and every change of a coding's start, interview or of
  the column itself: whatever a writer puts there (Django's save() writes every column), the
  trigger's value stands.
- `turn_speakers_*`, once per statement on turns, refresh the codings of the interviews whose turns
  were added, removed, moved or given another speaker (a correction, an import): only the codings
  whose speaker changes are written.
- The audit trail leaves it out, like the contexts: it is the transcript's, not the coder's, and a
  refresh of it alone records nothing (nor goes back to review).

A speaker's name is read from its row, so renaming a speaker changes nothing here.
"""

import django.db.models.deletion
from django.db import migrations

import coding.models

SQL = r"""
-- `at` is a coding's start in the interview `of_interview` (named apart from the turns' columns).
-- PL/pgSQL rather than SQL: its statement is planned once per connection, where an SQL function
-- called from a trigger is planned on every call (0.15 ms on each apply).
CREATE FUNCTION coding_speaker_at(of_interview bigint, at integer) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT CASE WHEN t."end" > at THEN t.speaker_id END
              FROM interviews_turn t
             WHERE t.interview_id = of_interview AND t.start <= at
             ORDER BY t.start DESC LIMIT 1);
END $$;

CREATE FUNCTION coding_speaker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.speaker_id := coding_speaker_at(NEW.interview_id, NEW.start);
    RETURN NEW;
END $$;

-- The codings of these interviews whose speaker is no longer the one their turns give.
CREATE FUNCTION coding_speakers_refresh(interviews bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE coding_coding c SET speaker_id = coding_speaker_at(c.interview_id, c.start)
     WHERE c.interview_id = ANY(interviews)
       AND c.speaker_id IS DISTINCT FROM coding_speaker_at(c.interview_id, c.start)
$$;

-- Transition tables: once per statement, whatever the number of turns it wrote.
CREATE FUNCTION turn_speakers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM coding_speakers_refresh(ARRAY(SELECT DISTINCT interview_id FROM new_turns));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM coding_speakers_refresh(ARRAY(SELECT DISTINCT interview_id FROM old_turns));
    ELSE  -- an update that leaves turns where they were and whose they were (a time) is spared
        PERFORM coding_speakers_refresh(ARRAY(
            SELECT DISTINCT unnest(ARRAY[o.interview_id, n.interview_id])
              FROM old_turns o JOIN new_turns n ON n.id = o.id
             WHERE (o.interview_id, o.start, o."end", o.speaker_id)
                   IS DISTINCT FROM (n.interview_id, n.start, n."end", n.speaker_id)));
    END IF;
    RETURN NULL;
END $$;

-- The audit function of migration 0016, leaving the speaker out as it leaves the contexts out.
DO $$
DECLARE
    definition text := pg_get_functiondef('coding_coding_audit()'::regprocedure);
    changed text := replace(definition, '- ''context_after''', '- ''context_after'' - ''speaker_id''');
BEGIN
    IF changed = definition THEN
        RAISE EXCEPTION 'coding_coding_audit() is not the function of migration coding 0016';
    END IF;
    EXECUTE changed;
END $$;

-- The codings already there, the table's own triggers off: nothing else changes, and none of
-- them has anything to say about it.
ALTER TABLE coding_coding DISABLE TRIGGER USER;
UPDATE coding_coding SET speaker_id = coding_speaker_at(interview_id, start)
 WHERE coding_speaker_at(interview_id, start) IS NOT NULL;
ALTER TABLE coding_coding ENABLE TRIGGER USER;

CREATE TRIGGER coding_speaker
    BEFORE INSERT OR UPDATE OF start, interview_id, speaker_id ON coding_coding
    FOR EACH ROW EXECUTE FUNCTION coding_speaker();
CREATE TRIGGER turn_speakers_inserted AFTER INSERT ON interviews_turn
    REFERENCING NEW TABLE AS new_turns
    FOR EACH STATEMENT EXECUTE FUNCTION turn_speakers_changed();
CREATE TRIGGER turn_speakers_updated AFTER UPDATE ON interviews_turn
    REFERENCING OLD TABLE AS old_turns NEW TABLE AS new_turns
    FOR EACH STATEMENT EXECUTE FUNCTION turn_speakers_changed();
CREATE TRIGGER turn_speakers_deleted AFTER DELETE ON interviews_turn
    REFERENCING OLD TABLE AS old_turns
    FOR EACH STATEMENT EXECUTE FUNCTION turn_speakers_changed();
"""

REVERSE_SQL = r"""
DROP TRIGGER turn_speakers_deleted ON interviews_turn;
DROP TRIGGER turn_speakers_updated ON interviews_turn;
DROP TRIGGER turn_speakers_inserted ON interviews_turn;
DROP TRIGGER coding_speaker ON coding_coding;
DROP FUNCTION turn_speakers_changed();
DROP FUNCTION coding_speakers_refresh(bigint[]);
DROP FUNCTION coding_speaker();
DROP FUNCTION coding_speaker_at(bigint, integer);

-- The audit function as migration 0016 wrote it.
DO $$
BEGIN
    EXECUTE replace(pg_get_functiondef('coding_coding_audit()'::regprocedure),
                    ' - ''speaker_id''', '');
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0019_latest_review_index"),
        ("interviews", "0010_recordings"),
    ]

    operations = [
        migrations.AddField(
            model_name="coding",
            name="speaker",
            field=coding.models.DatabaseFilledForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="interviews.speaker",
            ),
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
