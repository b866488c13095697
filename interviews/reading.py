"""One uploaded file, read and pseudonymised: the step that runs in the isolated reader.

`services.prepare` runs `prepare_file` (and, for a .zip, `archives.zip_listing`) in a child process
with a memory and CPU ceiling (jobs/isolation.py), so a file built to exhaust a reader fails alone,
and the original text never even reaches the web process: the child returns it pseudonymised. This
module imports no model (the child has no database and no apps), only the readers and the
pseudonymiser.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from interviews import formats
from interviews.pseudonyms import Pseudonymiser

NAME_LENGTH, FORMAT_LENGTH = 255, 16  # ImportFile.name and .format (a test checks they agree)


@dataclass
class Prepared:
    """One uploaded transcript, pseudonymised, or the reason it cannot be imported (`error`)."""

    name: str
    format: str = ""
    text: str = ""
    encoding: str = ""
    encoding_sure: bool = True
    alternatives: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    replacements: list[list] = field(default_factory=list)  # [real name, pseudonym, count]
    # {encoding: [[start, end, time start, time end], …]}: see ImportFile.marks.
    marks: dict[str, list[list]] = field(default_factory=dict)
    comments: list[dict] = field(default_factory=list)  # {"start", "end", "text", "author"}
    notices: list[str] = field(default_factory=list)
    error: str = ""

    def __post_init__(self):
        # Names come from uploads and zip members, of any length and with any character: kept to
        # what ImportFile's columns hold, so that storing the draft never fails mid-page.
        # (The lengths of ImportFile's columns: this module imports no model.)
        self.name = self.name.replace("\x00", "")[:NAME_LENGTH]
        self.format = self.format[:FORMAT_LENGTH]


def safe_name(name: str, pseudonymiser: Pseudonymiser) -> str:
    # File names often carry the participant's real name ("Entretien Martine Dupont.docx").
    return pseudonymiser.apply(PurePosixPath(name).name)[:255]


def prepare_file(
    name: str, data: bytes, rules: list[tuple[str, str]], encoding: str | None, language: str
) -> Prepared:
    """The transcript in `data`, read and pseudonymised with `rules`; `Unreadable` says why not."""
    pseudonymiser = Pseudonymiser(rules)
    extracted = formats.read_transcript(name, data, encoding, language=language)
    counts = Counter()
    # Names are replaced by pseudonyms of other lengths: marks and comments move with the text.
    spans = [(c.start, c.end) for c in extracted.comments] + [
        (m.start, m.end) for m in extracted.marks
    ]
    text, spans = pseudonymiser.apply_spans(extracted.text, spans, counts)
    comments = [
        {
            "start": start,
            "end": end,
            "text": pseudonymiser.apply(comment.text),
            "author": pseudonymiser.apply(comment.author),
        }
        for comment, (start, end) in zip(extracted.comments, spans, strict=False)
    ]
    readings = {extracted.encoding: _marks(extracted.marks, spans[len(comments) :])}
    alternatives = {}
    for codec, other in extracted.alternatives.items():
        marks = extracted.alternative_marks.get(codec, [])
        other, moved = pseudonymiser.apply_spans(other, [(m.start, m.end) for m in marks])
        alternatives[codec], readings[codec] = other, _marks(marks, moved)
    return Prepared(
        name=safe_name(name, pseudonymiser),
        format=extracted.format,
        text=text,
        encoding=extracted.encoding,
        encoding_sure=extracted.encoding_sure,
        alternatives=alternatives,
        labels=[pseudonymiser.apply(label) for label in extracted.labels],
        replacements=[[r.real_name, r.pseudonym, r.count] for r in pseudonymiser.report(counts)],
        marks={codec: marks for codec, marks in readings.items() if marks},
        comments=comments,
        notices=extracted.notices,
    )


def _marks(marks, spans) -> list[list]:
    """Marks as [start, end, time start, time end], at their pseudonymised `spans`."""
    return [
        [start, end, mark.time_start, mark.time_end]
        for mark, (start, end) in zip(marks, spans, strict=True)
        if end > start
    ]
