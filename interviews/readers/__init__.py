"""Readers of transcript files, one module per family (text, word, opendocument, pdf, subtitles,
archives); `interviews.formats.read_transcript` picks one by extension and finishes its work.

What a reader returns (`Extracted`): the text (paragraphs on their own lines, speaker turns written
"Label : …" so that `transcripts.parse_turns` finds them whatever the format), the speaker labels the
format marks itself, timed marks (a subtitle cue, or the text between two timestamps of a transcript),
comments with the passage they anchor, and notices saying what the reader did that the admin should
know (footnotes moved, tracked changes accepted…).

Offsets of marks and comments count code points of the returned text, end exclusive. A reader cannot
know them while it writes, since the text is cleaned afterwards (`clean_text`: newlines, accents
composed, blank lines); so it writes an *anchor* where a mark or a comment starts or ends, a
private-use character that cleaning keeps in place, and `resolve()` turns the anchors into offsets.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class Unreadable(ValueError):
    """The file cannot be imported; the message says why, in words for the admin."""


@dataclass
class TimeMark:
    """A stretch [start, end) of the text tied to the recording from `time_start` to `time_end`
    (seconds; `time_end` None when the file does not say)."""

    start: int
    end: int
    time_start: float
    time_end: float | None = None


@dataclass
class Comment:
    """A comment of a word processor, on the passage [start, end) of the text."""

    start: int
    end: int
    text: str
    author: str = ""


@dataclass
class Extracted:
    text: str
    format: str = ""
    encoding: str = ""
    encoding_sure: bool = True
    # Other plausible readings of a text file, by encoding, when detection is unsure.
    alternatives: dict[str, str] = field(default_factory=dict)
    alternative_marks: dict[str, list[TimeMark]] = field(default_factory=dict)
    # Speaker labels the format marks itself (bold names in Word, voice tags in WebVTT).
    labels: list[str] = field(default_factory=list)
    marks: list[TimeMark] = field(default_factory=list)
    # Timestamps found in the text as (anchor, seconds): `formats` turns them into marks.
    points: list[tuple[int, float]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


# Anchors -------------------------------------------------------------------------------------------

# Supplementary Private Use Area-A: no transcript uses it, and every step of clean_text keeps it.
ANCHOR_BASE = 0xF0000
ANCHOR_LAST = 0xFFFFD
ANCHOR = "[\U000f0000-\U000ffffd]"


class Anchors:
    """Numbers anchors for one reading; `place()` gives the character to write in the text."""

    def __init__(self):
        self.count = 0

    def place(self) -> tuple[int, str]:
        number = self.count
        self.count += 1
        if ANCHOR_BASE + number > ANCHOR_LAST:
            raise Unreadable(_("The file has too many timestamps or comments."))
        return number, chr(ANCHOR_BASE + number)


def strip_foreign_anchors(text: str) -> str:
    """The text of a file, without characters that would be taken for anchors."""
    return re.sub(ANCHOR, "", text)


def resolve(text: str) -> tuple[str, dict[int, int]]:
    """The text without its anchors, and the offset of each anchor in it."""
    positions, pieces, last = {}, [], 0
    for removed, match in enumerate(re.finditer(ANCHOR, text)):
        pieces.append(text[last : match.start()])
        positions[ord(match[0]) - ANCHOR_BASE] = match.start() - removed
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces), positions


# Cleaning ------------------------------------------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
NEWLINES = re.compile(r"[\f\v\u2028\u2029\x1c-\x1e\x85]")


def clean_text(text: str) -> str:
    """One newline convention, no control characters, composed accents, no trailing blanks.

    Anchors stay where they are (see the module's docstring); without any, this is the plain cleaning
    every reader's text went through before anchors existed.
    """
    if not re.search(ANCHOR, text):
        text = _clean_characters(text)
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    # Characters are cleaned between anchors, so that none is composed across one.
    pieces = re.split(f"({ANCHOR})", text)
    text = "".join(p if re.fullmatch(ANCHOR, p) else _clean_characters(p) for p in pieces)
    text = re.sub(rf"(?:[^\S\n]|{ANCHOR})+(?=\n|\Z)", _anchors_only, text)
    text = re.sub(rf"\n(?:{ANCHOR}*\n){{2,}}", lambda m: _anchors_only(m) + "\n\n", text)
    text = re.sub(rf"\A(?:{ANCHOR}|\n)+", _anchors_only, text)
    return re.sub(rf"(?:{ANCHOR}|\n)+\Z", _anchors_only, text)


def _clean_characters(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = NEWLINES.sub("\n", text)
    return CONTROL.sub("", unicodedata.normalize("NFC", text))


def _anchors_only(match: re.Match) -> str:
    return "".join(re.findall(ANCHOR, match[0]))
