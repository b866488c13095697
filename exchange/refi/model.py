"""What a REFI-QDA project holds, as far as Verbatim reads and writes it.

Plain dataclasses, no Django. Every GUID is lower-case without braces; every text position is a
Unicode code point index into `TextSource.text`, end exclusive (Python `str` slicing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")

# A variable's value, typed after its variable: Text str, Boolean bool, Integer int, Float Decimal,
# Date date, DateTime datetime; None when the file gave no (readable) value.
Value = str | bool | int | Decimal | dt.date | dt.datetime | None


class RefiError(Exception):
    """The file cannot be read (or written) at all. `str(error)` is meant for the researcher;
    `code` is a stable key a caller may translate or test against."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code

    def __reduce__(self):
        # Raised in the isolated reader's process and re-raised here: the code must survive.
        return (type(self), (str(self), self.code))


@dataclass
class Loss:
    """Something in the file that the import leaves out (REFI-QDA 1.5, section 7: warn the user).

    kind: a stable key, e.g. "pdf_selection", "picture_source", "audio_source", "video_source",
    "graph", "link", "set", "source_without_text", "unaligned_selection", "uncertain_alignment",
    "rich_text", "source_coding", "unknown_code", "note_selection"."""

    kind: str
    count: int
    detail: str


@dataclass
class User:
    guid: str
    name: str = ""


@dataclass
class Code:
    guid: str
    name: str
    color: str | None = None  # '#rrggbb' lower-case
    description: str = ""
    is_codable: bool = True  # False: a folder (category) that only groups codes
    children: list[Code] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)

    def walk(self):
        """This code and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Coding:
    guid: str
    code_guid: str
    creating_user: str | None = None
    creation_datetime: dt.datetime | None = None
    note_refs: list[str] = field(default_factory=list)  # notes on this coding alone


@dataclass
class Selection:
    guid: str
    start: int  # code points of the source's text, end exclusive
    end: int
    name: str = ""
    creating_user: str | None = None
    creation_datetime: dt.datetime | None = None
    description: str = ""
    note_refs: list[str] = field(default_factory=list)
    codings: list[Coding] = field(default_factory=list)


@dataclass(frozen=True)
class Unit:
    """The unit a producing tool counted `startPosition`/`endPosition` in.

    code_unit: "codepoint" (the standard) or "utf16" (NVivo: characters beyond U+FFFF count two).
    line_breaks: "as_stored" (each stored character counts: CRLF two, LF one, as the standard says),
    "one" (every line break counts one, CRLF included: ATLAS.ti) or "two" (every line break counts two,
    even a lone LF). bom_counted: a byte order mark at the start of the file counted as a character.
    """

    code_unit: str = "codepoint"
    line_breaks: str = "as_stored"
    bom_counted: bool = False

    @property
    def is_standard(self) -> bool:
        return self == Unit()

    def describe(self) -> str:
        unit = "UTF-16 code units" if self.code_unit == "utf16" else "Unicode code points"
        breaks = {
            "as_stored": "line breaks counted as stored",
            "one": "each line break counted as one character",
            "two": "each line break counted as two characters",
        }[self.line_breaks]
        bom = ", byte order mark counted" if self.bom_counted else ""
        return f"{unit}, {breaks}{bom}"


@dataclass
class Alignment:
    """How the positions of one source were read: the unit chosen and the evidence for it."""

    unit: Unit
    selections: int  # selections judged
    fitting: int  # that fall inside the text in this unit
    clean_ends: int  # selection ends (two per selection) that do not split a word
    name_matches: int = 0  # selections whose `name` (ATLAS.ti puts the quoted text there) matches
    runner_up: Unit | None = None
    runner_up_clean_ends: int | None = None

    def describe(self) -> str:
        return (
            f"{self.unit.describe()}: {self.fitting} of {self.selections} selections inside the "
            f"text, {self.clean_ends} of {2 * self.selections} ends on word boundaries"
        )


@dataclass
class VariableValue:
    variable_guid: str
    value: Value


@dataclass
class TextSource:
    guid: str
    name: str
    text: str  # the exact text of the plain-text file, byte order mark removed
    selections: list[Selection] = field(default_factory=list)
    description: str = ""
    note_refs: list[str] = field(default_factory=list)
    variable_values: list[VariableValue] = field(default_factory=list)
    creating_user: str | None = None
    creation_datetime: dt.datetime | None = None
    modified_datetime: dt.datetime | None = None
    kind: str = "text"  # "text", or "pdf" when this is the plain-text representation of a PDFSource
    alignment: Alignment | None = None  # None when the source had no selections


@dataclass
class SkippedSource:
    """A source that is listed but not imported (picture, audio, video, unreadable text…)."""

    guid: str
    name: str
    kind: str  # "picture", "pdf", "audio", "video", "text"
    reason: str


@dataclass
class Variable:
    guid: str
    name: str
    type: str = "Text"  # one of VARIABLE_TYPES
    description: str = ""


@dataclass
class Case:
    guid: str
    name: str = ""
    description: str = ""
    variable_values: list[VariableValue] = field(default_factory=list)
    source_refs: list[str] = field(default_factory=list)
    code_refs: list[str] = field(default_factory=list)
    selection_refs: list[str] = field(default_factory=list)


@dataclass
class Note:
    guid: str
    name: str = ""
    text: str = ""
    description: str = ""
    creating_user: str | None = None
    creation_datetime: dt.datetime | None = None
    modified_datetime: dt.datetime | None = None


@dataclass
class Set:
    guid: str
    name: str
    description: str = ""
    member_codes: list[str] = field(default_factory=list)
    member_sources: list[str] = field(default_factory=list)
    member_notes: list[str] = field(default_factory=list)


@dataclass
class Project:
    name: str = ""
    origin: str | None = None
    description: str = ""
    creating_user: str | None = None
    creation_datetime: dt.datetime | None = None
    modified_datetime: dt.datetime | None = None
    users: list[User] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)  # the roots of the code tree
    sources: list[TextSource] = field(default_factory=list)
    skipped_sources: list[SkippedSource] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    sets: list[Set] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)

    def all_codes(self):
        """Every code of the tree, depth first."""
        for code in self.codes:
            yield from code.walk()

    def loss(self, kind: str) -> int:
        """How many items of one kind the import left out (0 if none)."""
        return sum(loss.count for loss in self.losses if loss.kind == kind)
