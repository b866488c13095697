"""The session store (settings.SESSION_ENGINE): Django's database sessions, with the lookup every
request makes written as one plain statement, which also reads the signed-in user's row.

Through the ORM, building the session's query took twice as long as running it (0.58 ms against
0.18 ms at rest, docs/benchmarks.md, issue 21); and the user's row, asked for next
(verbatim.login.Accounts), was a second round trip on every request. A session names its user only
in its signed data, which PostgreSQL cannot read: so each process remembers which user each session
it has seen signed in (`_users`, a hint), and the session's statement reads that user's row beside
it. The row is used only when the session, decoded, names that same user: a hint that is missing
(a new session, another process) or wrong costs the second round trip, never a wrong user. The row
is read in the session's own statement, so it is as fresh as it was before. The same statement
may carry what the request's view reads first (`read_along`: a project page's membership), its
rows kept on the hinted user's row and so used on the same condition. Everything else
(saving, rotating, expiring, `clearsessions`) is Django's own.
"""

import functools
import threading
from contextvars import ContextVar

from cachetools import LRUCache
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.utils import timezone

from verbatim import plain_sql

# Session key → the id of the user it signed in, for the sessions this process has seen.
_users: LRUCache = LRUCache(maxsize=10_000)
_users_lock = threading.Lock()  # the server's threads share it
# The user row read with the current request's session, when the session names that user. Each
# request's store resets it (SessionMiddleware makes one per request), in its own thread's context.
signed_in: ContextVar = ContextVar("signed_in", default=None)


@functools.cache
def session_statement() -> plain_sql.Prepared:
    """The session's row (by key, unexpired) with the row of the user (by id) the process
    remembers it signed in. Prepared: every request sends it."""
    table = db.SessionStore.get_model_class()._meta.db_table
    user_model = get_user_model()
    return plain_sql.Prepared(
        f"SELECT s.session_data, s.expire_date, {plain_sql.columns(user_model, 'u')}"
        f" FROM {table} s"  # noqa: S608 (the models' tables)
        f" LEFT JOIN {user_model._meta.db_table} u ON u.{user_model._meta.pk.column} = %s"
        " WHERE s.session_key = %s AND s.expire_date > %s"
    )


class SessionStore(db.SessionStore):
    # What the request's view reads first, sent along with the session's statement when the
    # process knows the session's user: read_along(user_id) -> (key, statements). Set before the
    # session loads (coding.visibility.ReadAhead); its rows are kept on that user's row only.
    read_along = None

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._user_row = None
        signed_in.set(None)

    def _get_session_from_db(self):
        user_model = get_user_model()
        with _users_lock:
            hint = _users.get(self.session_key)
        now = timezone.now()
        key, along = (None, ())
        if hint is not None and self.read_along is not None:
            key, along = self.read_along(hint)
        rows, *along_rows = plain_sql.batch(
            (session_statement(), [hint, self.session_key, now]), *along
        )
        found = rows[0] if rows else None
        if found is None:
            self._session_key = None  # as Django's: an unknown or expired key is dropped
            return None
        if hint is not None and found[2] is not None:
            self._user_row = plain_sql.instance(user_model, found[2:])
            if along:
                self._user_row.read_along = {key: along_rows}
        return self.model(session_key=self.session_key, session_data=found[0], expire_date=found[1])

    def load(self):
        data = super().load()
        user_id = user_key(data.get(SESSION_KEY))
        if user_id is not None and self.session_key is not None:
            with _users_lock:
                _users[self.session_key] = user_id
        row = self._user_row
        signed_in.set(row if row is not None and row.pk == user_id else None)
        return data


def read_along(user, key):
    """The rows of the statements SessionStore.read_along named `key`, read for this very user
    with the session's statement; None when they were not (read them then). Taken once: a second
    look in the same request reads afresh."""
    kept = getattr(user, "read_along", None)
    return kept.pop(key, None) if kept else None


def user_key(value):
    """The user id a session holds (as text), as the user model's key; None if none or malformed."""
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None
