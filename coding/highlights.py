"""Transcript paragraphs as HTML, with their codings drawn as highlights.

Used for the whole transcript on the interview page and for the few paragraphs the workspace sends
again after a change. Built with string joins rather than template tags: a 15,000-word interview has
hundreds of paragraphs and thousands of highlight pieces, and this is its hot path.

Each paragraph is `<p id="p-START" data-start="START">` holding exactly text[START : START + len] (the
contract of static/coding/offsets.js). A passage covered by codings is a `<mark>` listing their ids,
codes and coders (aligned), with a title naming each code and coder: that is what a pointer's
tooltip and a screen reader say of it. Colours come from classes (`c-CODE`, defined by the project's
code stylesheet, coding.views.code_colors), never from style attributes, which the
Content-Security-Policy refuses; static/coding/stripes.js draws one bar per coding in the margin.
"""

import threading
from collections.abc import Iterable, Sequence
from html import escape
from typing import NamedTuple

from cachetools import LRUCache


class Span(NamedTuple):
    """What a highlight needs of a coding. A tuple: the transcript makes one per coding the member
    sees on every build, and keeps each paragraph's HTML keyed by its spans (`_kept_paragraph`),
    which hashes and compares them; a frozen dataclass did both in Python, at four times the cost
    (docs/benchmarks.md, twenty-first round)."""

    id: int
    code_id: int
    start: int
    end: int
    coder_id: int = 0
    code_name: str = ""
    coder_name: str = ""


def _text(s: str) -> str:
    # A CR would be turned into LF by the HTML parser; as a reference it stays the stored character.
    return escape(s, quote=False).replace("\r", "&#13;")


def _mark(piece: str, active: list[Span]) -> str:
    ids = " ".join(str(s.id) for s in active)
    codes = " ".join(str(s.code_id) for s in active)
    coders = " ".join(str(s.coder_id) for s in active)
    # One line per coding: the stripes' labels are these lines, in the order of data-codings.
    title = escape("\n".join(f"{s.code_name} — {s.coder_name}" for s in active))
    overlap = " overlap" if len(active) > 1 else ""
    return (
        f'<mark class="coded c-{active[0].code_id}{overlap}" data-codings="{ids}" '
        f'data-codes="{codes}" data-coders="{coders}" title="{title}">{_text(piece)}</mark>'
    )


def paragraph_html(start: int, text: str, spans: Iterable[Span], *, oob: bool = False) -> str:
    """One paragraph text[start : start + len(text)] with the given codings (others are ignored)."""
    end = start + len(text)
    inside = sorted(
        (s for s in spans if s.start < end and s.end > start), key=lambda s: (s.start, -s.end, s.id)
    )
    swap = ' hx-swap-oob="true"' if oob else ""
    head = f'<p id="p-{start}" data-start="{start}"{swap}>'
    if not inside:
        return f"{head}{_text(text)}</p>"
    cuts = sorted(
        {start, end} | {max(s.start, start) for s in inside} | {min(s.end, end) for s in inside}
    )
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = text[a - start : b - start]
        active = [s for s in inside if s.start < b and s.end > a]
        pieces.append(_mark(piece, active) if active else _text(piece))
    return head + "".join(pieces) + "</p>"


# Each paragraph's HTML, by all it is made of: its place, its text, the codings that reach it
# (ids, codes, coders, bounds and names) and whether it swaps out of band. A transcript whose
# codings changed (a coding added, the page opened again) rebuilds only the paragraphs they touch:
# 0.2 ms instead of 3 for 200 paragraphs and 500 codings. A changed paragraph is another key, so no
# entry can be stale. About 2 kB an entry: 8,192 hold forty transcripts of 200 paragraphs.
PARAGRAPH_CACHE_SIZE = 8192
_kept: LRUCache = LRUCache(maxsize=PARAGRAPH_CACHE_SIZE)
_kept_lock = threading.Lock()  # production workers serve several threads


def _kept_paragraph(start: int, text: str, spans: list[Span], oob: bool) -> str:
    key = (start, text, oob, frozenset(spans))  # a set: the rows come in no fixed order
    with _kept_lock:
        html = _kept.get(key)
    if html is None:
        html = paragraph_html(start, text, spans, oob=oob)
        with _kept_lock:
            _kept[key] = html
    return html


def paragraphs_html(paragraphs, spans: Sequence[Span], *, oob: bool = False) -> list[str]:
    """`paragraph_html` for paragraphs in text order, handing each only the spans that reach it
    (and kept by them: `_kept_paragraph`).

    One sweep over the spans sorted by start, so the cost grows with paragraphs + codings, not their
    product.
    """
    ordered = sorted(spans, key=lambda s: s.start)
    html, open_spans, next_span = [], [], 0
    for paragraph in paragraphs:
        end = paragraph.start + len(paragraph.text)
        while next_span < len(ordered) and ordered[next_span].start < end:
            open_spans.append(ordered[next_span])
            next_span += 1
        open_spans = [s for s in open_spans if s.end > paragraph.start]
        html.append(_kept_paragraph(paragraph.start, paragraph.text, open_spans, oob))
    return html
