"""Each interview's attribute values as the cells an export writes (interviews_interview.attribute_cells).

The CSV of one code's excerpts carries each excerpt's participant attributes. At L its 878 rows
lie in 800 interviews, and reading their values, one interview after another, was a quarter of
the export (2.4 ms of 9.4 in PostgreSQL: docs/benchmarks.md, twenty-seventh round). The interview
row the export joins anyway now carries them: a JSON object of {attribute id: cell}, the cell as
the CSV writes it (exports/cells.py `text`): a number without trailing zeros (`trim_scale`:
12.5000 → 12.5, 12.0000 → 12, as interviews.models.plain_number), a date in ISO 8601 whatever the
session's DateStyle, a text or a choice guarded as `cells.text_sql` writes it (a leading = + - @,
tab or carriage return behind an apostrophe, so that no spreadsheet reads it as a formula; an
empty text null), so that the export reads each cell once and as it is.
tests/exports/test_csv_records.py holds these cells to the ones Python writes, byte for byte. An
attribute without a value has no key.

The column is PostgreSQL's alone, like the counts kept by triggers: the ORM neither reads nor
writes it (loading it with every interview would cost every page that lists them). Triggers keep
it whatever writes the values (the ORM, an import's bulk insert, COPY, a cascade) and when an
attribute changes type. Two transactions changing values of one interview at once must not keep
the cells of one of them only: each locks the interview before reading its values, in a statement
of its own, whose snapshot (READ COMMITTED) then sees what the other committed. The lock is FOR NO
KEY UPDATE, which the foreign key checks' FOR KEY SHARE of a value's insert does not wait for.
"""

from django.db import migrations

SQL = r"""
ALTER TABLE interviews_interview ADD COLUMN attribute_cells jsonb NOT NULL DEFAULT '{}';

CREATE FUNCTION interviews_attribute_cells_write(interviews bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM interviews_interview WHERE id = ANY(interviews) ORDER BY id FOR NO KEY UPDATE;
    UPDATE interviews_interview i
       SET attribute_cells = coalesce((
           SELECT jsonb_object_agg(v.attribute_id::text, CASE a.type
                      WHEN 'number' THEN trim_scale(v.number)::text
                      WHEN 'date' THEN to_char(v.date, 'YYYY-MM-DD')
                      ELSE CASE WHEN ascii(v.text) IN (61, 43, 45, 64, 9, 13) THEN '''' || v.text
                                ELSE NULLIF(v.text, '') END
                  END)
             FROM interviews_attributevalue v
             JOIN interviews_attribute a ON a.id = v.attribute_id
            WHERE v.interview_id = i.id), '{}')
     WHERE i.id = ANY(interviews);
END $$;

-- Once per statement, for the interviews whose values it wrote (transition tables: one event
-- each, so three triggers).
CREATE FUNCTION interviews_attribute_cells_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM interviews_attribute_cells_write(ARRAY(SELECT DISTINCT interview_id FROM new_values));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM interviews_attribute_cells_write(ARRAY(SELECT DISTINCT interview_id FROM old_values));
    ELSE
        PERFORM interviews_attribute_cells_write(ARRAY(
            SELECT interview_id FROM new_values UNION SELECT interview_id FROM old_values));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_attribute_cells_insert
    AFTER INSERT ON interviews_attributevalue REFERENCING NEW TABLE AS new_values
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_attribute_cells_changed();
CREATE TRIGGER interviews_attribute_cells_update
    AFTER UPDATE ON interviews_attributevalue
    REFERENCING OLD TABLE AS old_values NEW TABLE AS new_values
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_attribute_cells_changed();
CREATE TRIGGER interviews_attribute_cells_delete
    AFTER DELETE ON interviews_attributevalue REFERENCING OLD TABLE AS old_values
    FOR EACH STATEMENT EXECUTE FUNCTION interviews_attribute_cells_changed();

-- A cell depends on its attribute's type (the admin may change it).
CREATE FUNCTION interviews_attribute_cells_retyped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM interviews_attribute_cells_write(ARRAY(
        SELECT interview_id FROM interviews_attributevalue WHERE attribute_id = NEW.id));
    RETURN NULL;
END $$;

CREATE TRIGGER interviews_attribute_cells_retyped
    AFTER UPDATE OF type ON interviews_attribute
    FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION interviews_attribute_cells_retyped();

-- The interviews already there.
SELECT interviews_attribute_cells_write(ARRAY(SELECT DISTINCT interview_id FROM interviews_attributevalue));
"""

REVERSE_SQL = r"""
DROP TRIGGER interviews_attribute_cells_retyped ON interviews_attribute;
DROP FUNCTION interviews_attribute_cells_retyped();
DROP TRIGGER interviews_attribute_cells_delete ON interviews_attributevalue;
DROP TRIGGER interviews_attribute_cells_update ON interviews_attributevalue;
DROP TRIGGER interviews_attribute_cells_insert ON interviews_attributevalue;
DROP FUNCTION interviews_attribute_cells_changed();
DROP FUNCTION interviews_attribute_cells_write(bigint[]);
ALTER TABLE interviews_interview DROP COLUMN attribute_cells;
"""


class Migration(migrations.Migration):
    dependencies = [("interviews", "0011_text_pieces")]
    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
