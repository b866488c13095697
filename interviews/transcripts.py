"""Reading transcripts: find speaker turns in plain text, and cut stored text into display blocks.

All offsets are Unicode code points of the text (Python str indices), end exclusive.
"""

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

# "Intervieweuse : …", "P1: …", "[00:12:04] Marc : …" at the start of a line. French typography puts
# a (no-break) space before the colon. A label is short and starts with a letter. QualCoder and
# subtitles for the deaf write the speaker in brackets instead: "[id1] …", "[Alba] …".
TURN_START = re.compile(
    r"^(?:\[(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\][ \t]*)?"
    r"(?:(?P<label>[^\W\d_][\w·.'’() -]{0,39}?)[ \t\u00a0\u202f]?:[ \t\u00a0\u202f]+(?=\S)"
    r"|\[(?P<bracketed>[^\W\d_][\w·.'’ -]{0,29})\][ \t\u00a0\u202f]+(?=\S))",
    re.MULTILINE,
)

# Words that name a role in an interview, in French and English, optionally numbered ("P1", "E 2"):
# one line opening with one of them is enough to make it a speaker.
INTERVIEWER_LABEL = re.compile(
    r"(?i)^(?:i|q|int|interviewer|intervieweu(?:r|se)|enqu[êe]t(?:eur|rice|eur·rice)"
    r"|chercheu(?:r|se)|animat(?:eur|rice)|mod[ée]rat(?:eur|rice)|question|facilitat(?:or|eur|rice))"
    r"\s*\d*$"
)
# Labels that say "a participant" without naming them.
GENERIC_LABEL = re.compile(
    r"(?i)^(?:p|r|e|b|befragte[rn]?|participant(?:·?e)?|r[ée]pondant(?:·?e)?|interview[ée](?:·?e)?|interviewee"
    r"|enqu[êe]t[ée](?:·?e)?|r[ée]ponse|answer|respondent|speaker|locut(?:eur|rice))\s*\d*$"
)
# What brackets hold in subtitles besides names: sounds and stage directions.
NOT_SPEAKERS = re.compile(
    r"(?i)^(?:music|musique|música|rires?|laughs?|laughter|risas|applause|applaudissements"
    r"|aplausos|inaudible|silence|silencio|pause|soupir|sighs?|suspiros?|bruit|noise|ruido"
    r"|off|crosstalk|unclear|incompr[ée]hensible|coughs?|tousse|toux|chanson|song|canción"
    r"|narrat(?:or|eur|rice)|voix off|voice over|title|titre|note|nota)\b"
    # Words that open a sentence before a colon more often than they name anyone.
    r"|^(?:bref|donc|alors|enfin|ensuite|puis|attention|exemple|remarque|rappel|r[ée]sultat"
    r"|conclusion|voil[àa]|bon|bien|oui|non|ok|thus|so|well|yes|no|example|result|summary"
    r"|r[ée]sum[ée]|important|pourquoi|comment|digo|dice|pues|bueno)$"
)
# Lowercase words that may sit inside a name ("Marie de la Tour", "Ludwig van Beethoven").
PARTICLES = {
    "de", "du", "des", "la", "le", "les", "d", "l", "van", "von", "der", "den", "di", "da",
    "del", "della", "dos", "das", "bin", "ben", "el", "al", "y", "e", "st", "ste", "mc",
}  # fmt: skip


def is_role(label: str) -> bool:
    return bool(INTERVIEWER_LABEL.match(label) or GENERIC_LABEL.match(label))


def looks_like_name(label: str) -> bool:
    """Whether a label reads as a name or a role, not as the start of a sentence: "Marie",
    "JEAN-PIERRE", "Marie de la Tour", "Dr. Roy", "P1", "id1", "Speaker 2" — not "Règle numéro
    un", "J'ai dit" or "He said"."""
    label = label.strip()
    if is_role(label):
        return True
    if NOT_SPEAKERS.match(label) or not label:
        return False
    words = [word.strip("()") for word in re.split(r"[\s\-'’.]+", label) if word.strip("()")]
    if not 1 <= len(words) <= 4:
        return False
    if re.fullmatch(r"[^\W\d_]{1,10}\d{1,3}", label):  # codes: P1, id1, E02
        return True
    if not words[0][0].isupper():
        return False
    return all(
        word[0].isupper() or word.isdigit() or word.lower() in PARTICLES for word in words[1:]
    )


def written_label(line: str) -> tuple[str, bool]:
    """The speaker a subtitle cue opens with, and whether it is certain, as captions write them.

    Certain: a role, a name in capitals ("MARIE :") or in brackets ("[Alba]"), a code ("P1").
    Possible: capitalised words before a colon with a space, French style ("Martine : …"), which
    count only beside certain ones. Neither: a word glued to its colon ("Thus: …", "Digo: …"), which
    more often opens a sentence than names someone.
    """
    match = TURN_START.match(line)
    if not match:
        return "", False
    label = (match["label"] or match["bracketed"]).strip()
    if not looks_like_name(label):
        return "", False
    letters = [char for char in label if char.isalpha()]
    capitals = len(letters) > 1 and all(char.isupper() for char in letters)
    code = re.fullmatch(r"[^\W\d_]{1,10}\s?\d{1,3}", label)
    if match["bracketed"] or capitals or code or is_role(label):
        return label, True
    spaced = line[len(match["label"]) : len(match["label"]) + 1] in (" ", "\u00a0", "\u202f")
    return (label, False) if spaced else ("", False)


@dataclass(frozen=True)
class ParsedTurn:
    label: str
    start: int  # first character of the utterance, after "Label : "
    end: int  # after its last non-space character
    timestamp: timedelta | None = None


def parse_turns(
    text: str, *, labels: set[str] | None = None, min_occurrences: int = 2, marks=()
) -> list[ParsedTurn]:
    """Speaker turns found in `text`, optionally only those of the known speaker `labels`.

    Without `labels`, a line prefix is a speaker label when it names a role (“Intervieweuse”, “P1”,
    “Q”: once is enough), or when it looks like a name (capitalised words, “id1”) and opens at least
    `min_occurrences` lines, so that a sentence like “Bref : on a attendu” or “J'ai dit : …” is not
    taken for a speaker.

    A turn's timestamp is the one written before its label ("[00:12:04] Marc : …"), else the start
    time of the timed mark over its first character (or of the first mark inside it): `marks` are
    objects with `start`, `end` and `time_start` (seconds or a timedelta), ordered by start.
    """
    starts = [mark.start for mark in marks]
    matches = list(TURN_START.finditer(text))
    found = [(m, (m["label"] or m["bracketed"]).strip()) for m in matches]
    counts = Counter(label for _m, label in found)
    if labels is not None:
        found = [(m, label) for m, label in found if label in labels]
    else:
        found = [
            (m, label)
            for m, label in found
            if is_role(label) or (looks_like_name(label) and counts[label] >= min_occurrences)
        ]
    turns = []
    for index, (match, label) in enumerate(found):
        end = found[index + 1][0].start() if index + 1 < len(found) else len(text)
        end = match.end() + len(text[match.end() : end].rstrip())
        timestamp = _timestamp(match["ts"]) or _start_time(marks, starts, match.end(), end)
        turns.append(ParsedTurn(label, match.end(), end, timestamp))
    return turns


def _start_time(marks, starts: list[int], start: int, end: int) -> timedelta | None:
    index = bisect.bisect_right(starts, start)
    if index and start < marks[index - 1].end:
        found = marks[index - 1]
    elif index < len(marks) and marks[index].start < end:
        found = marks[index]
    else:
        return None
    time = found.time_start
    return time if isinstance(time, timedelta) else timedelta(seconds=time)


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
