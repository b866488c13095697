"""Blind coding rounds, the "done" marks of their coders, and each project's consensus identity.

- A round's interviews, codes and done marks stay in the round's project (triggers), whatever
  path writes them.
- `coding_apply` gains `p_coder`: whose codings the passage is applied to and merged with, when it
  is not the actor's own. A supervisor settling a disagreement writes the project's consensus
  coder's codings (agreement/consensus.py) and stays the actor of the audit trail, so their
  Ctrl+Z undoes it. Every other caller leaves it NULL: the actor codes for themselves, as before.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

APPLY_0010 = importlib.import_module("coding.migrations.0010_coding_rules_in_one_place").APPLY
# 0010's coding_apply_each, as it was written there.
APPLY_EACH = (
    "-- The same for many passages"
    + APPLY_0010.split("-- The same for many passages")[1].split("CREATE FUNCTION coding_back")[0]
)


SCOPE = r"""
CREATE FUNCTION coding_round_scope() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    round_project bigint;
    other_project bigint;
BEGIN
    SELECT project_id INTO round_project FROM coding_codinground WHERE id = NEW.codinground_id;
    IF TG_TABLE_NAME = 'coding_codinground_interviews' THEN
        SELECT project_id INTO other_project FROM interviews_interview WHERE id = NEW.interview_id;
    ELSE
        SELECT project_id INTO other_project FROM coding_code WHERE id = NEW.code_id;
    END IF;
    IF other_project IS DISTINCT FROM round_project THEN
        RAISE EXCEPTION 'a coding round holds interviews and codes of its own project only'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_round_interviews_scope BEFORE INSERT OR UPDATE ON coding_codinground_interviews
    FOR EACH ROW EXECUTE FUNCTION coding_round_scope();
CREATE TRIGGER coding_round_codes_scope BEFORE INSERT OR UPDATE ON coding_codinground_codes
    FOR EACH ROW EXECUTE FUNCTION coding_round_scope();

CREATE FUNCTION coding_round_done_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM coding_codinground_interviews
                    WHERE codinground_id = NEW.round_id AND interview_id = NEW.interview_id) THEN
        RAISE EXCEPTION 'interview % is not in coding round %', NEW.interview_id, NEW.round_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER coding_round_done_scope BEFORE INSERT OR UPDATE ON coding_rounddone
    FOR EACH ROW EXECUTE FUNCTION coding_round_done_scope();
"""

UNSCOPE = r"""
DROP TRIGGER coding_round_done_scope ON coding_rounddone;
DROP FUNCTION coding_round_done_scope();
DROP TRIGGER coding_round_codes_scope ON coding_codinground_codes;
DROP TRIGGER coding_round_interviews_scope ON coding_codinground_interviews;
DROP FUNCTION coding_round_scope();
"""

# 0010's coding_apply with one more argument, p_coder; the rule itself is unchanged.
APPLY = r"""
DROP FUNCTION coding_apply_each(bigint, bigint, bigint, bigint, integer[], integer[], bigint);
DROP FUNCTION coding_apply(bigint, bigint, bigint, bigint, integer, integer, bigint);

-- Code [p_start, p_end) of an interview with a code of its project, as one action of p_actor (one
-- Ctrl+Z), or as part of the action p_group when given. The codings are p_coder's, by default the
-- actor's own. One statement, its own transaction when called outside one. Outcomes: 'no code'
-- (not a code of the project: merged, deleted or never), 'created', 'merged' (the passage met the
-- coder's codings with this code, now one), 'already'.
CREATE FUNCTION coding_apply(
    p_actor bigint, p_project bigint, p_interview bigint, p_code bigint, p_start integer,
    p_end integer, p_group bigint DEFAULT NULL, p_coder bigint DEFAULT NULL
) RETURNS TABLE (coding_id bigint, code_name text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    found_name text;
    touching bigint[];
    low integer;
    high integer;
    kept bigint;
    coder bigint := coalesce(p_coder, p_actor);
BEGIN
    SELECT name INTO found_name FROM coding_code WHERE id = p_code AND project_id = p_project;
    IF NOT FOUND THEN  -- another project's code answers like a deleted one
        RETURN QUERY SELECT NULL::bigint, NULL::text, 'no code'::text;
        RETURN;
    END IF;
    -- What coding.audit.recorded_as sets, for the audit trigger; the settings and the lock last
    -- until the end of the transaction. Inside PL/pgSQL each statement takes a new snapshot (READ
    -- COMMITTED), so what follows the lock sees every coding a writer committed before releasing it.
    PERFORM set_config('verbatim.actor_id', p_actor::text, true),
            set_config('verbatim.group', coalesce(p_group, nextval('coding_action_group'))::text, true),
            set_config('verbatim.undo_of', '', true),
            pg_advisory_xact_lock(7301, p_interview::int);
    SELECT array_agg(id ORDER BY start, id), min(start), max("end")
      INTO touching, low, high
      FROM (SELECT id, start, "end" FROM coding_coding
             WHERE interview_id = p_interview AND code_id = p_code AND coder_id = coder
               AND start <= p_end AND "end" >= p_start
               FOR UPDATE) meeting;
    IF touching IS NULL THEN
        INSERT INTO coding_coding
            (interview_id, code_id, coder_id, start, "end", text, status, created_at, updated_at)
        VALUES (p_interview, p_code, coder, p_start, p_end, '', 'pending', now(), now())
        RETURNING id INTO kept;
        RETURN QUERY SELECT kept, found_name, 'created'::text;
        RETURN;
    END IF;
    kept := touching[1];
    IF cardinality(touching) = 1 AND low <= p_start AND high >= p_end THEN
        RETURN QUERY SELECT kept, found_name, 'already'::text;
        RETURN;
    END IF;
    -- The first coding absorbs the others; memos written on them stay with the merged passage.
    UPDATE coding_memo SET coding_id = kept WHERE coding_memo.coding_id = ANY(touching[2:]);
    DELETE FROM coding_reviewevent WHERE coding_reviewevent.coding_id = ANY(touching[2:]);
    DELETE FROM coding_coding WHERE id = ANY(touching[2:]);
    UPDATE coding_coding SET start = least(low, p_start), "end" = greatest(high, p_end),
                             updated_at = now()
     WHERE id = kept;
    RETURN QUERY SELECT kept, found_name, 'merged'::text;
END $$;
""" + APPLY_EACH


UNAPPLY = (
    """
DROP FUNCTION coding_apply_each(bigint, bigint, bigint, bigint, integer[], integer[], bigint);
DROP FUNCTION coding_apply(bigint, bigint, bigint, bigint, integer, integer, bigint, bigint);
"""
    + APPLY_0010.split("CREATE FUNCTION coding_back_to_review")[0].replace(
        "DROP FUNCTION coding_apply(bigint, bigint, bigint, bigint, integer, integer);", ""
    )
)

class Migration(migrations.Migration):

    dependencies = [
        ('coding', '0010_coding_rules_in_one_place'),
        ('interviews', '0007_search_index_moves_to_its_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CodingRound',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('closed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('coders', models.ManyToManyField(related_name='coding_rounds', to=settings.AUTH_USER_MODEL)),
                ('codes', models.ManyToManyField(blank=True, related_name='coding_rounds', to='coding.code')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('interviews', models.ManyToManyField(related_name='coding_rounds', to='interviews.interview')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='coding_rounds', to='interviews.project')),
                ('reference_coder', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reference coder')),
            ],
            options={
                'verbose_name': 'coding round',
                'verbose_name_plural': 'coding rounds',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ConsensusCoder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='consensus_coder', to='interviews.project')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='consensus_of', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='RoundDone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('coder', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('interview', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='interviews.interview')),
                ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='done', to='coding.codinground')),
            ],
        ),
        migrations.AddIndex(
            model_name='codinground',
            index=models.Index(condition=models.Q(('closed_at', None)), fields=['project'], name='codinground_open'),
        ),
        migrations.AddConstraint(
            model_name='rounddone',
            constraint=models.UniqueConstraint(fields=('round', 'coder', 'interview'), name='rounddone_once_per_interview'),
        ),
        migrations.RunSQL(SCOPE, UNSCOPE),
        migrations.RunSQL(APPLY, UNAPPLY),
    ]
