"""Transcript paragraphs as HTML, with their codings drawn as highlights.

Used for the whole transcript on the interview page and for the few paragraphs the workspace sends
again after a change. Built with string joins rather than template tags: a 15,000-word interview has
hundreds of paragraphs and thousands of highlight pieces, and this is its hot path.

Each paragraph is `<p id="p-START" data-start="START">` holding exactly text[START : START + len] (the
contract of static/coding/offsets.js). A passage covered by codings is a `<mark>` listing their ids;
each coding keeps one "lane" across its paragraph, drawn as an underline at that height in its code's
colour (a CSS variable, so recolouring a code needs no re-render), so overlapping codings stay
distinguishable.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

LANE_GAP_PX = 4  # vertical distance between two stacked underlines


@dataclass(frozen=True, slots=True)
class Span:
    """What a highlight needs of a coding."""

    id: int
    code_id: int
    start: int
    end: int


def _text(s: str) -> str:
    # A CR would be turned into LF by the HTML parser; as a reference it stays the stored character.
    return escape(s, quote=False).replace("\r", "&#13;")


def _lanes(spans: Sequence[Span]) -> dict[int, int]:
    """The lowest free lane for each span, in order of start (spans sorted by start, longest first)."""
    lanes: dict[int, int] = {}
    lane_ends: list[int] = []
    for span in spans:
        free = [i for i, end in enumerate(lane_ends) if end <= span.start]
        lane = free[0] if free else len(lane_ends)
        if not free:
            lane_ends.append(0)
        lane_ends[lane] = span.end
        lanes[span.id] = lane
    return lanes


def _mark(piece: str, active: list[Span], lanes: dict[int, int]) -> str:
    active = sorted(active, key=lambda s: lanes[s.id])
    bars = ",".join(
        f"linear-gradient(var(--code-{s.code_id}),var(--code-{s.code_id}))" for s in active
    )
    heights = ",".join(f"0 calc(100% - {lanes[s.id] * LANE_GAP_PX}px)" for s in active)
    ids = " ".join(str(s.id) for s in active)
    depth = max(lanes[s.id] for s in active) + 1
    return (
        f'<mark class="coded" data-codings="{ids}" style="--tint:var(--code-{active[0].code_id});'
        f'--lanes:{depth};background-image:{bars};background-position:{heights}">'
        f"{_text(piece)}</mark>"
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
    lanes = _lanes(inside)
    cuts = sorted(
        {start, end} | {max(s.start, start) for s in inside} | {min(s.end, end) for s in inside}
    )
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = text[a - start : b - start]
        active = [s for s in inside if s.start < b and s.end > a]
        pieces.append(_mark(piece, active, lanes) if active else _text(piece))
    return head + "".join(pieces) + "</p>"


def paragraphs_html(paragraphs, spans: Sequence[Span], *, oob: bool = False) -> list[str]:
    """`paragraph_html` for paragraphs in text order, handing each only the spans that reach it.

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
        html.append(paragraph_html(paragraph.start, paragraph.text, open_spans, oob=oob))
    return html
