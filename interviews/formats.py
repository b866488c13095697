"""Reading uploaded files: one reader per transcript format, archives, and attribute sheets.

Every reader returns plain text (paragraphs on their own lines, speaker turns written "Label : …" so
that `transcripts.parse_turns` finds them whatever the format) and raises `Unreadable` with a message
for the admin. Nothing but text is kept: no markup, images, macros or embedded objects, and nothing
is ever written to disk. Files come from people's computers, so every size is capped before a library
gets to decompress anything.
"""

import codecs
import csv
import html
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TRANSCRIPT_FORMATS = ("txt", "md", "docx", "odt", "pdf", "vtt", "srt")
SHEET_FORMATS = ("csv", "xlsx")

# Encodings offered to the admin, by Python codec name. Legacy ones are those French transcripts
# come in from older Windows and Mac word processors.
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1 (ISO-8859-1)",
    "mac_roman": "Mac Roman",
    "utf-16": "UTF-16",
}
LEGACY_ENCODINGS = ("latin_1", "cp1252", "mac_roman")  # on a tie, the first wins

FRENCH_LETTERS = set("àâäçéèêëîïôöùûüÿœæ")
FRENCH_MARKS = set("«»’‘“”…–—\u00a0\u202f°")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
# A speaker label as people set it in bold: short, starts with a letter, no sentence punctuation.
LABEL = re.compile(r"[^\W\d_][\w·.'’() -]{0,39}")


class Unreadable(ValueError):
    """The file cannot be imported; the message says why, in words for the admin."""


@dataclass
class Extracted:
    text: str
    format: str
    encoding: str = ""
    encoding_sure: bool = True
    # Other plausible readings of a text file, by encoding, when detection is unsure.
    alternatives: dict[str, str] = field(default_factory=dict)
    # Speaker labels the format marks itself (bold names in Word, voice tags in WebVTT).
    labels: list[str] = field(default_factory=list)


def max_bytes() -> int:
    return settings.VERBATIM_MAX_UPLOAD_BYTES


def max_unpacked_bytes() -> int:
    """What an archive or an office file may hold once decompressed, all members together."""
    return settings.VERBATIM_MAX_UNPACKED_BYTES


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix.lstrip(".")


# Entry point ------------------------------------------------------------------------------------


def read_transcript(name: str, data: bytes, encoding: str | None = None) -> Extracted:
    """The text of one transcript file, by its extension; `Unreadable` says what is wrong."""
    kind = extension(name)
    if kind == "doc":
        raise Unreadable(_("Word 97-2003 files (.doc) cannot be read: save it as .docx."))
    if kind not in TRANSCRIPT_FORMATS:
        raise Unreadable(
            _("“.%(ext)s” is not a transcript format Verbatim reads (%(formats)s).")
            % {"ext": kind, "formats": ", ".join(TRANSCRIPT_FORMATS)}
        )
    check_size(data)
    reader = READERS[kind]
    try:
        extracted = reader(data, encoding) if kind in ("txt", "md", "vtt", "srt") else reader(data)
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
    extracted.text = clean_text(extracted.text)
    if not extracted.text.strip():
        raise Unreadable(_("The file contains no text."))
    return extracted


def check_size(data: bytes) -> None:
    if not data:
        raise Unreadable(_("The file is empty."))
    if len(data) > max_bytes():
        raise too_large()


def too_large() -> Unreadable:
    return Unreadable(
        _("The file is larger than the limit of %(limit)s MB.")
        % {"limit": max_bytes() // (1024 * 1024)}
    )


def clean_text(text: str) -> str:
    """One newline convention, no control characters, composed accents, no trailing blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\f\v\u2028\u2029\x1c-\x1e\x85]", "\n", text)
    text = CONTROL.sub("", unicodedata.normalize("NFC", text))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# Plain text ----------------------------------------------------------------------------------------


def decode(data: bytes, encoding: str | None = None) -> Extracted:
    """Text from bytes: the admin's encoding, or UTF-8, or the likeliest legacy French encoding."""
    if encoding:
        return _decode_as(data, encoding)
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16")):
        if data.startswith(bom) or (codec == "utf-16" and data.startswith(codecs.BOM_UTF16_BE)):
            return _decode_as(data, codec)
    if b"\x00" in data:
        raise Unreadable(_("This is not a text file: it contains binary data."))
    try:
        return _checked(Extracted(data.decode("utf-8"), "txt", "utf-8"))
    except UnicodeDecodeError:
        pass
    readings = {}
    for codec in LEGACY_ENCODINGS:
        try:
            readings[codec] = data.decode(codec)
        except UnicodeDecodeError:
            continue
    scores = {codec: french_score(text) for codec, text in readings.items()}
    best = max(readings, key=lambda codec: scores[codec])  # max keeps the first of equals
    others = {c: t for c, t in readings.items() if t != readings[best]}
    # Sure when every other reading is clearly less French-looking than the chosen one.
    sure = all(scores[best] - scores[c] >= max(3, abs(scores[best]) // 5) for c in others)
    return _checked(
        Extracted(
            readings[best], "txt", best, sure, {} if sure else others | {best: readings[best]}
        )
    )


def _decode_as(data: bytes, encoding: str) -> Extracted:
    if encoding not in ENCODINGS:
        raise Unreadable(_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding})
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise Unreadable(
            _(
                "The file cannot be read as %(encoding)s: byte 0x%(byte)02X at position "
                "%(position)d is not valid in it. Choose another encoding."
            )
            % {
                "encoding": ENCODINGS[encoding],
                "byte": error.object[error.start],
                "position": error.start,
            }
        ) from None
    return _checked(Extracted(text, "txt", encoding))


def _checked(extracted: Extracted) -> Extracted:
    """Refuse binary files renamed .txt: real text has almost no control characters."""
    text = extracted.text
    controls = len(CONTROL.findall(text)) - text.count("\ufeff")
    if controls > max(2, len(text) // 200):
        raise Unreadable(_("This is not a text file: it contains binary data."))
    return extracted


def french_score(text: str) -> int:
    """How French a decoding looks: accented lowercase letters inside words, French punctuation;
    control characters, odd symbols and capitals inside words count against it."""
    score = 0
    for index, char in enumerate(text):
        if char.isascii():
            continue
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        in_word = before.isalpha() or after.isalpha()
        if char in FRENCH_LETTERS:
            score += 2 if in_word else 0
        elif char in FRENCH_MARKS:
            score += 1
        elif unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn"):
            score -= 5
        elif char.isupper() and before.islower() and after.islower():
            score -= 3
        elif not char.isalpha():
            score -= 2
    return score


def read_text(data: bytes, encoding: str | None = None) -> Extracted:
    return decode(data, encoding)


# Word and OpenDocument -------------------------------------------------------------------------------


def open_office_zip(data: bytes, kind: str) -> None:
    """Check a .docx/.odt is a zip within the unpacked-size cap before a library inflates it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unreadable(
            _("This is not a real .%(ext)s file (it should be a zip package).") % {"ext": kind}
        ) from None
    with archive:
        for _name, _data in safe_members(archive, kind, limit=max_unpacked_bytes()):
            pass


def read_docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    open_office_zip(data, "docx")
    document = docx.Document(io.BytesIO(data))
    lines, labels = [], []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            lines.extend(_table_lines(item))
        else:
            lines.append(_docx_paragraph(item, labels))
    return Extracted(_join(lines), "docx", labels=list(dict.fromkeys(labels)))


def _docx_paragraph(paragraph, labels: list[str]) -> str:
    """A paragraph's text; a bold name opening it becomes "Name : " (a speaker label)."""
    text = paragraph.text
    bold = ""
    for run in paragraph.runs:
        if not run.bold:
            break
        bold += run.text
    label = bold.strip().rstrip(":\u00a0\u202f ").strip()
    rest = text[len(bold) :].lstrip().lstrip(":").lstrip(" \t\u00a0\u202f")
    # A bold line on its own is a heading, unless it ends with a colon like a label does.
    if not label or not LABEL.fullmatch(label) or not (rest or bold.strip().endswith(":")):
        return text
    labels.append(label)
    return f"{label} : {rest}" if rest else f"{label} :"


def _table_lines(table) -> list[str]:
    """Cells in reading order; a two-column row whose first cell is a name is a speaker turn."""
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:  # merged cells come back once per grid column
                seen.add(id(cell._tc))
                cells.append(cell.text.strip())
        cells = [c for c in cells if c]
        if len(cells) == 2 and "\n" not in cells[0] and LABEL.fullmatch(cells[0].rstrip(" :")):
            lines.append(f"{cells[0].rstrip(' :')} : {cells[1]}")
        else:
            lines.extend(cells)
    return lines


def read_odt(data: bytes) -> Extracted:
    from odf import opendocument, teletype

    open_office_zip(data, "odt")
    document = opendocument.load(io.BytesIO(data))
    lines = []

    def walk(node):
        for child in node.childNodes:
            if child.qname[1] in ("p", "h"):
                lines.append(teletype.extractText(child))
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)  # lists, sections, tables (row by row, cell by cell)

    walk(document.text)
    return Extracted(_join(lines), "odt")


def _join(lines: list[str]) -> str:
    """Paragraphs of a word-processor document, one blank line between them."""
    return "\n\n".join(line.strip() for line in lines if line.strip())


# PDF -----------------------------------------------------------------------------------------------


def read_pdf(data: bytes) -> Extracted:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # An empty user password only restricts printing or copying: the text is readable.
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError
        pages = [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, NotImplementedError):
        raise Unreadable(
            _("The PDF is encrypted (password-protected): save an unprotected copy.")
        ) from None
    except PdfReadError:
        raise Unreadable(_("The PDF is damaged or is not a real PDF.")) from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise Unreadable(
            _(
                "The PDF has no text layer (it is probably a scan): run text recognition (OCR) "
                "on it first, or import the transcript's Word or text version."
            )
        )
    return Extracted(text, "pdf")


# Subtitles: WebVTT and SubRip ---------------------------------------------------------------------


def read_subtitles(data: bytes, encoding: str | None, kind: str) -> Extracted:
    """Cues as turns: "[hh:mm:ss] Voice : text", consecutive cues of one voice joined."""
    import webvtt
    from webvtt.errors import MalformedFileError

    decoded = decode(data, encoding)
    try:
        captions = webvtt.from_buffer(io.StringIO(clean_text(decoded.text)), format=kind)
    except MalformedFileError:
        raise Unreadable(
            _("This is not a valid %(format)s subtitle file.")
            % {"format": "WebVTT" if kind == "vtt" else "SubRip"}
        ) from None
    lines, labels, voice = [], [], None
    for caption in captions:
        text = html.unescape(" ".join(caption.text.split()))
        if not text:
            continue
        stamp = _clock(caption.start_in_seconds)
        if caption.voice:
            if caption.voice == voice:
                lines[-1] += " " + text
                continue
            voice = caption.voice.strip()
            labels.append(voice)
            lines.append(f"[{stamp}] {voice} : {text}")
        elif written := re.match(r"([^\W\d_][\w·.'’() -]{0,39}?)\s?:\s", text):
            voice = None
            labels.append(written[1].strip())
            lines.append(f"[{stamp}] {text}")  # "MARIE: …" written in the cue itself
        else:
            voice = None
            lines.append(text)
    return Extracted(
        "\n\n".join(lines),
        kind,
        decoded.encoding,
        decoded.encoding_sure,
        labels=list(dict.fromkeys(labels)),
    )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


READERS = {
    "txt": read_text,
    "md": read_text,
    "docx": read_docx,
    "odt": read_odt,
    "pdf": read_pdf,
    "vtt": lambda data, encoding: read_subtitles(data, encoding, "vtt"),
    "srt": lambda data, encoding: read_subtitles(data, encoding, "srt"),
}


# Zip archives -------------------------------------------------------------------------------------


def unpack_zip(data: bytes) -> list[tuple[str, bytes]]:
    """The files of an uploaded .zip, by base name, in archive order; never written to disk.

    Sizes are checked twice: as the archive declares them, and as they really inflate (stopping at
    the cap), so a zip bomb is refused after reading at most the cap.
    """
    check_size(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unreadable(_("This is not a valid zip archive.")) from None
    with archive:
        return [
            (PurePosixPath(name).name, content)
            for name, content in safe_members(archive, "zip", limit=max_unpacked_bytes())
            if not _is_clutter(name)
        ]


def _is_clutter(name: str) -> bool:
    """Files an archiver adds on its own (macOS resource forks, Finder and Explorer metadata)."""
    path = PurePosixPath(name)
    return "__MACOSX" in path.parts or path.name.startswith(".") or path.name == "Thumbs.db"


def safe_members(archive: zipfile.ZipFile, kind: str, *, limit: int):
    """(name, bytes) of each file member, refusing unsafe names, encryption and oversize content."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > 1000:
        raise Unreadable(_("The archive holds too many files (more than 1,000)."))
    for info in members:
        name = info.filename
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or re.match(r"[A-Za-z]:", name)
            or ".." in PurePosixPath(name).parts
        ):
            raise Unreadable(
                _("The archive contains an unsafe path “%(name)s”: it was refused.")
                % {"name": name}
            )
        if info.flag_bits & 0x1:
            raise Unreadable(_("The archive is encrypted: “%(name)s”.") % {"name": name})
    if sum(info.file_size for info in members) > limit:
        raise _too_big(kind)
    total = 0
    for info in members:
        content = _inflate(archive, info, limit - total, kind)
        total += len(content)
        yield info.filename, content


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, kind: str) -> bytes:
    chunks, size = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(1 << 16):
                size += len(chunk)
                if size > budget or size > info.file_size:
                    raise _too_big(kind)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise Unreadable(
            _("The archive is damaged: “%(name)s”.") % {"name": info.filename}
        ) from None
    return b"".join(chunks)


def _too_big(kind: str) -> Unreadable:
    return Unreadable(
        _(
            "The .%(ext)s file unpacks to more than %(limit)s MB: it looks like a zip bomb and "
            "was refused."
        )
        % {"ext": kind, "limit": max_unpacked_bytes() // (1024 * 1024)}
    )


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
    text = clean_text(decode(data).text)
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
