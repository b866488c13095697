"""Where the characters of an old text are in a new one: a character diff, and the positions and
spans it maps. Pure Python; offsets are code points (Python str indices), end exclusive.

The diff trims the common beginning and end first, so a single edit is seen where it is (or
narrower) and everything around it maps unchanged; the middle goes to diff-match-patch word by word
(letters of different words are never matched), and its "lossless" clean-up slides each edit to a
word boundary ("banc| du parc", not "ban|c du par|c").
"""

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

DIFF_SECONDS = 2.0  # diff-match-patch gives its best answer so far after this


@dataclass(frozen=True)
class Piece:
    """old[old_start:old_end] became new[new_start:new_end]; `same` when they are equal."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    same: bool


@dataclass(frozen=True)
class Mapped:
    start: int
    end: int
    intact: bool  # every character of the span is unchanged (it only moved)


def pieces(old: str, new: str) -> list[Piece]:
    """The old text cut into equal and changed pieces, in order, covering both texts."""
    result, old_at, new_at = [], 0, 0
    for op, chunk in diff(old, new):
        size = len(chunk)
        if op == 0:
            result.append(Piece(old_at, old_at + size, new_at, new_at + size, True))
            old_at, new_at = old_at + size, new_at + size
        elif op == -1:
            result.append(Piece(old_at, old_at + size, new_at, new_at, False))
            old_at += size
        else:
            result.append(Piece(old_at, old_at, new_at, new_at + size, False))
            new_at += size
    return _merged(result)


def diff(old: str, new: str) -> list[tuple[int, str]]:
    """diff-match-patch's (operation, text) list: 0 equal, -1 deleted, 1 inserted."""
    prefix = _common_prefix(old, new)
    while prefix and _inside_word(old, new, prefix):  # the middle starts with whole words
        prefix -= 1
    suffix = _common_suffix(old[prefix:], new[prefix:])
    while suffix and _inside_word(old, new, len(old) - suffix, len(new) - suffix):
        suffix -= 1
    diffs = [(0, old[:prefix])] if prefix else []
    diffs += _middle_diff(old[prefix : len(old) - suffix], new[prefix : len(new) - suffix])
    if suffix:
        diffs.append((0, old[len(old) - suffix :]))
    # With the equal ends around them, edits can slide to a word boundary.
    engine = diff_match_patch()
    engine.diff_cleanupSemanticLossless(diffs)
    return diffs


def _inside_word(old: str, new: str, at: int, new_at: int | None = None) -> bool:
    """Whether a cut at `at` (of old; `new_at` of new) splits a word of either text."""
    new_at = at if new_at is None else new_at
    return any(
        0 < position < len(text) and text[position - 1].isalnum() and text[position].isalnum()
        for text, position in ((old, at), (new, new_at))
    )


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    step = 1024
    while i < n:  # compare in blocks: C speed on long equal texts
        j = min(i + step, n)
        if a[i:j] == b[i:j]:
            i = j
            continue
        while a[i] == b[i]:
            i += 1
        return i
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def _middle_diff(old: str, new: str) -> list[tuple[int, str]]:
    """A diff of whole words, spaces and punctuation marks, as a person would see the edit: letters
    of different words are never matched together ("même banc, pis j'attends" → "grand banc" is
    "même" replaced and ", pis j'attends" deleted, not a reshuffle of letters)."""
    if not old and not new:
        return []
    if not old:
        return [(1, new)]
    if not new:
        return [(-1, old)]
    old_tokens, new_tokens = TOKEN.findall(old), TOKEN.findall(new)
    symbols: dict[str, str] = {}
    encoded_old, encoded_new = _encoded(old_tokens, symbols), _encoded(new_tokens, symbols)
    engine = diff_match_patch()
    engine.Diff_Timeout = DIFF_SECONDS
    tokens = {symbol: token for token, symbol in symbols.items()}
    words = [
        (op, "".join(tokens[symbol] for symbol in chunk))
        for op, chunk in engine.diff_main(encoded_old, encoded_new, False)
    ]
    return _refined(words, engine)


def _refined(words: list[tuple[int, str]], engine) -> list[tuple[int, str]]:
    """Words replaced by other words, compared letter by letter: a typo fixed inside a word leaves
    the rest of the word where it was. The semantic clean-up drops letters matched by chance."""
    out, deleted, inserted = [], "", ""
    for op, chunk in [*words, (0, "")]:
        if op == -1:
            deleted += chunk
        elif op == 1:
            inserted += chunk
        else:
            if deleted and inserted:
                letters = engine.diff_main(deleted, inserted, False)
                engine.diff_cleanupSemantic(letters)
                out += letters
            elif deleted or inserted:
                out.append((-1, deleted) if deleted else (1, inserted))
            deleted = inserted = ""
            if chunk:
                out.append((0, chunk))
    return out


TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
FIRST_SYMBOL = 0xE000  # one character per distinct token; clear of the surrogates


def _encoded(tokens: list[str], symbols: dict[str, str]) -> str:
    out = []
    for token in tokens:
        symbol = symbols.get(token)
        if symbol is None:
            code = FIRST_SYMBOL + len(symbols)
            symbol = symbols[token] = chr(code if code < 0xD800 or code > 0xDFFF else code + 0x800)
        out.append(symbol)
    return "".join(out)


def _merged(items: list[Piece]) -> list[Piece]:
    """Adjacent changed pieces as one (a deletion next to an insertion is a replacement)."""
    merged: list[Piece] = []
    for piece in items:
        if piece.old_start == piece.old_end and piece.new_start == piece.new_end:
            continue
        last = merged[-1] if merged else None
        if last and last.same == piece.same:
            merged[-1] = Piece(
                last.old_start, piece.old_end, last.new_start, piece.new_end, last.same
            )
        else:
            merged.append(piece)
    return merged


class TextMap:
    """Positions and spans of the old text, in the new one."""

    def __init__(self, old: str, new: str, *, known: list[Piece] | None = None):
        self.old, self.new = old, new
        self.pieces = pieces(old, new) if known is None else known
        self._starts = [p.old_start for p in self.pieces]
        changes = [piece for piece in self.pieces if not piece.same]
        self._change_starts = [piece.new_start for piece in changes]
        self._change_ends = [piece.new_end for piece in changes]

    @classmethod
    def from_edits(cls, old: str, edits: list[tuple[int, int, str]]) -> "TextMap":
        """The map of known edits — [start, end) of `old` replaced by a string, not overlapping —
        with no diff to compute (a name replaced at the places it was found)."""
        known, parts, old_at, new_at = [], [], 0, 0
        for start, end, replacement in sorted(edits):
            if start > old_at:
                known.append(Piece(old_at, start, new_at, new_at + start - old_at, True))
                parts.append(old[old_at:start])
                new_at += start - old_at
            known.append(Piece(start, end, new_at, new_at + len(replacement), False))
            parts.append(replacement)
            old_at, new_at = end, new_at + len(replacement)
        if old_at < len(old):
            known.append(Piece(old_at, len(old), new_at, new_at + len(old) - old_at, True))
            parts.append(old[old_at:])
        return cls(old, "".join(parts), known=known)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def start(self, position: int) -> int:
        """Where a span starting at old `position` starts in the new text. A start inside a changed
        piece moves to the start of what replaced it; text inserted right before it stays out."""
        if not self.pieces:
            return position
        piece = self._start_piece(position)
        if piece.same:
            return piece.new_start + position - piece.old_start
        return piece.new_start

    def end(self, position: int) -> int:
        """Where a span ending at old `position` ends in the new text (text inserted right after
        it stays out; an end inside a changed piece moves to the end of what replaced it)."""
        if not self.pieces:
            return position
        piece = self._end_piece(position)
        if piece.same:
            return piece.new_start + position - piece.old_start
        return piece.new_end

    def _start_piece(self, position: int) -> Piece:
        # The piece whose old characters include `position` (the first character of the span).
        for piece in self._around(position):
            if piece.old_start <= position < piece.old_end:
                return piece
        return self.pieces[-1]

    def _end_piece(self, position: int) -> Piece:
        # The piece whose old characters include `position - 1` (the last character of the span).
        for piece in self._around(position - 1):
            if piece.old_start <= position - 1 < piece.old_end:
                return piece
        return self.pieces[0]

    def _around(self, position: int):
        i = max(bisect_right(self._starts, position) - 1, 0)
        return self.pieces[max(i - 1, 0) : i + 2]

    def changed_near(self, start: int, end: int, distance: int) -> bool:
        """Whether a change lies within `distance` characters of [start, end) of the new text
        (a deletion counts at the place it left, touching counts)."""
        first = bisect_left(self._change_ends, start - distance)  # the first not before it
        return first < len(self._change_starts) and self._change_starts[first] <= end + distance

    def span(self, start: int, end: int) -> Mapped:
        """[start, end) of the old text in the new one, and whether its characters are untouched."""
        new_start, new_end = self.start(start), self.end(end)
        intact = self._untouched(start, end)
        return Mapped(new_start, max(new_end, new_start), intact)

    def _untouched(self, start: int, end: int) -> bool:
        """No changed piece lies strictly inside [start, end) or overlaps it."""
        for piece in self.pieces[max(bisect_right(self._starts, start) - 1, 0) :]:
            if piece.old_start >= end:
                break
            if piece.same:
                continue
            if piece.old_start == piece.old_end:  # an insertion: inside only if strictly inside
                if start < piece.old_start < end:
                    return False
            elif piece.old_start < end and piece.old_end > start:
                return False
        return True
