"""The charts, as SVG written here: no JavaScript, no drawing library.

Measured on the M corpus's shapes (docs/analysis.md): a bar chart of 58 codes takes 0.1 ms as plain
SVG, 46 ms with pygal and 215 ms with matplotlib (plus 0.5 s to import it); the 58 × 58 heat map
2 ms, against 227 ms with matplotlib. Each chart is an <svg role="group"> (its bars and cells are
links, which an image may not hold) with a <title> and a <desc>; its page gives the same numbers
as a table. PNG files are the same SVG rasterised by
CairoSVG (analysis/views.py).
"""

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import ngettext

FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="12"'


@dataclass
class Bar:
    label: str
    value: float
    href: str = ""
    color: str = "#4e79a7"
    shown: str = ""  # the value as written beside the bar


def _svg(width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="group" aria-labelledby="chart-title chart-desc" {FONT}>'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(body)}</svg>'
    )


def _link(href: str, inner: str, label: str) -> str:
    if not href:
        return inner
    return f"<a href={quoteattr(href)} aria-label={quoteattr(label)}>{inner}</a>"


def _attr(text: str) -> str:
    """Text escaped for an attribute value between double quotes (and for element content)."""
    return escape(text, {'"': "&quot;"})


def _short(text: str, size: int = 32) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def horizontal_bars(title: str, desc: str, bars: list[Bar]) -> str:
    """One bar per row, its width proportional to its value (0 → no bar)."""
    label_width, scale_width, row = 230, 420, 22
    top = max((b.value for b in bars), default=0) or 1
    body = []
    for i, bar in enumerate(bars):
        y = 10 + i * row
        width = bar.value / top * scale_width
        body.append(
            f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end">'
            f"{escape(_short(bar.label))}<title>{escape(bar.label)}</title></text>"
        )
        rect = (
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{width:.2f}" height="16" '
            f'fill="{escape(bar.color)}" data-value="{bar.value}"/>'
        )
        body.append(_link(bar.href, rect, f"{bar.label}: {bar.shown or bar.value}"))
        body.append(
            f'<text x="{label_width + width + 6:.2f}" y="{y + 15}">'
            f"{escape(bar.shown or str(bar.value))}</text>"
        )
    height = 20 + len(bars) * row
    return _svg(label_width + scale_width + 80, height, title, desc, body)


def vertical_bars(title: str, desc: str, bars: list[Bar]) -> str:
    """One column per bar, its height proportional to its value, standing on a common base."""
    plot, column, base_y = 240, 64, 270
    top = max((b.value for b in bars), default=0) or 1
    body = [
        f'<line x1="40" y1="{base_y}" x2="{50 + len(bars) * column}" y2="{base_y}" stroke="#555"/>'
    ]
    for i, bar in enumerate(bars):
        x = 50 + i * column
        height = bar.value / top * plot
        rect = (
            f'<rect class="bar" x="{x + 8}" y="{base_y - height:.2f}" width="{column - 16}" '
            f'height="{height:.2f}" fill="{escape(bar.color)}" data-value="{bar.value}"/>'
        )
        body.append(_link(bar.href, rect, f"{bar.label}: {bar.shown or bar.value}"))
        body.append(
            f'<text x="{x + column / 2}" y="{base_y - height - 4:.2f}" text-anchor="middle">'
            f"{escape(bar.shown or str(bar.value))}</text>"
        )
        body.append(
            f'<text x="{x + column / 2}" y="{base_y + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x + column / 2} {base_y + 14})">'
            f"{escape(_short(bar.label, 22))}<title>{escape(bar.label)}</title></text>"
        )
    return _svg(80 + len(bars) * column, base_y + 130, title, desc, body)


def heat_color(fraction: float) -> str:
    """From white (0) to a deep blue (1): lightness is what the eye reads as "more"."""
    fraction = max(0.0, min(1.0, fraction))
    red = round(255 - fraction * (255 - 8))
    green = round(255 - fraction * (255 - 48))
    blue = round(255 - fraction * (255 - 107))
    return f"#{red:02x}{green:02x}{blue:02x}"


@dataclass
class Cell:
    value: float
    shown: str
    href: str = ""


def heatmap(title: str, desc: str, labels: list[str], cells: dict[tuple[int, int], Cell]) -> str:
    """A square grid: the cell (i, j) of row i and column j, darker for larger values."""
    size, left, top_margin = 18, 230, 180
    top = max((c.value for c in cells.values()), default=0) or 1
    n = len(labels)
    body = []
    for i, label in enumerate(labels):
        y = top_margin + i * size
        body.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(_short(label))}'
            f"<title>{escape(label)}</title></text>"
        )
        x = left + i * size + 12
        body.append(
            f'<text x="{x}" y="{top_margin - 6}" transform="rotate(-60 {x} {top_margin - 6})">'
            f"{escape(_short(label))}<title>{escape(label)}</title></text>"
        )
    escaped = [_attr(label) for label in labels]  # once, not in each of n² cells
    for (i, j), cell in cells.items():
        x, y = left + j * size, top_margin + i * size
        name = f"{escaped[i]} × {escaped[j]}: {_attr(cell.shown)}"
        rect = (
            f'<rect class="cell" x="{x}" y="{y}" width="{size - 1}" height="{size - 1}" '
            f'fill="{heat_color(cell.value / top)}" data-value="{cell.value}">'
            f"<title>{name}</title></rect>"
        )
        body.append(
            f'<a href="{escape(cell.href)}" aria-label="{name}">{rect}</a>' if cell.href else rect
        )
    body.append(
        f'<rect x="{left - 0.5}" y="{top_margin - 0.5}" width="{n * size}" height="{n * size}" '
        'fill="none" stroke="#999"/>'
    )
    return _svg(left + n * size + 20, top_margin + n * size + 20, title, desc, body)


@dataclass
class Node:
    label: str
    weight: float
    color: str
    href: str = ""


@dataclass
class Edge:
    a: int
    b: int
    weight: float
    shown: str
    href: str = ""


def network(title: str, desc: str, nodes: list[Node], edges: list[Edge]) -> str:
    """Codes on a circle in codebook order (themes stay together; the same data, the same
    picture), each a disc sized by its codings, joined by curves as thick as their weight."""
    radius, centre = 260, 420
    count = max(len(nodes), 1)
    points = [
        (
            centre + radius * math.cos(2 * math.pi * k / count - math.pi / 2),
            centre + radius * math.sin(2 * math.pi * k / count - math.pi / 2),
        )
        for k in range(len(nodes))
    ]
    top_edge = max((e.weight for e in edges), default=0) or 1
    top_node = max((n.weight for n in nodes), default=0) or 1
    body = []
    for edge in sorted(edges, key=lambda e: e.weight):
        (x1, y1), (x2, y2) = points[edge.a], points[edge.b]
        qx, qy = (x1 + x2) / 2 * 0.6 + centre * 0.4, (y1 + y2) / 2 * 0.6 + centre * 0.4
        width = 0.5 + 7.5 * edge.weight / top_edge
        path = (
            f'<path class="edge" d="M{x1:.1f},{y1:.1f} Q{qx:.1f},{qy:.1f} {x2:.1f},{y2:.1f}" '
            f'fill="none" stroke="#3b5b92" stroke-opacity="{0.25 + 0.6 * edge.weight / top_edge:.2f}" '
            f'stroke-width="{width:.2f}" data-value="{edge.weight}">'
            f"<title>{escape(nodes[edge.a].label)} — {escape(nodes[edge.b].label)}: "
            f"{escape(edge.shown)}</title></path>"
        )
        label = f"{nodes[edge.a].label} — {nodes[edge.b].label}: {edge.shown}"
        body.append(_link(edge.href, path, label))
    for k, node in enumerate(nodes):
        x, y = points[k]
        r = 4 + 12 * math.sqrt(node.weight / top_node)
        circle = (
            f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{escape(node.color)}" '
            f'stroke="#333" data-value="{node.weight}"><title>{escape(node.label)}</title></circle>'
        )
        body.append(_link(node.href, circle, node.label))
        angle = math.degrees(math.atan2(y - centre, x - centre))
        flip = abs(angle) > 90
        lx, ly = (
            centre + (radius + r + 6) * math.cos(math.radians(angle)),
            centre + (radius + r + 6) * math.sin(math.radians(angle)),
        )
        body.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{"end" if flip else "start"}" '
            f'transform="rotate({angle + 180 if flip else angle:.1f} {lx:.1f} {ly + 4:.1f})">'
            f"{escape(_short(node.label, 26))}</text>"
        )
    return _svg(2 * centre, 2 * centre, title, desc, body)


@dataclass
class Lane:
    label: str
    color: str
    passages: list[tuple[int, int]]
    href: str = ""


@dataclass
class Band:
    """One interview of a codeline: a title and one lane per code."""

    label: str
    length: int
    lanes: list[Lane]
    href: str = ""


def strips(title: str, desc: str, bands: list[Band], *, lane: int = 14) -> str:
    """Each interview a strip from its start (left) to its end (right); in it one lane per code,
    its passages in the code's colour at their fraction of the text."""
    left, width, gap = 240, 640, 14
    body, y = [], 10
    for band in bands:
        heading = (
            f'<text x="4" y="{y + 12}" font-weight="bold">{escape(_short(band.label, 60))}</text>'
        )
        body.append(_link(band.href, heading, band.label))
        y += 18
        for item in band.lanes:
            body.append(
                f'<text x="{left - 6}" y="{y + lane - 3}" text-anchor="end" '
                f'font-size="{min(12, lane - 1)}">'
                f"{escape(_short(item.label))}<title>{escape(item.label)}</title></text>"
                f'<rect x="{left}" y="{y}" width="{width}" height="{lane - 2}" fill="#f1f2f4"/>'
            )
            scale = width / max(band.length, 1)
            for start, end, count in drawn(item.passages, scale):
                x = left + start * scale
                w = max((end - start) * scale, 0.6)
                shown = f"{item.label}: {start}–{end}"
                if count > 1:
                    shown += " " + ngettext("(%(n)d passage)", "(%(n)d passages)", count) % {
                        "n": count
                    }
                rect = (
                    f'<rect class="passage" x="{x:.3f}" y="{y}" width="{w:.3f}" '
                    f'height="{lane - 2}" fill="{escape(item.color)}" data-start="{start}" '
                    f'data-end="{end}"><title>{escape(shown)}</title></rect>'
                )
                body.append(_link(f"{item.href}?at={start}-{end}" if item.href else "", rect, ""))
            y += lane
        y += gap
    return _svg(left + width + 20, y + 10, title, desc, body)


# Passages of one lane closer than this on the drawing (in SVG units, a pixel at 100 %) are drawn
# as one: a 640-unit strip of a 70,000-character interview gives a unit to 110 characters, so a
# coder's passages one character apart were separate rectangles no one could tell or click apart.
# Twenty interviews of 500 codings drew 5,900 of them, a page of 1.5 MB.
MERGE_GAP = 1.0


def drawn(passages: list[tuple[int, int]], scale: float) -> list[tuple[int, int, int]]:
    """(start, end, passages) of what a lane draws of its `passages` (sorted, in characters) at
    `scale` units a character: those less than MERGE_GAP apart make one."""
    merged: list[list[int]] = []
    for start, end in passages:
        if merged and (start - merged[-1][1]) * scale < MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += 1
        else:
            merged.append([start, end, 1])
    return [(start, end, count) for start, end, count in merged]


@dataclass
class Meter:
    """One cell of the progress grid: the share of the text coded, and its review states."""

    coded: float  # 0–1
    approved: int
    pending: int
    needs_change: int
    shown: str
    href: str = ""


STATE_COLORS = {"approved": "#59a14f", "pending": "#edc948", "needs_change": "#e15759"}


def progress(
    title: str, desc: str, rows: list[str], columns: list[str], cells: dict[tuple[int, int], Meter]
) -> str:
    """Interviews × coders: a bar for the share of the text coded, and under it the codings'
    review states (approved, pending, needs change) side by side in proportion."""
    left, top_margin, column, row = 240, 40, 130, 26
    body = []
    for j, name in enumerate(columns):
        body.append(
            f'<text x="{left + j * column + 4}" y="{top_margin - 10}" font-weight="bold">'
            f"{escape(_short(name, 18))}</text>"
        )
    for i, name in enumerate(rows):
        y = top_margin + i * row
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(_short(name))}'
            f"<title>{escape(name)}</title></text>"
        )
        for j in range(len(columns)):
            meter = cells.get((i, j))
            x = left + j * column + 4
            body.append(
                f'<rect x="{x}" y="{y + 3}" width="{column - 12}" height="10" fill="#eee"/>'
            )
            if meter is None:
                continue
            parts = [
                f'<rect class="coded" x="{x}" y="{y + 3}" width="{meter.coded * (column - 12):.2f}" '
                f'height="10" fill="#4e79a7"><title>{escape(meter.shown)}</title></rect>'
            ]
            total = meter.approved + meter.pending + meter.needs_change or 1
            offset = 0.0
            for state in ("approved", "pending", "needs_change"):
                share = getattr(meter, state) / total * (column - 12)
                parts.append(
                    f'<rect class="state-{state}" x="{x + offset:.2f}" y="{y + 15}" '
                    f'width="{share:.2f}" height="5" fill="{STATE_COLORS[state]}"/>'
                )
                offset += share
            body.append(_link(meter.href, "".join(parts), meter.shown))
    return _svg(
        left + len(columns) * column + 20, top_margin + len(rows) * row + 20, title, desc, body
    )
