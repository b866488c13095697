"""Model instances read by a hand-written statement, built as the ORM builds them (`from_db`).

On the paths every request takes (the signed-in user, a coding being changed, the codebook), the
ORM spent longer building a small query than PostgreSQL spent running it. These helpers write the
select list of a model's columns and turn a row back into an instance, so that such a statement
stays one line of SQL and the rest of the code still gets models.
"""

from django.db import DEFAULT_DB_ALIAS, connection


def columns(model, alias: str) -> str:
    """The model's columns, for a SELECT list, as `alias`.column."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def instance(model, values, fields: list[str] | None = None):
    """A model instance from a row of `columns(model, …)`, as a queryset would have built it; or
    from the values of some `fields` only (attnames), the others deferred, as `.only()` builds it."""
    names = fields or [field.attname for field in model._meta.concrete_fields]
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def instances(row, *models) -> list:
    """One instance of each model from a row of their `columns`, side by side in that order (a
    join: the second is usually what the first points at)."""
    found, start = [], 0
    for model in models:
        width = len(model._meta.concrete_fields)
        found.append(instance(model, row[start : start + width]))
        start += width
    return found


def select(model, condition: str, params: list, *, order: str = "") -> tuple[str, list]:
    """The statement reading the rows of `model` (aliased `t` in `condition` and `order`) that meet
    `condition`, for `fetch` or a `batch`."""
    sql = f"SELECT {columns(model, 't')} FROM {model._meta.db_table} t WHERE {condition}"
    if order:
        sql += f" ORDER BY {order}"
    return sql, params


def fetch(model, condition: str, params: list, *, order: str = "") -> list:
    """The instances of `model` (aliased `t` in `condition` and `order`) that meet `condition`."""
    with connection.cursor() as cursor:
        cursor.execute(*select(model, condition, params, order=order))
        return [instance(model, row) for row in cursor.fetchall()]


def batch(*statements: tuple[str, list]) -> list[list[tuple]]:
    """The rows of each (sql, params) statement, all sent in one round trip.

    Statements that need nothing of each other's answers need not wait for them: on a busy path a
    round trip costs more than a small statement (about 0.19 ms against 0.15 for a whole one
    alone, docs/benchmarks.md). Django's psycopg cursor binds parameters on the client and sends
    the statements as one simple query, which PostgreSQL runs in order, each seeing what the
    previous ones wrote, in one transaction. Each must return rows (a SELECT, or RETURNING).
    """
    sql = ";\n".join(statement for statement, _ in statements)
    params = [param for _, values in statements for param in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    return results
