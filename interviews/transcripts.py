"""Reading transcripts: find speaker turns in plain text, and cut stored text into display blocks.

All offsets are Unicode code points of the text (Python str indices), end exclusive.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

# "Intervieweuse : …", "P1: …", "[00:12:04] Marc : …" at the start of a line. French typography puts
# a (no-break) space before the colon. A label is short and starts with a letter.
TURN_START = re.compile(
    r"^(?:\[(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\][ \t]*)?"
    r"(?P<label>[^\W\d_][\w·.'’() -]{0,39}?)[ \t\u00a0\u202f]?:[ \t\u00a0\u202f]+(?=\S)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class ParsedTurn:
    label: str
    start: int  # first character of the utterance, after "Label : "
    end: int  # after its last non-space character
    timestamp: timedelta | None = None


def parse_turns(
    text: str, *, labels: set[str] | None = None, min_occurrences: int = 2
) -> list[ParsedTurn]:
    """Speaker turns found in `text`, optionally only those of the known speaker `labels`.

    Without `labels`, a line prefix only counts as a speaker label when the same label opens at least
    `min_occurrences` lines, so that a sentence like "Bref : on a attendu" is not taken for a speaker.
    """
    matches = list(TURN_START.finditer(text))
    counts = Counter(m["label"].strip() for m in matches)
    if labels is not None:
        matches = [m for m in matches if m["label"].strip() in labels]
    else:
        matches = [m for m in matches if counts[m["label"].strip()] >= min_occurrences]
    turns = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        end = match.end() + len(text[match.end() : end].rstrip())
        turns.append(ParsedTurn(match["label"].strip(), match.end(), end, _timestamp(match["ts"])))
    return turns


def _timestamp(value: str | None) -> timedelta | None:
    if not value:
        return None
    parts = [int(p) for p in value.split(":")]
    if len(parts) == 2:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass
class Paragraph:
    start: int
    text: str


@dataclass
class Block:
    """What the transcript page shows as one unit: a speaker's turn, or untagged text."""

    start: int
    end: int
    turn: object = None  # interviews.models.Turn, when the block is one
    paragraphs: list[Paragraph] = field(default_factory=list)


def paragraphs(text: str, start: int, end: int) -> list[Paragraph]:
    """The non-blank lines of text[start:end], each with its offset in the whole text."""
    found, position = [], start
    for line in text[start:end].split("\n"):
        if line.strip():
            found.append(Paragraph(position, line))
        position += len(line) + 1
    return found


def blocks(text: str, turns) -> list[Block]:
    """Cut the stored text into turns (ordered by start) and the untagged text between them.

    Speaker labels between turns are not part of any block: the page shows the speaker's display name.
    Text outside turns that is more than a label (a preamble, notes) becomes a block of its own.
    """
    result, position = [], 0
    for turn in turns:
        gap = text[position : turn.start]
        label_line = gap.rsplit("\n", 1)[-1]
        loose_end = turn.start - len(label_line)
        if text[position:loose_end].strip():
            result.append(Block(position, loose_end, None, paragraphs(text, position, loose_end)))
        result.append(Block(turn.start, turn.end, turn, paragraphs(text, turn.start, turn.end)))
        position = turn.end
    if text[position:].strip():
        result.append(Block(position, len(text), None, paragraphs(text, position, len(text))))
    return result
