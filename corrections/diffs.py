"""The differences between two texts as a page shows them, and finding words again in a text."""

import re
from dataclasses import dataclass

from corrections.anchoring import pieces

CONTEXT = 80  # characters of unchanged text kept around each change


@dataclass(frozen=True)
class Run:
    kind: str  # "same", "gap" (unchanged text left out), "deleted", "inserted"
    text: str


def shown(old: str, new: str) -> list[Run]:
    """The changes from `old` to `new`, each with a little unchanged text around it."""
    runs: list[Run] = []
    items = pieces(old, new)
    for index, piece in enumerate(items):
        if not piece.same:
            if piece.old_end > piece.old_start:
                runs.append(Run("deleted", old[piece.old_start : piece.old_end]))
            if piece.new_end > piece.new_start:
                runs.append(Run("inserted", new[piece.new_start : piece.new_end]))
            continue
        same = old[piece.old_start : piece.old_end]
        keep_start = index > 0  # after a change: keep its end context
        keep_end = index < len(items) - 1  # before a change: keep its start context
        if len(same) <= 2 * CONTEXT + 20:
            runs.append(Run("same", same))
            continue
        if keep_start:
            runs.append(Run("same", same[:CONTEXT]))
        runs.append(Run("gap", ""))
        if keep_end:
            runs.append(Run("same", same[-CONTEXT:]))
    return runs


def nearest(text: str, words: str, position: int) -> tuple[int, int] | None:
    """Where `words` (spaces matched loosely) occur in `text` nearest to `position`, or None."""
    if not words.strip():
        return None
    pattern = r"\s+".join(re.escape(word) for word in words.split())
    found = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
    if not found:
        return None
    return min(found, key=lambda span: abs(span[0] - position))
