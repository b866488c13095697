"""Re-anchoring through a character diff (corrections/anchoring.py), property-style: random edits
of a French transcript near random codings, with emoji, combining accents, no-break spaces and
« guillemets » about. Seeds are fixed, so a failure always comes back the same."""

import random

import pytest

from corrections.anchoring import TextMap

WORDS = (
    "le",
    "banc",
    "du",
    "parc",
    "pis",
    "j’attends",
    "«",
    "juste",
    "un",
    "café",
    "»",
    "rien",
    "de",
    "plus",
    "la",
    "fille",
    "🙏",
    "des",
    "semaines",
    "intervenant·e",
    "travail",
    "de",
    "rue",
    "naloxone",
    "cœur",
    "voisinage",
    "courtois",
    "suggestion",
    "légitime",
    "cafe\u0301",
    "noe\u0308l",
    "l’église\xa0:",
    "oui",
    "non",
    "ça",
    "va",
    "aller",
    "👩🏽\u200d⚕️",
    "ok",
)
PIECES = [
    "x",
    "é",
    "e\u0301",
    "🙏",
    "\u00a0",
    "«\u00a0",
    "\u00a0»",
    " ",
    "\n",
    "\n\n",
    "mot ",
    "ça",
]


def transcript(rng: random.Random, words: int = 300) -> str:
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(WORDS))
        if rng.random() < 0.08:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line) or "fin")
    return "\n\n".join(lines)


def codings(rng: random.Random, text: str, count: int = 40) -> list[tuple[int, int]]:
    spans = []
    for _ in range(count):
        start = rng.randrange(len(text) - 1)
        spans.append((start, rng.randint(start + 1, min(len(text), start + 120))))
    return spans


def edit(rng: random.Random, text: str) -> tuple[str, int, int]:
    """One edit: insert, delete or replace. The new text and the old range [i, j) it touched."""
    i = rng.randrange(len(text) + 1)
    kind = rng.choice(["insert", "delete", "replace"])
    j = i if kind == "insert" else min(len(text), i + rng.randint(1, 30))
    added = (
        "" if kind == "delete" else "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
    )
    return text[:i] + added + text[j:], i, j


def touched(span: tuple[int, int], i: int, j: int) -> bool:
    start, end = span
    if i == j:  # an insertion touches a coding only strictly inside it
        return start < i < end
    return i < end and j > start


@pytest.mark.parametrize("seed", range(300))
def test_codings_away_from_an_edit_keep_exactly_their_characters(seed):
    rng = random.Random(seed)
    old = transcript(rng)
    spans = codings(rng, old)
    new, i, j = edit(rng, old)
    mapping = TextMap(old, new)
    for span in spans:
        mapped = mapping.span(*span)
        assert 0 <= mapped.start <= mapped.end <= len(new)
        if not touched(span, i, j):
            assert new[mapped.start : mapped.end] == old[span[0] : span[1]], (seed, span, i, j)
            assert mapped.intact


@pytest.mark.parametrize("seed", range(100))
def test_a_series_of_edits_saved_one_by_one_keeps_every_untouched_coding(seed):
    rng = random.Random(10_000 + seed)
    text = transcript(rng)
    spans = dict(enumerate(codings(rng, text)))
    original = {n: text[s:e] for n, (s, e) in spans.items()}
    changed = set()
    for _ in range(8):
        new, i, j = edit(rng, text)
        mapping = TextMap(text, new)
        for n, span in spans.items():
            if touched(span, i, j):
                changed.add(n)
            mapped = mapping.span(*span)
            spans[n] = (mapped.start, mapped.end)
        text = new
    for n, (start, end) in spans.items():
        if n not in changed:
            assert text[start:end] == original[n], (seed, n)


@pytest.mark.parametrize("seed", range(100))
def test_several_edits_saved_at_once_keep_codings_far_from_them(seed):
    """A whole corrected file: the diff finds the edits itself. Codings at least a few words away
    from every edit keep their characters."""
    rng = random.Random(20_000 + seed)
    old = transcript(rng, words=600)
    spans = codings(rng, old)
    cuts = sorted(rng.sample(range(len(old)), 5))
    edits, new, last = [], [], 0
    for cut in cuts:  # edits in old coordinates, applied left to right
        if cut < last:
            continue
        piece, i, j = edit(random.Random(rng.random()), old[cut : cut + 40])
        new += [old[last:cut], piece]
        edits.append((cut + i, cut + j))
        last = cut + 40
    new = "".join(new) + old[last:]
    mapping = TextMap(old, new)
    for span in spans:
        if all(span[1] + 30 < i or span[0] > j + 30 for i, j in edits):
            mapped = mapping.span(*span)
            assert new[mapped.start : mapped.end] == old[span[0] : span[1]], (seed, span)


def test_an_insertion_right_after_a_coding_stays_out_of_it():
    old, new = "Le chat dort sur le banc.", "Le chien dort sur le banc du parc."
    mapping = TextMap(old, new)
    assert mapping.span(20, 24).intact
    assert new[mapping.start(20) : mapping.end(24)] == "banc"


def test_a_coding_partly_edited_keeps_the_mapped_span_and_says_so():
    old, new = "Le chat dort sur le banc.", "Le chien dort sur le banc."
    mapped = TextMap(old, new).span(3, 12)  # "chat dort"
    assert new[mapped.start : mapped.end] == "chien dort"
    assert not mapped.intact


def test_a_coding_whose_text_is_deleted_maps_to_nothing():
    old, new = "Le chat dort sur le banc.", "Le chat sur le banc."
    mapped = TextMap(old, new).span(8, 12)  # "dort"
    assert mapped.start == mapped.end
    assert not mapped.intact


def test_an_unchanged_text_maps_everything_to_itself():
    text = "Pis rien… « Juste un café » 🙏"
    mapping = TextMap(text, text)
    assert not mapping.changed
    assert mapping.span(3, 9) == mapping.span(3, 9).__class__(3, 9, True)
