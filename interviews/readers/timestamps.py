"""Timestamps written inside transcripts: recognised, taken out of the text, and kept as timed marks.

Forms recognised:
- `[00:01:02]`, `[01:02]`, `[00:01:02.345]`, `(00:01:02)`, `(01:02)` anywhere in a line;
- `[00:00.000 --> 00:07.600]` and `00:01:02.345 --> 00:01:05.000` ranges (Whisper-style exports);
- `00:01:02` or `00:01:02.345` opening a line (bare: with hours, or with a fraction of a second);
- `#00:01:02-3#` (f4/f5 transcription software: tenths after the dash), usually ending a paragraph.

One bracketed or bare time could be part of what someone said ("rendez-vous à (10:30)"), so those
count only when the text has at least two; the f4/f5 form is unambiguous.

A timestamp is a point: the text from it to the next one is what was said between the two times.
When the timestamps end their lines (f4/f5 writes the time at the end of each paragraph), the first
stretch starts at the beginning of the text and of the recording.
"""

import re

from interviews.readers import Anchors

TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# A bare time opening a line must look like a timestamp, not like "10:30 on est parti".
STRICT_TIME = r"(?:\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?|\d{1,2}:\d{2}[.,]\d{1,3})"
ARROW = r"[ \t]*-{1,2}>[ \t]*"
STAMPS = re.compile(
    rf"#(?P<f4>\d{{1,2}}:\d{{2}}:\d{{2}})(?:-(?P<tenths>\d{{1,3}}))?#"
    rf"|\[(?P<bracket>{TIME})(?:{ARROW}(?P<bracket_end>{TIME}))?\]"
    rf"|\((?P<paren>{TIME})\)"
    rf"|^[ \t]*(?P<bare>{STRICT_TIME})(?:{ARROW}(?P<bare_end>{TIME}))?(?=[ \t]|$)",
    re.MULTILINE,
)


def seconds(value: str) -> float | None:
    """ "01:02:03.5" → 3723.5; None when it is not a time (minutes or seconds past 59)."""
    whole, _sep, fraction = value.replace(",", ".").partition(".")
    parts = [int(part) for part in whole.split(":")]
    if any(part > 59 for part in parts[1:]):
        return None
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, secs = parts
    return hours * 3600 + minutes * 60 + secs + (float(f"0.{fraction}") if fraction else 0.0)


def take_out(text: str, anchors: Anchors) -> tuple[str, list[tuple[int, float, float | None]]]:
    """`text` with its timestamps replaced by anchors, and the points (anchor, time, end time)."""
    found = []
    for match in STAMPS.finditer(text):
        if match["f4"]:
            start = seconds(match["f4"])
            if start is not None and match["tenths"]:
                start += int(match["tenths"]) / 10 ** len(match["tenths"])
            end = None
        else:
            start = seconds(match["bracket"] or match["paren"] or match["bare"])
            end_text = match["bracket_end"] or match["bare_end"]
            end = seconds(end_text) if end_text else None
        if start is not None:
            found.append((match, start, end))
    if sum(1 for match, _s, _e in found if not match["f4"]) < 2:
        found = [item for item in found if item[0]["f4"]]
    if not found:
        return text, []
    pieces, points, position, trailing = [], [], 0, 0
    for match, start, end in found:
        begin, finish = match.start(), match.end()
        line_end = text.find("\n", finish)
        line_end = len(text) if line_end < 0 else line_end
        line_start = text.rfind("\n", 0, begin) + 1
        finish += len(text[finish:line_end]) - len(text[finish:line_end].lstrip(" \t"))
        if finish == line_end and text[line_start:begin].strip():
            trailing += 1  # it ends a line of text: take the spaces before it too
            begin -= len(text[line_start:begin]) - len(text[line_start:begin].rstrip(" \t"))
        number, anchor = anchors.place()
        pieces += [text[position:begin], anchor]
        points.append((number, start, end))
        position = finish
    pieces.append(text[position:])
    if trailing > len(found) / 2:
        number, anchor = anchors.place()
        pieces.insert(0, anchor)
        points.insert(0, (number, 0.0, None))
    return "".join(pieces), points


def marks_between(points: list[tuple[int, float, float | None]], length: int):
    """(start, end, time_start, time_end) from points already resolved to (offset, time, end):
    each stretch runs from one point to the next, or to the end of the text."""
    points = sorted(points, key=lambda point: point[0])
    for index, (offset, start, end) in enumerate(points):
        following = points[index + 1] if index + 1 < len(points) else None
        stop = following[0] if following else length
        if end is None and following:
            end = following[1]
        if stop > offset:
            yield offset, stop, start, end if end is not None and end >= start else None
