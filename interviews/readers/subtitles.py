"""Timed transcripts: WebVTT, SubRip, SubStation Alpha (.ass/.ssa) and oTranscribe (.otr).

Every cue keeps its start and end time as a mark on its text. Cues become paragraphs; consecutive
cues of one voice (`<v Marie>`, the Name field of .ass) are joined into one turn "Marie : …". A
speaker written at the start of a cue ("MARIE : …", "[Alba] …") is kept as written and reported as a
label when it looks like a name; a cue whose lines open with dialogue dashes ("- Oui.\\n- Non.") is
two speakers, one line each. Markup is dropped: HTML-like tags, .ass override blocks (`{\\an8}`),
`\\N` line breaks and `\\h` hard spaces.
"""

import html
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from interviews.readers import Anchors, Extracted, TimeMark, Unreadable
from interviews.transcripts import looks_like_name, written_label

DASH = re.compile(r"^[-–—]\s*")


@dataclass
class Cue:
    start: float
    end: float | None
    text: str  # lines separated by "\n", markup still in
    voice: str = ""


def read_webvtt(text: str, kind: str) -> Extracted:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=kind)
    except MalformedFileError:
        raise Unreadable(
            _("This is not a valid %(format)s subtitle file.")
            % {"format": "WebVTT" if kind == "vtt" else "SubRip"}
        ) from None
    cues = [
        Cue(
            caption.start_time.in_milliseconds() / 1000,
            caption.end_time.in_milliseconds() / 1000,
            caption.text,
            (caption.voice or "").strip(),
        )
        for caption in captions
    ]
    return from_cues(cues)


def read_substation(text: str) -> Extracted:
    """The Dialogue lines of the [Events] section, in time order."""
    section, columns, cues = "", [], []
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line.lower()
            continue
        key, _sep, value = line.partition(":")
        if section != "[events]" or not value:
            continue
        if key.strip().lower() == "format":
            columns = [column.strip().lower() for column in value.split(",")]
        elif key.strip().lower() == "dialogue" and columns:
            row = dict(zip(columns, value.strip().split(",", len(columns) - 1), strict=False))
            start, end = _ass_time(row.get("start", "")), _ass_time(row.get("end", ""))
            if start is not None:
                cues.append(Cue(start, end, row.get("text", ""), row.get("name", "").strip()))
    if not columns:
        raise Unreadable(_("This is not a valid SubStation Alpha (.ass) subtitle file."))
    cues.sort(key=lambda cue: cue.start)  # stable: lines of one time stay in file order
    return from_cues(cues)


def _ass_time(value: str) -> float | None:
    found = re.fullmatch(r"\s*(\d+):(\d{1,2}):(\d{1,2})(?:\.(\d{1,3}))?\s*", value)
    if not found:
        return None
    hours, minutes, seconds, fraction = found.groups()
    fraction = float(f"0.{fraction}") if fraction else 0.0
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + fraction


def from_cues(cues: list[Cue]) -> Extracted:
    anchors = Anchors()
    paragraphs, marks, labels, possible, voice = [], [], [], [], None
    for cue in cues:
        parts = _parts(cue.text)
        if not parts:
            continue
        (start, opening), (end, closing) = anchors.place(), anchors.place()
        marks.append(TimeMark(start, end, cue.start, cue.end))
        text = opening + "\n".join(parts) + closing
        if cue.voice and len(parts) == 1:
            if cue.voice == voice:
                paragraphs[-1] += " " + text
                continue
            voice = cue.voice
            labels.append(voice)
            paragraphs.append(f"{voice} : {text}")
            continue
        voice = None
        for part in parts:
            label, certain = written_label(part)
            (labels if certain else possible).append(label)
        paragraphs.append(text)
    if labels:  # "Martine : …" names a speaker in a file where others are certainly named
        labels += [label for label in possible if label]
    return Extracted("\n\n".join(paragraphs), labels=list(dict.fromkeys(labels)), marks=marks)


def _parts(text: str) -> list[str]:
    """A cue's text without markup: one line, or one line per speaker when dialogue dashes open
    its lines."""
    text = re.sub(r"\{\\[^}]*\}", "", text)  # .ass override blocks, also found in .srt files
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    text = html.unescape(re.sub(r"</?[a-zA-Z][^>]*>", "", text))
    lines = [re.sub(r"[ \t]+", " ", line).strip(" \t") for line in text.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 1 and any(DASH.match(line) for line in lines[1:]):
        parts = []
        for line in lines:
            if DASH.match(line) or not parts:
                parts.append(DASH.sub("", line))
            else:
                parts[-1] += " " + line
        return [part for part in parts if part]
    return [" ".join(lines)] if lines else []


# oTranscribe ----------------------------------------------------------------------------------------


def read_otr(text: str) -> Extracted:
    """An oTranscribe file: JSON whose "text" is the transcript in HTML, with timestamps as
    `<span class="timestamp" data-timestamp="12.1">00:12</span>` and speakers often in bold."""
    try:
        document = json.loads(text)
        body = document["text"]
    except (ValueError, KeyError, TypeError):
        raise Unreadable(_("This is not a valid oTranscribe (.otr) file.")) from None
    if not isinstance(body, str):
        raise Unreadable(_("This is not a valid oTranscribe (.otr) file."))
    parser = _OtrParser()
    parser.feed(body)
    parser.close()
    return Extracted(
        "".join(parser.pieces),
        labels=list(dict.fromkeys(parser.labels)),
        points=parser.points,
    )


class _OtrParser(HTMLParser):
    BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors = Anchors()
        self.pieces, self.points, self.labels = [], [], []
        self.skip = 0  # inside a timestamp span, whose text is the time again
        self.bold: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.skip:
            self.skip += tag == "span"
        elif tag == "span" and "timestamp" in (attributes.get("class") or "").split():
            self.skip = 1
            try:
                seconds = float(attributes.get("data-timestamp") or "")
            except ValueError:
                return
            number, anchor = self.anchors.place()
            self.pieces.append(anchor)
            self.points.append((number, seconds, None))
        elif tag == "br":
            self.pieces.append("\n")
        elif tag in self.BLOCKS:
            self.pieces.append("\n\n")
        elif tag in ("b", "strong"):
            self.bold = []

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= tag == "span"
        elif tag in self.BLOCKS:
            self.pieces.append("\n\n")
        elif tag in ("b", "strong") and self.bold is not None:
            label = "".join(self.bold).strip().rstrip(":").strip()
            if label and looks_like_name(label):
                self.labels.append(label)
            self.bold = None

    def handle_data(self, data):
        if self.skip:
            return
        self.pieces.append(data)
        if self.bold is not None:
            self.bold.append(data)
