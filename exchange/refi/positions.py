"""Text positions in the unit each tool really writes, converted to code points.

REFI-QDA 1.5 (section 10.2) counts Unicode code points from 0. Real exports differ: NVivo counts
UTF-16 code units (an emoji counts two) and, on Windows, CRLF as two characters without the byte
order mark; ATLAS.ti counts a line break as one character although its .txt files hold CRLF. So for
each source every plausible unit is tried on the selections themselves and the one whose
boundaries fall inside the text, match the quoted text (ATLAS.ti writes it in `name`) and do not
split words wins; the producing tool (`origin`) only breaks ties. Nothing is ever shifted to fit:
a position that does not land on a character boundary in the chosen unit is reported, not moved.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from .model import Alignment, Unit

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CRLF = re.compile("\r\n")
_LONE_BREAK = re.compile("\r(?!\n)|(?<!\r)\n")
_SPACES = re.compile(r"\s+")
_ELLIPSIS = ("…", "...")


class Mapper:
    """Positions of one text in one unit: `units(k)` for code point index k, and back."""

    def __init__(self, text: str, unit: Unit, bom_present: bool = False):
        self.text = text
        self.n = len(text)
        self.offset = 1 if (unit.bom_counted and bom_present) else 0
        events: list[tuple[int, int]] = []  # (k, delta): every position >= k moves by delta
        if unit.code_unit == "utf16":
            events += [(m.end(), 1) for m in _ASTRAL.finditer(text)]
        if unit.line_breaks == "one":
            events += [(m.end(), -1) for m in _CRLF.finditer(text)]
        elif unit.line_breaks == "two":
            events += [(m.end(), 1) for m in _LONE_BREAK.finditer(text)]
        events.sort()
        self.at = [k for k, _ in events]
        self.shift = []
        total = 0
        for _, delta in events:
            total += delta
            self.shift.append(total)
        # For the way back: where each stretch of constant shift starts, in units. Non-decreasing,
        # since a shift falls by at most one where a character (an LF after a CR) counts nothing.
        self.bounds = [0, *self.at]
        self.shifts = [0, *self.shift]
        self.starts = [self.offset + k + d for k, d in zip(self.bounds, self.shifts, strict=True)]

    def units(self, k: int) -> int:
        i = bisect_right(self.at, k)
        return self.offset + k + (self.shift[i - 1] if i else 0)

    def codepoint(self, u: int) -> int | None:
        """The code point index at unit position u, or None when u is outside the text or falls
        inside a character (half a surrogate pair, half of a two-unit line break). Where several
        indexes count the same (a CRLF counted as one), the last: past the line break."""
        if u < 0:
            return None
        if u < self.offset:
            return 0  # the byte order mark itself: the start of the text
        i = bisect_right(self.starts, u) - 1
        k = u - self.offset - self.shifts[i]
        if k > self.n or (i + 1 < len(self.bounds) and k >= self.bounds[i + 1]):
            return None
        return k


def _wordish(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


def clean_boundary(text: str, k: int) -> bool:
    """Whether a selection boundary at k splits nothing a person would keep together: a word, a
    letter from its combining accent, or a CRLF."""
    if k <= 0 or k >= len(text):
        return True
    before, after = text[k - 1], text[k]
    if unicodedata.category(after).startswith("M"):
        return False
    if before == "\r" and after == "\n":
        return False
    return not (_wordish(before) and _wordish(after))


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def name_matches(text: str, start: int, end: int, name: str) -> bool:
    """Whether a selection's name quotes its text (ATLAS.ti names a quotation by its first words,
    ending in an ellipsis when cut)."""
    quoted = _normal(name)
    for mark in _ELLIPSIS:
        if quoted.endswith(mark):
            quoted = quoted[: -len(mark)].rstrip()
    if len(quoted) < 3:
        return False
    if text.startswith(quoted, start, end):  # the usual case, without a regular expression
        return True
    head = text[start : min(end, start + 2 * len(name) + 64)]  # enough to hold the quote
    return _normal(head).startswith(quoted)


@dataclass
class RawSelection:
    start: int
    end: int
    name: str = ""


def candidates(text: str, bom_present: bool) -> list[Unit]:
    """The units worth trying on this text: only those that count it differently."""
    code_units = ["codepoint", "utf16"] if _ASTRAL.search(text) else ["codepoint"]
    line_breaks = ["as_stored"]
    if _CRLF.search(text):
        line_breaks.append("one")
    if _LONE_BREAK.search(text):
        line_breaks.append("two")
    boms = [False, True] if bom_present else [False]
    return [Unit(c, b, m) for c in code_units for b in line_breaks for m in boms]


def preferred(origin: str | None) -> list[Unit]:
    """The units a tool is known to write, most likely first: only for breaking ties."""
    tool = (origin or "").lower()
    if "nvivo" in tool:
        return [Unit("utf16", "as_stored"), Unit("utf16", "two"), Unit()]
    if "atlas" in tool:
        return [Unit("codepoint", "one"), Unit()]
    if "maxqda" in tool:
        return [Unit(), Unit("codepoint", "one")]
    return [Unit()]


@dataclass
class Judgement:
    unit: Unit
    positions: list[tuple[int, int] | None]
    fitting: int
    clean_ends: int
    name_matches: int
    rank: int

    @property
    def score(self):
        return (self.fitting, self.name_matches, self.clean_ends, -self.rank)


def judge(text: str, bom_present: bool, unit: Unit, raw: list[RawSelection], rank: int):
    mapper = Mapper(text, unit, bom_present)
    positions: list[tuple[int, int] | None] = []
    fitting = clean = named = 0
    for selection in raw:
        start, end = mapper.codepoint(selection.start), mapper.codepoint(selection.end)
        if start is None or end is None or start > end:
            positions.append(None)
            continue
        positions.append((start, end))
        fitting += 1
        clean += clean_boundary(text, start) + clean_boundary(text, end)
        named += bool(selection.name) and name_matches(text, start, end, selection.name)
    return Judgement(unit, positions, fitting, clean, named, rank)


def align(
    text: str, bom_present: bool, raw: list[RawSelection], origin: str | None
) -> tuple[Alignment | None, list[tuple[int, int] | None]]:
    """The unit that best explains the selections of one source, and each selection's code point
    range in it (None for a selection that does not fit)."""
    if not raw:
        return None, []
    prior = preferred(origin)
    units = candidates(text, bom_present)
    order = {
        unit: (prior.index(unit) if unit in prior else len(prior) + i)
        for i, unit in enumerate(units)
    }
    ranked = sorted(units, key=order.get)
    first = judge(text, bom_present, ranked[0], raw, order[ranked[0]])
    named = sum(1 for selection in raw if selection.name)
    every_name = named > 0 and first.name_matches == named
    if first.fitting == len(raw) and (every_name or first.clean_ends == 2 * len(raw)):
        # The likeliest unit explains every selection: each falls on the very words its name
        # quotes, or (without names) none splits a word. Another unit could at best tie, and a
        # tie goes to the likeliest, so the others are not tried: a large project reads several
        # times faster.
        judged = [first]
    else:
        others = (judge(text, bom_present, unit, raw, order[unit]) for unit in ranked[1:])
        judged = sorted([first, *others], key=lambda j: j.score, reverse=True)
    best = judged[0]
    runner = next((j for j in judged[1:] if j.positions != best.positions), None)
    alignment = Alignment(
        unit=best.unit,
        selections=len(raw),
        fitting=best.fitting,
        clean_ends=best.clean_ends,
        name_matches=best.name_matches,
        runner_up=runner.unit if runner else None,
        runner_up_clean_ends=runner.clean_ends if runner else None,
    )
    return alignment, best.positions


def to_units(text: str, k: int, unit: Unit | None = None, bom_present: bool = False) -> int:
    """Code point index k of `text` counted in `unit` (for writing, and for tests)."""
    return Mapper(text, unit or Unit(), bom_present).units(k)
