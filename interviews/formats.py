"""Reading uploaded files: transcripts of every format (the entry point, `read_transcript`, with the
readers in interviews/readers/), archives, and attribute sheets.

Nothing but text is kept: no markup, images, macros or embedded objects, and nothing is ever written
to disk. Files come from people's computers, so every size is capped before a library gets to
decompress anything (interviews/readers/archives.py).
"""

import csv
import io
import logging
import re
from datetime import date, datetime
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from interviews.readers import (
    ANCHOR,
    ANCHOR_BASE,
    Anchors,
    Comment,
    Extracted,
    TimeMark,
    Unreadable,
    clean_text,
    opendocument,
    pdf,
    resolve,
    strip_foreign_anchors,
    subtitles,
    timestamps,
    word,
)
from interviews.readers import text as plain
from interviews.readers.archives import check_size, open_office_zip, too_large, unpack_zip
from interviews.readers.text import ENCODINGS, all_encodings, codec_name, encoding_label

__all__ = [
    "ENCODINGS",
    "Comment",
    "Extracted",
    "TimeMark",
    "Unreadable",
    "all_encodings",
    "check_size",
    "clean_text",
    "codec_name",
    "encoding_label",
    "read_sheet",
    "read_transcript",
    "too_large",
    "unpack_zip",
]

logger = logging.getLogger(__name__)

TRANSCRIPT_FORMATS = ("txt", "md", "docx", "odt", "pdf", "vtt", "srt", "ass", "ssa", "otr")
SHEET_FORMATS = ("csv", "xlsx")
# Formats that are text in some encoding, decoded before their reader sees them.
TEXT_FORMATS = {"txt", "md", "vtt", "srt", "ass", "ssa", "otr"}
# Formats whose times are their own cues: no timestamps looked for in their text.
TIMED_FORMATS = {"vtt", "srt", "ass", "ssa", "otr"}


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix.lstrip(".")


# Entry point ------------------------------------------------------------------------------------


def read_transcript(
    name: str, data: bytes, encoding: str | None = None, *, language: str = "fr"
) -> Extracted:
    """The text of one transcript file, by its extension; `Unreadable` says what is wrong.

    `encoding` (any name Python knows) overrides detection for text formats; `language` is the
    interview's, which checks the detected encoding. Marks and comments come back as offsets in
    the returned text; `alternatives` holds the other readings when the encoding is unsure.
    """
    kind = extension(name)
    if kind == "doc":
        raise Unreadable(_("Word 97-2003 files (.doc) cannot be read: save it as .docx."))
    if kind not in TRANSCRIPT_FORMATS:
        raise Unreadable(
            _("“.%(ext)s” is not a transcript format Verbatim reads (%(formats)s).")
            % {"ext": kind, "formats": ", ".join(TRANSCRIPT_FORMATS)}
        )
    check_size(data)
    try:
        if kind in TEXT_FORMATS:
            extracted = _read_text_format(kind, data, encoding, language)
        else:
            extracted = _finish(READERS[kind](data), kind)
    except Unreadable:
        raise
    except Exception as error:  # noqa: BLE001
        # Parsers of untrusted files fail in many ways (damaged XML, truncated streams, …): any of
        # them means the same thing to the admin, and the details go to the log.
        logger.warning("Cannot read %s as %s: %r", name, kind, error)
        raise Unreadable(
            _("The file is damaged or is not a real .%(ext)s file.") % {"ext": kind}
        ) from error
    extracted.format = kind
    if not extracted.text.strip():
        raise Unreadable(_("The file contains no text."))
    return extracted


def _read_text_format(kind: str, data: bytes, encoding: str | None, language: str) -> Extracted:
    decoded = plain.decode(data, encoding, language)
    extracted = _finish(_read_decoded(kind, decoded.text), kind)
    extracted.encoding, extracted.encoding_sure = decoded.encoding, decoded.sure
    for codec, text in decoded.others.items():
        try:
            reading = (
                extracted if codec == decoded.encoding else _finish(_read_decoded(kind, text), kind)
            )
        except Unreadable:
            continue  # a reading in which the file is not even valid is no alternative
        extracted.alternatives[codec] = reading.text
        extracted.alternative_marks[codec] = reading.marks
        extracted.labels = list(dict.fromkeys(extracted.labels + reading.labels))
    return extracted


def _read_decoded(kind: str, text: str) -> Extracted:
    text = strip_foreign_anchors(text)
    if kind in ("vtt", "srt"):
        return subtitles.read_webvtt(clean_text(text), kind)
    if kind in ("ass", "ssa"):
        return subtitles.read_substation(clean_text(text))
    if kind == "otr":
        return subtitles.read_otr(text)
    return plain.read_text(text)


def _finish(extracted: Extracted, kind: str) -> Extracted:
    """Take the timestamps out of the text, clean it, and turn anchors into offsets."""
    text = extracted.text
    if kind not in TIMED_FORMATS:
        anchors = Anchors()
        anchors.count = max((ord(c) - ANCHOR_BASE + 1 for c in re.findall(ANCHOR, text)), default=0)
        text, points = timestamps.take_out(text, anchors)
        extracted.points += points
    text, positions = resolve(clean_text(text))
    marks = [
        TimeMark(positions[m.start], positions[m.end], m.time_start, m.time_end)
        for m in extracted.marks
        if m.start in positions and m.end in positions
    ]
    points = [(positions[a], start, end) for a, start, end in extracted.points if a in positions]
    marks += [TimeMark(*mark) for mark in timestamps.marks_between(points, len(text))]
    extracted.text = text
    extracted.marks = sorted((m for m in marks if m.end > m.start), key=lambda m: m.start)
    extracted.points = []
    extracted.comments = [
        Comment(positions[c.start], positions[c.end], c.text, c.author)
        for c in extracted.comments
        if c.start in positions and c.end in positions
    ]
    return extracted


READERS = {"docx": word.read_docx, "odt": opendocument.read_odt, "pdf": pdf.read_pdf}


# Attribute sheets ---------------------------------------------------------------------------------


def read_sheet(name: str, data: bytes) -> list[list[str]]:
    """Rows of a CSV or XLSX sheet as strings (dates as YYYY-MM-DD), blank rows dropped."""
    kind = extension(name)
    if kind not in SHEET_FORMATS:
        raise Unreadable(_("Attribute sheets are .csv or .xlsx files."))
    check_size(data)
    try:
        rows = _csv_rows(data) if kind == "csv" else _xlsx_rows(data)
    except Unreadable:
        raise
    except Exception as error:  # noqa: BLE001 (see read_transcript)
        logger.warning("Cannot read sheet %s: %r", name, error)
        raise Unreadable(
            _("The file is damaged or is not a real .%(ext)s file.") % {"ext": kind}
        ) from error
    rows = [[cell.strip() for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if len(rows) < 2:
        raise Unreadable(_("The sheet needs a header row and at least one row of values."))
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    text = clean_text(plain.decode(data).text)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _xlsx_rows(data: bytes) -> list[list[str]]:
    import openpyxl

    open_office_zip(data, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
