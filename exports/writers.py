"""Excerpts, the codebook and a code's report as files: CSV, Excel (rustpy-xlsxwriter) and Word
(python-docx).

A `Table` (translated header, lazily built rows) is written by either writer, so the CSV and the
Excel file of one export always have the same columns. Large exports never sit in memory: the CSV is
written row by row (a download's into verbatim.downloads' spool, a file past 16 MB), and the Excel
file row by row into a temporary file, both fed by rows PostgreSQL streams with COPY (an export
of at most 2,000 rows is read at once: exports/excerpt_rows.py). The excerpts' CSV comes from
PostgreSQL as CSV records, which Python passes on (`excerpt_table(form="csv")`); for an Excel
file, it tells which rows need cleaning.

Cells are guarded against formula injection: in CSV a text starting with = + - @ (or a tab or
carriage return, as OWASP advises) gets a leading apostrophe (exports/cells.py); in Excel every
text is stored as a string cell, which Excel never evaluates (tests/exports/test_exports.py reads it
back).
"""

import io
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from django.contrib.auth.models import User
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Pt, RGBColor
from rustpy_xlsxwriter import FastExcel

from coding.codebook import code_paths, subtree_ids
from coding.models import Code, Coding, Memo
from coding.visibility import EVERYTHING, Visibility
from excerpts.filters import Filters
from excerpts.queries import speaker_name
from exports import cells, excerpt_rows
from exports.cells import EXCEL_CELL_MAX, XML_ILLEGAL, xlsx_cell, xml_safe
from interviews.models import Attribute, Interview, Project
from verbatim import people


def download_name(project: Project, what: str, extension: str) -> str:
    """`proximite-excerpts-2025-03-14.csv`: ASCII, so every browser and file system keeps it."""
    name = slugify(project.name) or "verbatim"
    return f"{name}-{what}-{timezone.localdate().isoformat()}.{extension}"


@dataclass
class Table:
    sheet: str  # the worksheet's name in Excel
    header: list[str]
    rows: Iterable  # lazily built: iterated once, by one writer
    count: int | None = None  # how many rows, when known before they are written
    csv: bool = False  # rows are CSV records already (bytes), for `csv_chunks` alone
    clean: bool = False  # rows hold only what the Excel writer stores as it is (`xlsx_cells`)


# --- Excerpts ---------------------------------------------------------------------------------


def excerpt_table(
    project: Project, filters: Filters, limit: int | None = None, *, form: str = "rows"
) -> Table:
    """One row per coding `filters` passes, one column per attribute; then one per coding a
    correction of the transcript detached, which has words but no place.

    What it reads before its rows comes in one round trip, with the rows themselves when they are
    few (exports/excerpt_rows.py); the table's `count` says how many rows pass, to `limit` + 1 at
    most, before any is written. `form`: "rows", Python values; "csv", the CSV's records, which
    PostgreSQL writes for the codings (each as `csv_line` would write the row); "xlsx", values as
    the Excel writer stores them (`xlsx_cells`), PostgreSQL telling which rows need cleaning.
    """
    xlsx = form == "xlsx"
    read = excerpt_rows.read(filters, limit, rows=form != "csv", checked=xlsx)
    states = {value: str(label) for value, label in Coding.Status.choices}
    attribute_ids = [attribute.pk for attribute in read.attributes]
    header = [
        _("Project"),
        _("Interview"),
        _("Participant"),
        *(attribute.name for attribute in read.attributes),
        _("Speaker"),
        _("Code path"),
        _("Code"),
        _("Text"),
        _("Context before"),
        _("Context after"),
        _("Coder"),
        _("Review state"),
        _("Last review comment"),
        _("Memos"),
        _("Start"),
        _("End"),
        _("Created"),
    ]
    # What Python adds to the rows, cleaned once for an Excel file rather than in every row.
    cell = xlsx_cell if xlsx else _as_it_is
    project_name = cell(project.name)
    paths = {pk: cell(path) for pk, path in filters.paths.items()}
    interviews: dict[int, list] = {}  # each interview's attribute cells, made at its first row

    def attribute_cells(interview_id: int) -> list:
        found = interviews.get(interview_id)
        if found is None:
            values = read.values.get(interview_id, {})
            found = interviews[interview_id] = [cell(values.get(pk)) for pk in attribute_ids]
        return found

    def coded() -> Iterator[list]:
        for (
            interview_id,
            title,
            participant,
            speaker,
            code_id,
            code_name,
            text,
            before,
            after,
            coder,
            status,
            review,
            memos,
            start,
            end,
            created,
            *unsafe,  # with an Excel file's rows: whether their texts need cleaning
        ) in read.rows():
            row = [
                project_name,
                title,
                participant,
                *attribute_cells(interview_id),
                speaker,
                paths.get(code_id, code_name),
                code_name,
                text,
                before,
                after,
                coder,
                states.get(status, status),
                review,
                memos,
                start,
                end,
                created,
            ]
            # PostgreSQL found a text to clean (rarely): every cell as xlsx_cells would make it.
            yield [xlsx_cell(value) for value in row] if unsafe and unsafe[0] else row

    def detached() -> Iterator[list]:
        for (
            interview_id,
            title,
            participant,
            code_id,
            code_name,
            text,
            *coder,
            version,
        ) in read.detached:
            state = _("Detached: its words were deleted in version %(number)s") % {
                "number": version
            }
            row = [
                project.name,
                title,
                participant,
                *attribute_cells(interview_id),
                None,
                paths.get(code_id, code_name),
                code_name,
                text,
                None,
                None,
                people.name(_user(*coder)),
                state,
                None,
                None,
                None,
                None,
                None,
            ]
            yield xlsx_cells(row) if xlsx else row

    if form == "csv":
        records = read.csv_records(project.name, filters.paths, states)
        encoded = (csv_line(row).encode() for row in detached())
        return Table(_("Excerpts"), header, _then(records, encoded), count=read.count, csv=True)
    return Table(_("Excerpts"), header, _then(coded(), detached()), count=read.count, clean=xlsx)


def _as_it_is(value):
    return value


def _then(first: Iterator, second: Iterator) -> Iterator:
    """`first`, then `second`, as a generator: closing it (a file left halfway by an error)
    closes the COPY that `first` may be reading at once, and the connection serves the next
    statement."""
    yield from first
    yield from second


def _user(first_name: str, last_name: str, username: str) -> User:
    return User(first_name=first_name, last_name=last_name, username=username)


# --- Codebook ---------------------------------------------------------------------------------


def codebook_table(project: Project, seen: Visibility = EVERYTHING) -> Table:
    """Every code in codebook order, with its definition and how much it is used (two queries),
    counting the codings the member may see (`seen`, coding/visibility.py)."""
    visible = seen.q("codings__")
    counts = {
        row["pk"]: row
        for row in Code.objects.filter(project=project)
        .values("pk")
        .annotate(
            codings_count=Count("codings", filter=visible),
            interviews_count=Count("codings__interview_id", distinct=True, filter=visible),
        )
        .order_by()
    }
    paths = code_paths(project.pk)
    by_id = {code.pk: path for code, path in paths}
    header = [
        _("Path"),
        _("Name"),
        _("Parent path"),
        _("Definition"),
        _("When to use"),
        _("When not to use"),
        _("Colour"),
        _("Codings"),
        _("Interviews"),
        _("Depth"),
    ]
    rows = (
        [
            path,
            code.name,
            by_id.get(code.parent_id, ""),
            code.description,
            code.inclusion,
            code.exclusion,
            code.color,
            counts[code.pk]["codings_count"],
            counts[code.pk]["interviews_count"],
            # Top-level codes are at depth 1: the level a reader counts.
            path.count(" › ") + 1,
        ]
        for code, path in paths
    )
    return Table(_("Codebook"), header, rows)


# --- Writers ------------------------------------------------------------------------------------


def csv_chunks(table: Table, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The table as CSV in UTF-8, in chunks, for a download (verbatim.downloads) or a file.

    It starts with a byte order mark: without it Excel reads UTF-8 as Windows-1252 and « é » breaks.
    """
    yield ("\ufeff" + csv_line(str(title) for title in table.header)).encode()
    records = table.rows if table.csv else (csv_line(row).encode() for row in table.rows)
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= rows_per_chunk:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)


def csv_line(values: Iterable) -> str:
    """One CSV record, exactly as the csv module's default writer writes it (comma, minimal
    quoting, CRLF; None an empty cell, other values their str()), each text a spreadsheet would
    read as a formula prefixed with an apostrophe.

    Written here because the csv module examines its text character by character, in C but
    through a function call each: with the guard, about 135 ms of the 10,000-excerpt export's 320,
    against 57 ms for these string methods, which scan in C at memory speed.
    tests/exports/test_csv.py holds the two to the same output, and the records PostgreSQL writes
    for the excerpts to this function's.
    """
    quoted = [_csv_cell(value) for value in values]
    if quoted == [""]:
        return '""\r\n'  # as the csv module writes a lone empty cell, so the record is not lost
    return ",".join(quoted) + "\r\n"


def _csv_cell(value) -> str:
    value = cells.text(value)
    if value is None:
        return ""
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value


def xlsx_file(table: Table):
    """The table as an Excel workbook in an anonymous temporary file, rewound, for a FileResponse.

    Written by rustpy-xlsxwriter (Rust's rust_xlsxwriter), row by row from the rows' iterator:
    10,000 excerpts in about 0.2 s where openpyxl's write-only mode took 1.4 s and xlsxwriter's
    constant-memory mode 1.3 s (docs/benchmarks.md). It stores every Python str as a text cell,
    never as a formula, a number or an error code, whatever it starts with.
    """
    header = _unique_titles(xml_safe(str(title)) for title in table.header)
    cells_of = _as_it_is if table.clean else xlsx_cells
    records = (dict(zip(header, cells_of(row), strict=True)) for row in table.rows)
    # Not a `with` block: the FileResponse reading it closes it, which deletes it.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        # The writer takes the header from the first row: with none, one of empty cells writes it.
        records = chain([next(records, dict.fromkeys(header))], records)
        workbook = FastExcel(file).format(bold_headers=True, datetime_format="yyyy-mm-dd hh:mm:ss")
        workbook = workbook.freeze(row=1, col=0)
        workbook.sheet(xml_safe(table.sheet)[:31], records).save()
    except BaseException:
        # A writer failing halfway leaves no COPY reading rows on the connection (the traceback
        # would keep the rows' generator, and so the COPY, alive): the next statement would wait.
        file.close()
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()
        raise
    file.seek(0)
    return file


def _unique_titles(titles: Iterable[str]) -> list[str]:
    """Column titles as keys of the writer's rows: an attribute named like a fixed column ("Code")
    gets a number rather than overwriting it."""
    unique: list[str] = []
    for title in titles:
        candidate, n = title, 2
        while candidate in unique:
            candidate, n = f"{title} ({n})", n + 1
        unique.append(candidate)
    return unique


def xlsx_cells(row: list) -> Iterable:
    """A row's values as the Excel writer stores them (xlsx_cell). Most rows hold no character
    XML refuses and no overlong text: one search over the row's texts tells, where a search per
    cell took a quarter of the workbook's time (and no cell of a row whose texts are short
    together is overlong: 48 to 39 ms for 10,000 rows)."""
    joined = "\n".join([value for value in row if isinstance(value, str)])
    if len(joined) > EXCEL_CELL_MAX or XML_ILLEGAL.search(joined):
        return [xlsx_cell(value) for value in row]
    return row


# --- A code's report ---------------------------------------------------------------------------


@dataclass
class ReportInterview:
    interview: Interview
    attributes: list[tuple[str, object]]  # (attribute name, value), in the project's order
    excerpts: list[Coding] = field(default_factory=list)


@dataclass
class CodeReport:
    code: Code
    path: str
    subcodes: list[tuple[Code, str]]  # the sub-codes included, with their paths
    memos: list[Memo]  # on the code (and the included sub-codes)
    interviews: list[ReportInterview]
    count: int
    every_state: bool  # False: approved excerpts only
    has_subcodes: bool  # whether the code has sub-codes, included or not

    @property
    def codes_shown(self) -> bool:
        """Whether each excerpt names its code: only when sub-codes are included."""
        return bool(self.subcodes)


def code_report(
    code: Code, *, subcodes: bool = False, every_state: bool = False, seen: Visibility = EVERYTHING
) -> CodeReport:
    """A code's definition, memos and excerpts grouped by interview: six queries whatever the size.
    Only the codings the member may see (`seen`, coding/visibility.py)."""
    paths = code_paths(code.project_id)
    ids = subtree_ids(code) if subcodes else {code.pk}
    codings = (
        Coding.objects.filter(seen.q(), code_id__in=ids)
        .select_related("interview", "code", "coder")
        .defer("interview__text")
        .annotate(speaker_name=speaker_name())
        .order_by("interview__title", "interview_id", "start", "end", "pk")
    )
    if not every_state:
        codings = codings.filter(status=Coding.Status.APPROVED)
    codings = list(codings)
    _attach_memos(codings)
    groups = _by_interview(codings, code.project_id)
    return CodeReport(
        code=code,
        path=next(path for listed, path in paths if listed.pk == code.pk),
        subcodes=[(listed, path) for listed, path in paths if listed.pk in ids - {code.pk}],
        memos=list(
            Memo.objects.filter(code_id__in=ids)
            .select_related("author", "code")
            .order_by("created_at")
        ),
        interviews=groups,
        count=len(codings),
        every_state=every_state,
        has_subcodes=any(listed.parent_id == code.pk for listed, _path in paths),
    )


def _attach_memos(codings: list[Coding]) -> None:
    memos = defaultdict(list)
    for memo in (
        Memo.objects.filter(coding_id__in=[coding.pk for coding in codings])
        .select_related("author")
        .order_by("created_at")
    ):
        memos[memo.coding_id].append(memo)
    for coding in codings:
        coding.memo_list = memos.get(coding.pk, [])


def _by_interview(codings: list[Coding], project_id: int) -> list[ReportInterview]:
    groups: dict[int, ReportInterview] = {}
    for coding in codings:
        if coding.interview_id not in groups:
            groups[coding.interview_id] = ReportInterview(coding.interview, [])
        groups[coding.interview_id].excerpts.append(coding)
    names = list(Attribute.objects.filter(project_id=project_id))
    values = excerpt_rows.attribute_values(groups)
    for interview_id, group in groups.items():
        given = values.get(interview_id, {})
        group.attributes = [(a.name, given[a.pk]) for a in names if given.get(a.pk) is not None]
    return list(groups.values())


def report_docx(report: CodeReport) -> io.BytesIO:
    """The report as a Word document: headings, the definition, then each excerpt as an indented
    quote followed by who said it and who coded it."""
    document = Document()
    document.add_heading(xml_safe(report.path), level=0)
    _docx_definition(document, report.code)
    for subcode, path in report.subcodes:
        document.add_heading(xml_safe(path), level=2)
        _docx_definition(document, subcode)
    if report.memos:
        document.add_heading(_("Memos"), level=1)
        for memo in report.memos:
            document.add_paragraph(xml_safe(memo.body))
            _docx_meta(document, _memo_byline(memo, show_code=report.codes_shown))
    heading = _("Approved excerpts") if not report.every_state else _("Excerpts")
    document.add_heading(f"{heading} ({report.count})", level=1)
    if not report.interviews:
        document.add_paragraph(_("No approved excerpts yet."))
    for group in report.interviews:
        _docx_interview(document, group, report)
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    return buffer


def _docx_definition(document, code: Code) -> None:
    for label, text in (
        (_("Definition"), code.description),
        (_("When to use"), code.inclusion),
        (_("When not to use"), code.exclusion),
    ):
        if text:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label} : ").bold = True
            paragraph.add_run(xml_safe(text))


def _docx_interview(document, group: ReportInterview, report: CodeReport) -> None:
    document.add_heading(xml_safe(group.interview.title), level=2)
    about = [group.interview.participant] if group.interview.participant else []
    about += [f"{name} : {value}" for name, value in group.attributes]
    if about:
        _docx_meta(document, " · ".join(about))
    for coding in group.excerpts:
        quote = document.add_paragraph(style="Quote")
        quote.paragraph_format.left_indent = Cm(1)
        quote.add_run(xml_safe(coding.text))
        _docx_meta(document, excerpt_byline(coding, report), indent=True)
        for memo in coding.memo_list:
            note = document.add_paragraph()
            note.paragraph_format.left_indent = Cm(1.5)
            note.add_run(xml_safe(memo.body)).add_break(WD_BREAK.LINE)
            note.add_run(_memo_byline(memo, show_code=False)).italic = True


def _docx_meta(document, text: str, indent: bool = False) -> None:
    paragraph = document.add_paragraph()
    if indent:
        paragraph.paragraph_format.left_indent = Cm(1)
    run = paragraph.add_run(xml_safe(text))
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x5D, 0x66, 0x77)


def excerpt_byline(coding: Coding, report: CodeReport) -> str:
    """Who said it, who coded it (and with sub-codes, which code; with every state, which state)
    and where: `Martine · coded by rita · Salutations · 120–180`."""
    parts = [coding.speaker_name] if coding.speaker_name else []
    parts.append(_("coded by %(coder)s") % {"coder": people.name(coding.coder)})
    if report.codes_shown:
        parts.append(coding.code.name)
    if report.every_state:
        parts.append(str(coding.get_status_display()))
    parts.append(f"{coding.start}–{coding.end}")
    return " · ".join(parts)


def _memo_byline(memo: Memo, *, show_code: bool) -> str:
    parts = [people.name(memo.author)] if memo.author else []
    if show_code:
        parts.append(memo.code.name)
    parts.append(timezone.localtime(memo.created_at).strftime("%Y-%m-%d"))
    return " · ".join(parts)
