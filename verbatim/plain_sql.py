"""Model instances read by a hand-written statement, built as the ORM builds them (`from_db`).

On the paths every request takes (the signed-in user, a coding being changed, the codebook), the
ORM spent longer building a small query than PostgreSQL spent running it. These helpers write the
select list of a model's columns and turn a row back into an instance, so that such a statement
stays one line of SQL and the rest of the code still gets models.
"""

import functools
import hashlib
import re

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import signals
from django.db.models.base import ModelState


def columns(model, alias: str) -> str:
    """The model's columns, for a SELECT list, as `alias`.column."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def instance(model, values, fields: list[str] | None = None):
    """A model instance from a row of `columns(model, …)`, as a queryset would have built it; or
    from the values of some `fields` only (attnames), the others deferred, as `.only()` builds it.

    What `Model.from_db` leaves is an instance whose `__dict__` holds each given field's value, and
    whose state says it came from the database. Built so directly it costs a fifth of the 6 µs
    `__init__` takes, and a queue page builds 160 of them. A model something listens on to be
    initialised (pre_init, post_init: an ImageField's dimensions) goes through `from_db`."""
    names = fields or _attnames(model)
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model.from_db(DEFAULT_DB_ALIAS, names, values)
    built = model.__new__(model)
    state = built._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    built.__dict__.update(zip(names, values, strict=True))
    return built


@functools.cache
def _attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


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
    `condition`, for `fetch` or a `batch` (which prepares it: `condition` holds no values)."""
    sql = f"SELECT {columns(model, 't')} FROM {model._meta.db_table} t WHERE {condition}"
    if order:
        sql += f" ORDER BY {order}"
    return prepared(sql), params


def fetch(model, condition: str, params: list, *, order: str = "") -> list:
    """The instances of `model` (aliased `t` in `condition` and `order`) that meet `condition`."""
    with connection.cursor() as cursor:
        cursor.execute(*select(model, condition, params, order=order))
        return [instance(model, row) for row in cursor.fetchall()]


class Prepared(str):
    """A statement of fixed text that PostgreSQL parses and plans once per connection, then runs
    by name whenever a `batch` sends it (PREPARE, then EXECUTE with this call's parameters).

    The hottest statements are hand-written and small to run; parsing and planning them again on
    every request took longer than running them (the excerpts page's rows: 1.9 ms sent as text,
    0.7 ms as EXECUTE). Write it with `%s` placeholders as for `batch`; PostgreSQL infers each
    parameter's type from where it stands (cast it where it cannot). Anywhere else it is the
    plain statement it spells. Where the settings disable server-side cursors (a pooler in
    transaction mode, which would send EXECUTE to another connection), batches send the text.
    """

    def __new__(cls, sql: str):
        if "%(" in sql:
            raise ValueError("a prepared statement takes positional %s parameters only")
        statement = super().__new__(cls, sql)
        statement.key = "v" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
        # $1, $2, … for the %s of the text (%% stays: the whole batch is formatted once more).
        numbers = iter(range(1, sql.count("%s") + 1))
        statement.body = re.sub(
            r"%%|%s", lambda m: m[0] if m[0] == "%%" else f"${next(numbers)}", sql
        )
        return statement


@functools.lru_cache(maxsize=512)
def prepared(sql: str) -> Prepared:
    """`Prepared(sql)` for a statement whose text a function builds from a few shapes (a
    condition or two that may be there or not), built once per shape."""
    return Prepared(sql)


# Statements one connection keeps prepared: past this, a batch deallocates them all first, so
# that texts built from many shapes never pile up in a long-lived connection.
MAX_PREPARED = 200


class _Prepared:
    """What one connection has prepared: {statement key: name}. A batch that fails after sending
    a PREPARE (or a DEALLOCATE) may or may not have kept it, so the connection's later ones take
    new names: two never meet under one name."""

    def __init__(self):
        self.names: dict[str, str] = {}
        self.generation = 0
        self.sent = 0  # PREPAREs sent since the last DEALLOCATE ALL, kept or not


def batch(*statements: tuple[str, list]) -> list[list[tuple]]:
    """The rows of each (sql, params) statement, all sent in one round trip.

    Statements that need nothing of each other's answers need not wait for them: on a busy path a
    round trip costs more than a small statement (about 0.19 ms against 0.15 for a whole one
    alone, docs/benchmarks.md). Django's psycopg cursor binds parameters on the client and sends
    the statements as one simple query, which PostgreSQL runs in order, each seeing what the
    previous ones wrote, in one transaction. Each must return rows (a SELECT, or RETURNING).
    A `Prepared` statement goes as EXECUTE, after its PREPARE the first time on this connection.
    """
    with connection.cursor() as cursor:
        sent = _Sending(_prepared_on(connection.connection), statements)
        try:
            cursor.execute(";\n".join(sent.parts), sent.params)
        except Exception:
            sent.settle(succeeded=False)
            raise
        sent.settle(succeeded=True)
        results = []
        for index, returns in enumerate(sent.returns):
            if index:
                cursor.nextset()
            if returns:
                results.append(cursor.fetchall())
    return results


# A page's ids, as the statements of a `paged` batch after the first read them (bigint[]).
PAGE = "current_setting('verbatim.page')::bigint[]"


def paged(ids: tuple[str, list], *statements: tuple[str, list]) -> list[list[tuple]]:
    """The rows of each statement, sent in one round trip after `ids`, a statement selecting one
    column of ids (a page of them, in its order), which those statements read as PAGE.

    A page's rows used to wait for its ids: two round trips, the second for a prepared statement
    that takes the ids as a parameter. Here the first statement keeps its ids in a setting
    (`set_config`) local to the batch's transaction (statements sent as one simple query are one
    transaction), so the next ones, prepared, read them in place of a parameter. The batch's last
    statement empties it, for a caller's own transaction may go on: a statement reading PAGE
    outside a `paged` batch fails (the setting unknown, or empty), it never reads another page.
    """
    sql, params = ids
    keep = f"SELECT set_config('verbatim.page', ARRAY({sql})::text, true)"
    empty = "SELECT set_config('verbatim.page', '', true)"
    return batch((keep, params), *statements, (empty, []))[1:-1]


class _Sending:
    """One batch as it goes: its statements' text and parameters, each `Prepared` one as EXECUTE
    (after its PREPARE when this connection has none), and which parts return rows."""

    def __init__(self, state: _Prepared | None, statements):
        self.state, self.new = state, {}
        self.parts, self.params, self.returns = [], [], []
        known, self.reset = _known(state, statements)
        if self.reset:
            self._part("DEALLOCATE ALL", returns=False)
        for statement, values in statements:
            if isinstance(statement, Prepared) and state is not None and _fits(values):
                name = known.get(statement.key) or self.new.get(statement.key)
                if name is None:
                    name = self.new[statement.key] = f"{statement.key}_{state.generation}"
                    self._part(f"PREPARE {name} AS {statement.body}", returns=False)
                arguments = ", ".join(["%s"] * len(values))
                statement = f"EXECUTE {name}({arguments})" if values else f"EXECUTE {name}"
            self._part(statement, returns=True)
            self.params.extend(values)

    def _part(self, sql: str, *, returns: bool) -> None:
        self.parts.append(sql)
        self.returns.append(returns)

    def settle(self, *, succeeded: bool) -> None:
        """Record what the connection now has prepared. A failed batch may or may not have kept
        its PREPAREs (or run its DEALLOCATE): later ones then take new names."""
        state = self.state
        if not (self.new or self.reset):
            return
        if self.reset:
            state.names, state.sent = {}, 0
        state.sent += len(self.new)
        if succeeded:
            state.names.update(self.new)
        else:
            state.names = {}
            state.generation += 1


# The integers every parameter takes, whatever its type (PostgreSQL's `integer` is the smallest).
INTEGERS = range(-(2**31), 2**31)


def _fits(values) -> bool:
    """Whether every integer among `values` (and in their lists) fits any parameter. As text, a
    statement compares a larger one (an id past bigint, in a hostile address) and finds nothing;
    EXECUTE would fail converting it: such a call goes as text."""
    for value in values:
        if isinstance(value, int) and value not in INTEGERS:
            return False
        if isinstance(value, list | tuple) and not _fits(value):
            return False
    return True


def _known(state: _Prepared | None, statements) -> tuple[dict[str, str], bool]:
    """The names of what this connection has prepared, and whether the batch must first
    deallocate them all (it would prepare more than MAX_PREPARED)."""
    if state is None:
        return {}, False
    keys = {statement.key for statement, _ in statements if isinstance(statement, Prepared)}
    unknown = len(keys - state.names.keys())
    if unknown and state.sent + unknown > MAX_PREPARED:
        return {}, True
    return state.names, False


def _prepared_on(raw) -> _Prepared | None:
    """What this psycopg connection has prepared (kept on it: a pool hands it from one request to
    the next), or None where batches send text."""
    if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        return None
    state = getattr(raw, "verbatim_prepared", None)
    if state is None:
        state = raw.verbatim_prepared = _Prepared()
    return state
