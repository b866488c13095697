"""Transcripts kept in memory by what they hold.

Wherever a paragraph is redrawn (every coding action) or an agreement table cuts its units, a
transcript is read whole, and PostgreSQL stores it compressed (pglz): 20 texts took 5–7 ms to read,
most of it decompressing. (Excerpts' contexts no longer need them: each coding carries its own,
migration coding 0016.) Each process keeps the texts it has read, keyed by the
interview's id and checksum (the sha256 of the text, changed with it by the one thing that changes a
text, corrections.services.correct). A key names one text for ever, so no entry can be stale; and
an entry is found only through the id and checksum of a row the caller has already read, so nothing
here widens what anyone may see.

The memory is bounded (settings.TEXT_CACHE_MB per process, least recently used texts go first).
"""

import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress

from cachetools import LRUCache
from django.conf import settings
from django.db import connection

from interviews.models import Interview

TABLE = Interview._meta.db_table
BATCH = 16  # texts per statement when streaming (about 1 MB of transcripts)

_cache: LRUCache = LRUCache(maxsize=settings.TEXT_CACHE_MB * 2**20, getsizeof=sys.getsizeof)
_lock = threading.Lock()  # production workers serve several threads; LRUCache is not thread-safe


def text(pk: int, checksum: str) -> str:
    """The text of interview `pk`, whose row the caller read with this `checksum`."""
    with _lock:
        found = _cache.get((pk, checksum))
    # A row deleted since the caller read it has no text left.
    return found if found is not None else _read([pk]).get(pk, "")


def in_order(keys: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """(id, text) for each (id, checksum) of `keys` (read by the caller, with the rows it was
    allowed to see), in their order, reading those not kept `BATCH` at a time: an export of
    2,000 interviews streams in bounded memory."""
    batch: list[tuple[int, str]] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            yield from _resolve(batch)
            batch = []
    yield from _resolve(batch)


def _resolve(keys: list[tuple[int, str]]) -> list[tuple[int, str]]:
    with _lock:
        found = {pk: _cache.get((pk, checksum)) for pk, checksum in keys}
    missing = [pk for pk, text in found.items() if text is None]
    if missing:
        found.update(_read(missing))
    # One deleted between the two reads has no text: it is left out.
    return [(pk, found[pk]) for pk, _checksum in keys if found.get(pk) is not None]


def _read(ids: list[int]) -> dict[int, str]:
    """Read from the database, kept under the checksum read with each text (a correction may have
    come between the caller's read and this one: the new text goes under its own key)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, checksum, text FROM {TABLE} WHERE id = ANY(%s)", [ids])
        rows = cursor.fetchall()
    with _lock:
        for pk, checksum, body in rows:
            with suppress(ValueError):  # larger than the whole cache: served, not kept
                _cache[pk, checksum] = body
    return {pk: body for pk, _checksum, body in rows}


def clear() -> None:
    """Forget every kept text (tests, and a process that wants its memory back)."""
    with _lock:
        _cache.clear()
