"""verbatim/plain_sql.py: models read by hand-written statements are the ORM's own."""

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, connection, transaction
from django.db.models import signals
from django.forms.models import model_to_dict

from coding.models import Code
from tests.factories import make_code, make_user
from verbatim import plain_sql

pytestmark = pytest.mark.django_db


def test_fetched_instances_equal_the_orms_field_for_field(project):
    parent = make_code(project, "Lien « social »")
    make_code(project, "Premier contact", parent=parent)
    make_code(project, "Autre")
    user = make_user("rita", project, "researcher")
    found = plain_sql.fetch(Code, "t.project_id = %s", [project.pk], order="t.position, t.name")
    expected = list(Code.objects.filter(project=project).order_by("position", "name"))
    assert [model_to_dict(c) for c in found] == [model_to_dict(c) for c in expected]
    assert [c.created_at for c in found] == [c.created_at for c in expected]
    assert not any(c.get_deferred_fields() for c in found) and found[0]._state.adding is False
    (read,) = plain_sql.fetch(get_user_model(), "t.id = %s", [user.pk])
    assert (read.pk, read.password, read.date_joined) == (user.pk, user.password, user.date_joined)
    assert plain_sql.fetch(Code, "t.project_id = %s", [0]) == []


def test_a_built_instance_is_what_from_db_builds_and_saves_as_one(project):
    code = make_code(project, "Voisinage courtois", color="#aa3377")
    (row,) = plain_sql.batch(plain_sql.select(Code, "t.id = %s", [code.pk]))[0]
    built, expected = plain_sql.instance(Code, row), Code.objects.get(pk=code.pk)
    fields = {name: value for name, value in vars(built).items() if name != "_state"}
    assert fields == {name: value for name, value in vars(expected).items() if name != "_state"}
    assert (built._state.adding, built._state.db) == (False, "default")
    built.name = "Voisinage poli"
    built.save(update_fields=["name"])  # an UPDATE of the row read, not a second code
    assert list(Code.objects.filter(project=project).values_list("name", flat=True)) == [
        "Voisinage poli"
    ]


def test_a_model_listened_on_at_init_is_built_by_from_db(project):
    """A post_init receiver (an ImageField's dimensions, say) still runs for such a model."""
    code = make_code(project, "Voisinage courtois")
    (row,) = plain_sql.batch(plain_sql.select(Code, "t.id = %s", [code.pk]))[0]
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    signals.post_init.connect(receiver, sender=Code)
    try:
        built = plain_sql.instance(Code, row)
    finally:
        signals.post_init.disconnect(receiver, sender=Code)
    assert seen == [code.pk] and built.name == "Voisinage courtois"
    plain_sql.instance(Code, row)
    assert seen == [code.pk]  # without the receiver, none runs


def test_an_instance_from_some_fields_defers_the_others(project):
    code = make_code(project, "Voisinage courtois")
    built = plain_sql.instance(Code, (code.pk, "Voisinage courtois"), ["id", "name"])
    assert (built.pk, built.name) == (code.pk, "Voisinage courtois")
    assert "project_id" in built.get_deferred_fields() and built._state.adding is False


def test_a_joined_row_gives_each_models_instance(project, interview):
    from django.db import connection

    from interviews.models import Attribute, AttributeValue

    attribute = Attribute.objects.create(project=project, name="Milieu", position=3)
    AttributeValue.objects.create(interview=interview, attribute=attribute, text="Rue")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {plain_sql.columns(AttributeValue, 'v')}, {plain_sql.columns(Attribute, 'a')}"
            " FROM interviews_attributevalue v JOIN interviews_attribute a ON a.id = v.attribute_id"
        )
        value, read = plain_sql.instances(cursor.fetchone(), AttributeValue, Attribute)
    expected = AttributeValue.objects.select_related("attribute").get()
    assert model_to_dict(value) == model_to_dict(expected)
    assert model_to_dict(read) == model_to_dict(expected.attribute) and read.position == 3


def test_a_batch_answers_each_statement_in_one_round_trip(project, interview):
    """Rows per statement, parameters in order, and a statement sees what an earlier one wrote."""
    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        created, found, titles = plain_sql.batch(
            (
                "INSERT INTO coding_code (project_id, name, color, description, inclusion,"
                " exclusion, position, created_at) VALUES (%s, %s, '#aabbcc', '', '', '', 0, now())"
                " RETURNING id",
                [project.pk, "Voisinage 50 % courtois"],
            ),
            ("SELECT name FROM coding_code WHERE project_id = %s ORDER BY id", [project.pk]),
            ("SELECT title FROM interviews_interview WHERE id = %s", [interview.pk]),
        )
    assert len(sent) == 1
    assert Code.objects.get(pk=created[0][0]).name == "Voisinage 50 % courtois"
    assert found == [("Voisinage 50 % courtois",)]
    assert titles == [(interview.title,)]


# A statement with a parameter whose type PostgreSQL infers, a % sign, and none at all.
NAMED = plain_sql.Prepared(
    "SELECT name, %s::int + 1, 'à 50 %%' FROM coding_code WHERE project_id = %s ORDER BY id"
)
NOW = plain_sql.Prepared("SELECT 'sans paramètre'")


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_a_prepared_statement_is_parsed_once_per_connection_then_run_by_name(project):
    make_code(project, "Voisinage courtois")
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        first = plain_sql.batch((NAMED, [41, project.pk]), (NOW, []), (NAMED, [1, project.pk]))
        again = plain_sql.batch(("SELECT 1", []), (NAMED, [41, project.pk]))
    assert first == [[("Voisinage courtois", 42, "à 50 %")], [("sans paramètre",)]] + [
        [("Voisinage courtois", 2, "à 50 %")]
    ]
    assert again == [[(1,)], [("Voisinage courtois", 42, "à 50 %")]]
    # The first batch prepared each statement once; the second only ran it.
    assert sent[0].count("PREPARE") == 2 and sent[0].count("EXECUTE") == 3
    assert "PREPARE" not in sent[1] and "EXECUTE" in sent[1]
    assert {NAMED.key, NOW.key} <= {name.rsplit("_", 1)[0] for name in prepared_names()}
    # Anywhere else it is the statement it spells.
    with connection.cursor() as cursor:
        cursor.execute(NOW)
        assert cursor.fetchall() == [("sans paramètre",)]


ONE_OF_CODES = plain_sql.Prepared(
    "SELECT count(*) FROM coding_code k WHERE k.project_id = %s AND k.id = ANY(%s::bigint[])"
)


def test_a_prepared_statement_keeps_one_plan_whatever_its_values(project):
    """Planned once per connection, never again for a call's values: PostgreSQL's default plans
    the first five calls for their values, and later ones too when that looks cheaper (at L,
    one code's CSV spent 0.65 ms planning two statements that run in 0.03)."""
    code = make_code(project, "Voisinage courtois")
    for _ in range(7):
        assert plain_sql.batch((ONE_OF_CODES, [project.pk, [code.pk]])) == [[(1,)]]
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE %s",
            [ONE_OF_CODES.key + "%"],
        )
        assert cursor.fetchall() == [(7, 0)]


def test_a_batch_failing_after_a_prepare_leaves_the_next_batches_working(project):
    statement = plain_sql.Prepared("SELECT %s::int * 2")
    with pytest.raises(DataError), transaction.atomic():
        plain_sql.batch((statement, [2]), ("SELECT 1 / %s", [0]))
    # Whether PostgreSQL kept that PREPARE or not, the next batch prepares it under a name of its own.
    assert plain_sql.batch((statement, [21])) == [[(42,)]]
    assert plain_sql.batch((statement, [5])) == [[(10,)]]


def test_batches_send_the_text_where_server_side_cursors_are_disabled(project, settings):
    make_code(project, "Voisinage courtois")
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True  # a pooler in transaction mode
    try:
        with connection.execute_wrapper(record):
            rows = plain_sql.batch((NAMED, [41, project.pk]))
    finally:
        del connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
    assert rows == [[("Voisinage courtois", 42, "à 50 %")]]
    assert "EXECUTE" not in sent[0] and "PREPARE" not in sent[0]


def test_a_prepared_statement_takes_positional_parameters_only():
    with pytest.raises(ValueError):
        plain_sql.Prepared("SELECT %(name)s")


def test_past_max_prepared_a_batch_deallocates_them_all_first(project, monkeypatch):
    monkeypatch.setattr(plain_sql, "MAX_PREPARED", 2)
    shapes = [plain_sql.Prepared(f"SELECT %s::int + {n}") for n in range(5)]
    for n, statement in enumerate(shapes):
        assert plain_sql.batch((statement, [10])) == [[(10 + n,)]]
        assert len(prepared_names()) <= 2
    assert plain_sql.batch((shapes[-1], [1]), (shapes[0], [1])) == [[(5,)], [(1,)]]


def test_the_pages_of_every_click_run_their_statements_by_name_once_prepared(
    client, project, interview, coding, rita, sam
):
    """The interview page, the excerpts page and the review queue: the second time on the same
    connection, nothing is prepared again and their hand-written statements go as EXECUTE."""
    pages = [
        (rita, f"/projects/{project.pk}/interviews/{interview.pk}/"),
        (rita, f"/projects/{project.pk}/excerpts/?code={coding.code_id}"),
        (sam, f"/projects/{project.pk}/review/"),
    ]
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    for user, url in pages:
        client.force_login(user)
        assert client.get(url).status_code == 200
        sent.clear()
        with connection.execute_wrapper(record):
            assert client.get(url).status_code == 200
        text = "\n".join(sent)
        assert "PREPARE" not in text, url
        assert text.count("EXECUTE") >= 3, url


def test_an_integer_no_parameter_takes_goes_as_text_and_finds_nothing(project):
    """An id past bigint (or past integer, for a user's id) in a hostile address: the statement
    as text compares it and finds nothing, where EXECUTE would fail converting it."""
    code = make_code(project, "Voisinage courtois")
    by_id = plain_sql.Prepared("SELECT name FROM coding_code WHERE id = %s")
    by_ids = plain_sql.Prepared("SELECT name FROM coding_code WHERE id = ANY(%s)")
    users = plain_sql.Prepared("SELECT username FROM auth_user WHERE id = %s")
    assert plain_sql.batch((by_id, [code.pk])) == [[("Voisinage courtois",)]]
    assert plain_sql.batch((by_id, [2**70]), (by_ids, [[code.pk, 2**70]]), (users, [2**40])) == [
        [],
        [("Voisinage courtois",)],
        [],
    ]


def test_an_address_with_ids_past_bigint_answers_404(client, project, interview, rita):
    client.force_login(rita)
    huge = 2**70
    for url in (
        f"/projects/{huge}/excerpts/",
        f"/projects/{project.pk}/interviews/{huge}/",
        f"/projects/{huge}/interviews/{interview.pk}/",
        f"/projects/{huge}/review/",
    ):
        assert client.get(url).status_code == 404, url


# What a paged batch's statements read: the page's codes, in the page's order.
PAGE_NAMES = plain_sql.Prepared(
    "SELECT c.name FROM unnest(" + plain_sql.PAGE + ") WITH ORDINALITY AS page(id, n)"
    " JOIN coding_code c ON c.id = page.id ORDER BY page.n"
)
BY_NAME = "SELECT id FROM coding_code WHERE project_id = %s ORDER BY name DESC LIMIT %s"


@pytest.mark.parametrize("text", [False, True], ids=["prepared", "as text"])
def test_a_paged_batch_hands_its_ids_to_the_next_statements_in_one_round_trip(project, text):
    for name in ("Autre", "Voisinage courtois", "Premier contact", "Lien"):
        make_code(project, name)
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    if text:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True  # a pooler's transactions
    try:
        with connection.execute_wrapper(record):
            names, counted = plain_sql.paged(
                (BY_NAME, [project.pk, 3]),
                (PAGE_NAMES, []),
                ("SELECT count(*) FROM coding_code WHERE project_id = %s", [project.pk]),
            )
            (empty,) = plain_sql.paged((BY_NAME, [0, 3]), (PAGE_NAMES, []))
    finally:
        connection.settings_dict.pop("DISABLE_SERVER_SIDE_CURSORS", None)
    assert names == [("Voisinage courtois",), ("Premier contact",), ("Lien",)]
    assert counted == [(4,)] and empty == []
    assert len(sent) == 2 and ("EXECUTE" in sent[0]) is not text


def test_no_statement_after_a_paged_batch_reads_its_page(project):
    """Within the caller's transaction (this test's), the page is gone once its batch is done."""
    make_code(project, "Voisinage courtois")
    assert plain_sql.paged((BY_NAME, [project.pk, 1]), (PAGE_NAMES, [])) == [
        [("Voisinage courtois",)]
    ]
    with pytest.raises(DataError), transaction.atomic():
        plain_sql.batch((PAGE_NAMES, []))


@pytest.mark.django_db(transaction=True)
def test_a_paged_batchs_ids_end_with_it_outside_a_transaction(project):
    make_code(project, "Voisinage courtois")
    plain_sql.paged((BY_NAME, [project.pk, 1]), (PAGE_NAMES, []))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('verbatim.page', true)")
        assert cursor.fetchone()[0] in ("", None)
