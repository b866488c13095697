"""One code in one interview, coder beside coder: where they agree, where they do not.

A *region* is a stretch of text that some compared coder coded with the code: the union of every
coder's codings of it, overlapping or touching ones joined. In a region each coder has their own
passages (their codings, overlaps merged), and the region is one of:

- `agree`: every coder coded exactly the same characters;
- `only`: one coder alone coded it (only A, only B);
- `boundary`: every coder coded it, but they begin or end elsewhere;
- `some`: with three coders or more, some coded it and others did not.

The side-by-side page (agreement/views.py) draws the regions over the transcript and lists the
disagreements; consensus decisions (agreement/consensus.py) settle them one region at a time.
"""

from dataclasses import dataclass, field
from html import escape

from django.db import connection

from agreement import metrics
from coding.visibility import Visibility

AGREE, ONLY, BOUNDARY, SOME = "agree", "only", "boundary", "some"
QUOTE_CHARS = 240  # of a long passage, the panel quotes its beginning and its end


@dataclass
class Region:
    index: int
    start: int
    end: int
    kind: str
    passages: dict[int, list[tuple[int, int]]]  # coder id → their passages in the region
    decision: object = None  # the live agreement.models.ConsensusDecision on it, if any
    consensus: list[tuple[int, int]] = field(default_factory=list)  # consensus passages in it

    @property
    def disagreement(self) -> bool:
        return self.kind != AGREE

    @property
    def coders(self) -> list[int]:
        """Who coded something in the region."""
        return [pk for pk, passages in self.passages.items() if passages]


def codings(interview_id: int, code_id: int, coder_ids: list[int], seen: Visibility) -> dict:
    """coder id → [(coding id, start, end)] of the code in the interview, in one ordered query."""
    visible, params = seen.sql("c")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.coder_id, c.id, c.start, c."end" FROM coding_coding c
             WHERE c.interview_id = %s AND c.code_id = %s AND c.coder_id = ANY(%s) AND {visible}
             ORDER BY c.coder_id, c.start, c.id
            """,
            [interview_id, code_id, coder_ids, *params],
        )
        found: dict[int, list] = {pk: [] for pk in coder_ids}
        for coder_id, coding_id, start, end in cursor.fetchall():
            found[coder_id].append((coding_id, start, end))
        return found


def regions(by_coder: dict[int, list], coder_ids: list[int], length: int) -> list[Region]:
    """The regions of the compared coders' codings (`codings()` of them), in text order."""
    unions = {
        pk: metrics.union([(s, e) for _id, s, e in by_coder.get(pk, [])], length)
        for pk in coder_ids
    }
    stretches = metrics.union([seg for union in unions.values() for seg in union], length)
    found = []
    for index, (start, end) in enumerate(stretches):
        passages = {
            pk: [(s, e) for s, e in unions[pk] if s < end and e > start] for pk in coder_ids
        }
        found.append(Region(index, start, end, _kind(passages), passages))
    return found


def _kind(passages: dict[int, list]) -> str:
    present = [p for p in passages.values() if p]
    if len(present) == 1:
        return ONLY
    if len(present) < len(passages):
        return SOME
    first = present[0]
    return AGREE if all(p == first for p in present) else BOUNDARY


def attach(found: list[Region], decisions, consensus: list[tuple[int, int]]) -> None:
    """Give each region the live decision that covers it and the consensus passages in it."""
    for region in found:
        region.decision = next(
            (d for d in decisions if d.start < region.end and d.end > region.start), None
        )
        region.consensus = [(s, e) for s, e in consensus if s < region.end and e > region.start]


# --- Drawing ---------------------------------------------------------------------------------


def paragraph_html(
    start: int, text: str, found: list[Region], coder_ids: list[int], used: set[str]
) -> str:
    """A paragraph text[start : start + len(text)] with the regions reaching it marked: each piece
    with its region's kind and one stripe per coder who coded it (lane i for the i-th coder); the
    stripe classes it uses are added to `used` (for `stylesheet`).

    The paragraph holds exactly its text (static/coding/offsets.js reads offsets from it).
    """
    end = start + len(text)
    inside = [r for r in found if r.start < end and r.end > start]
    head = f'<p id="p-{start}" data-start="{start}">'
    if not inside:
        return head + _text(text) + "</p>"
    cuts = {start, end}
    for region in inside:
        cuts |= {max(region.start, start), min(region.end, end)}
        for passages in region.passages.values():
            for s, e in passages:
                cuts |= {min(max(s, start), end), min(max(e, start), end)}
    cuts = sorted(cuts)
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = text[a - start : b - start]
        region = next((r for r in inside if r.start <= a and b <= r.end), None)
        if region is None:
            pieces.append(_text(piece))
            continue
        lanes = [
            i
            for i, pk in enumerate(coder_ids)
            if any(s <= a and b <= e for s, e in region.passages[pk])
        ]
        kind = region.kind if len(lanes) < len(coder_ids) or region.kind == AGREE else "shared"
        consensus = any(s <= a and b <= e for s, e in region.consensus)
        settled = " settled" if region.decision is not None else ""
        coders = " ".join(str(i) for i in lanes)
        stripes = stripe_class(lanes, consensus)
        used.add(stripes)
        pieces.append(
            f'<mark class="region {kind}{settled} {stripes}"'
            f' data-region="{region.index}" data-coders="{coders}">{_text(piece)}</mark>'
        )
    return head + "".join(pieces) + "</p>"


LANE_COLOURS = 8  # --lane-0 … --lane-7 in static/css/agreement.css; more coders reuse them


def lane_class(lane: int) -> str:
    """The class that gives a coder's stripe its colour (`--stripe`)."""
    return f"lane-{lane % LANE_COLOURS}"


def stripe_class(lanes: list[int], consensus: bool) -> str:
    """The class of a piece of text striped for these coders' lanes (and the consensus)."""
    return "st-" + "-".join([str(i) for i in lanes] + (["c"] if consensus else []))


def stylesheet(coder_count: int, used: set[str]) -> str:
    """The page's stripe rules: one per combination of lanes a piece of text carries (`used`,
    collected by `paragraph_html`).

    Each coder keeps their lane (the i-th coder's stripe at height i), the consensus the last. The
    Content-Security-Policy refuses style attributes, so the combinations are classes, written in
    the page's one nonce-bearing <style> element.
    """
    rules = [f"#compare-text{{--lanes:{coder_count + 1}}}"]
    for name in sorted(used):
        lanes = [
            ("var(--consensus)", coder_count)
            if part == "c"
            else (f"var(--lane-{int(part) % LANE_COLOURS})", int(part))
            for part in name.removeprefix("st-").split("-")
            if part
        ]
        if not lanes:
            continue
        bars = ",".join(f"linear-gradient({colour},{colour})" for colour, _i in lanes)
        heights = ",".join(f"0 calc(100% - {i * 4}px)" for _colour, i in lanes)
        rules.append(
            f"#compare-text .{name}{{background-image:{bars};background-position:{heights}}}"
        )
    return "\n".join(rules)


def _text(s: str) -> str:
    return escape(s, quote=False).replace("\r", "&#13;")


def quote(text: str, start: int, end: int) -> str:
    """The passage, its middle elided when it is long."""
    passage = text[start:end]
    if len(passage) <= QUOTE_CHARS:
        return passage
    half = QUOTE_CHARS // 2
    return f"{passage[:half].rstrip()} … {passage[-half:].lstrip()}"
