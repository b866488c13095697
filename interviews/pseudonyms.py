"""Pseudonymisation: replace real names with pseudonyms in transcripts before anything is stored.

A project keeps one replacement list (`Pseudonym` rows). Matching ignores case and accents
("Hélène", "HELENE" and "helene" are the same name) and only takes whole words, so "Luc" is replaced
in "Luc a dit" or "d'Luc" but not in "Lucie". The longest name wins where names overlap ("Marie
Tremblay" before "Marie"). The replacement keeps the case of what it replaces: "MARTINE" becomes
"CLAIRE". Spaces, apostrophes and hyphens inside a name match their typographic variants.
"""

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _

APOSTROPHES = "'’ʼ‘"
HYPHENS = "-‐‑–"


def fold_char(char: str) -> str:
    """One character without case or accent, still one character, so offsets stay aligned."""
    if char in APOSTROPHES:
        return "'"
    base = unicodedata.normalize("NFD", char)[0].lower()
    return base if len(base) == 1 else char


class _FoldTable(dict):
    """`str.translate`'s table for fold(): each character's folding, worked out the first time it
    is met. A character at a time in Python took a quarter of a second per interview, which a
    sweep of 200 interviews paid several times. Scripts past U+2FFF (CJK, emoji) are folded each
    time, not kept: a hostile text must not grow the table by a million entries."""

    def __missing__(self, ordinal: int) -> str:
        folded = fold_char(chr(ordinal))
        if ordinal < 0x3000:
            self[ordinal] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """`text` without case or accents, of the same length (`fold(t)[i]` comes from `t[i]`)."""
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def name_key(name: str) -> str:
    """What makes two names in the list the same name."""
    return " ".join(fold(name).split())


def _name_pattern(name: str) -> str:
    parts = []
    for char in fold(" ".join(name.split())):
        if char == " ":
            parts.append(r"\s+")
        elif char == "'":
            parts.append("'")  # fold() already turned every apostrophe into this one
        elif char in HYPHENS:
            parts.append(f"[{HYPHENS}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


@dataclass(frozen=True)
class Replacement:
    real_name: str
    pseudonym: str
    count: int


class Pseudonymiser:
    """Applies a replacement list to texts, counting what it replaced."""

    def __init__(self, rules: list[tuple[str, str]]):
        rules = [(real.strip(), pseudo.strip()) for real, pseudo in rules if real.strip()]
        self.rules = sorted(rules, key=lambda rule: len(rule[0]), reverse=True)
        alternatives = "|".join(
            f"(?P<r{index}>{_name_pattern(real)})" for index, (real, _) in enumerate(self.rules)
        )
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if self.rules else None

    def apply(self, text: str, counts: Counter | None = None) -> str:
        """`text` with every real name replaced; `counts[real_name]` grows by each replacement."""
        return self.apply_spans(unicodedata.normalize("NFC", text), [], counts)[0]

    def apply_spans(
        self, text: str, spans: list[tuple[int, int]], counts: Counter | None = None
    ) -> tuple[str, list[tuple[int, int]]]:
        """`apply`, and the spans [start, end) of `text` moved to where they are in the result.

        A pseudonym is seldom as long as the name it replaces, so what follows it shifts; a span
        edge inside a replaced name goes to the pseudonym's start (for a start) or end (for an end).
        `text` must already be NFC, as every reader's text is, for the offsets to mean anything.
        """
        if self.pattern is None:
            return text, spans
        pieces, position, length, replaced = [], 0, 0, []  # (start, end, new start, new end)
        for match in self.pattern.finditer(fold(text)):
            real, pseudonym = self.rules[int(match.lastgroup[1:])]
            kept = text[position : match.start()]
            new = _same_case(text[match.start() : match.end()], pseudonym)
            pieces += [kept, new]
            length += len(kept)
            replaced.append((match.start(), match.end(), length, length + len(new)))
            length += len(new)
            position = match.end()
            if counts is not None:
                counts[real] += 1
        pieces.append(text[position:])
        starts = [start for start, _end, _new_start, _new_end in replaced]
        return "".join(pieces), [
            (
                _moved(start, replaced, starts, at_end=False),
                _moved(end, replaced, starts, at_end=True),
            )
            for start, end in spans
        ]

    def matches(self, text: str):
        """Each real name found in `text` (already NFC, as stored texts are): (start, end, real name,
        its replacement), in order."""
        if self.pattern is None:
            return
        for match in self.pattern.finditer(fold(text)):
            real, pseudonym = self.rules[int(match.lastgroup[1:])]
            found = text[match.start() : match.end()]
            yield match.start(), match.end(), real, _same_case(found, pseudonym)

    def report(self, counts: Counter) -> list[Replacement]:
        return [
            Replacement(real, pseudonym, counts[real])
            for real, pseudonym in sorted(self.rules)
            if counts[real]
        ]


def _moved(offset: int, replaced: list, starts: list[int], *, at_end: bool) -> int:
    """Where `offset` of the original text is once names are replaced (see apply_spans)."""
    index = bisect.bisect_left(starts, offset)  # the replacements that start before it
    if not index:
        return offset
    _start, end, new_start, new_end = replaced[index - 1]
    if offset < end:
        return new_end if at_end else new_start
    return offset + new_end - end


def _same_case(found: str, pseudonym: str) -> str:
    letters = [char for char in found if char.isalpha()]
    if len(letters) > 1 and all(char.isupper() for char in letters):
        return pseudonym.upper()
    if letters and all(char.islower() for char in letters):
        return pseudonym.lower()
    return pseudonym


def for_project(project) -> Pseudonymiser:
    return Pseudonymiser(list(project.pseudonyms.values_list("real_name", "pseudonym")))


def parse_rules(text: str) -> list[tuple[str, str]]:
    """Rules pasted one per line, "Real name = Pseudonym" (or separated by ;, a tab or →)."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = re.split(r"\s*(?:=|;|\t|→|=>)\s*", line.strip(), maxsplit=1)
        if len(parts) != 2 or not all(part.strip() for part in parts):
            raise ValueError(
                _("Line %(number)d: write “Real name = Pseudonym”.") % {"number": number}
            )
        rules.append((parts[0].strip(), parts[1].strip()))
    return rules
