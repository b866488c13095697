"""Writing .qdpx projects and .qdc codebooks, strictly: the QDA-XML 1.0 namespaces, elements in
the schema's order, no empty containers, lower-case GUIDs, `sources/<guid>.txt` in UTF-8 without
a byte order mark, positions in code points. project.qde is streamed into the zip with lxml's
incremental writer, one element at a time, so memory does not grow with the number of codings."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from lxml import etree

from . import values
from .model import Code, Project, TextSource, Unit
from .positions import Mapper

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_LINE_BREAK = re.compile("\r\n|\r|\n")
LINE_ENDINGS = ("as_is", "crlf")


def write_project(
    project: Project, out, *, line_endings: str = "as_is", origin: str = "Verbatim"
) -> None:
    """Write `project` as a .qdpx zip to the binary file object `out` (need not be seekable).

    line_endings="as_is" (the standard): each text is written exactly as it is and positions are its
    code points. line_endings="crlf" (for MAXQDA): every line break is written as CRLF, and
    positions count each line break as ONE character, as MAXQDA expects: QualCoder's "Add line
    ending for MAXQDA importation" export writes CRLF text with positions unchanged from its
    one-character line breaks. Such a file departs from the standard, which would count CRLF as two.
    """
    for chunk in iter_project(project, line_endings=line_endings, origin=origin):
        out.write(chunk)


def iter_project(
    project: Project, *, line_endings: str = "as_is", origin: str = "Verbatim"
) -> Iterator[bytes]:
    """`write_project` as the zip's bytes, a piece at a time: one after each source and note, for
    a streamed HTTP response. `project.sources` and `project.notes` may be any re-iterable
    collection with a length (sources are read twice: for project.qde, then for their files), so
    a caller can load one source at a time from a database."""
    if line_endings not in LINE_ENDINGS:
        raise ValueError(f"line_endings must be one of {LINE_ENDINGS}, not {line_endings!r}")
    sink = _Pieces()
    # Level 1: a third of the default's time for a file about a tenth larger.
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("project.qde", "w") as stream:
            for _step in _Writer(stream, PROJECT_NS).project(project, origin, line_endings):
                yield sink.take()
        for source in project.sources:
            text = source.text
            if line_endings == "crlf":
                text = _LINE_BREAK.sub("\r\n", text)
            archive.writestr(f"sources/{_guid(source.guid)}.txt", text.encode("utf-8"))
            yield sink.take()
    yield sink.take()


def write_codebook(project: Project, out, *, origin: str = "Verbatim") -> None:
    """Write the codes of `project` (and its sets of codes) as a .qdc to the binary `out`."""
    if not project.codes:
        raise ValueError("A codebook needs at least one code.")
    _Writer(out, CODEBOOK_NS).codebook(project, origin)


class _Pieces:
    """A write-only stream whose bytes are taken out as they come (see iter_project)."""

    def __init__(self):
        self.pieces: list[bytes] = []

    def write(self, data) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data = b"".join(self.pieces)
        self.pieces.clear()
        return data


def _guid(raw: str) -> str:
    if isinstance(raw, str) and values.is_guid(raw):
        return raw  # already as written
    value = (raw or "").strip().strip("{}").lower()
    if not values.is_guid(value):
        raise ValueError(f"{raw!r} is not a GUID; REFI-QDA needs one for every item.")
    return value


def _attributes(**pairs) -> dict[str, str]:
    """The attributes that have a value, as XML text."""
    result = {}
    for key, value in pairs.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif hasattr(value, "astimezone"):
            value = values.format_datetime(value)
        result[key] = values.xml_text(str(value))
    return result


_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _attribute(name: str, value) -> str:
    """` name="value"` as XML, or nothing for a missing value (as `_attributes` does)."""
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        value = values.format_datetime(value)
    return f' {name}="{values.xml_text(str(value)).translate(_ATTRIBUTE_ESCAPES)}"'


def _when(value) -> str:
    return f' creationDateTime="{values.format_datetime(value)}"' if value else ""


def _who(guid) -> str:
    return f' creatingUser="{_guid(guid)}"' if guid else ""


def _selection_xml(selection, start: int, end: int) -> str:
    """A PlainTextSelection element, as lxml would write it in the project's default namespace.
    GUIDs (checked), numbers and dates need no escaping; names and descriptions do."""
    parts = [
        f'<PlainTextSelection guid="{_guid(selection.guid)}"',
        _attribute("name", selection.name or None),
        f' startPosition="{int(start)}" endPosition="{int(end)}"',
        _who(selection.creating_user),
        _when(selection.creation_datetime),
        ">",
    ]
    if selection.description:
        text = values.xml_text(selection.description).translate(_TEXT_ESCAPES)
        parts.append(f"<Description>{text}</Description>")
    for coding in selection.codings:
        parts += [
            f'<Coding guid="{_guid(coding.guid)}"',
            _who(coding.creating_user),
            _when(coding.creation_datetime),
            f'><CodeRef targetGUID="{_guid(coding.code_guid)}"/>',
        ]
        parts += [f'<NoteRef targetGUID="{_guid(ref)}"/>' for ref in coding.note_refs]
        parts.append("</Coding>")
    parts += [f'<NoteRef targetGUID="{_guid(ref)}"/>' for ref in selection.note_refs]
    parts.append("</PlainTextSelection>")
    return "".join(parts)


class _Writer:
    def __init__(self, stream, namespace: str):
        self.stream = stream
        self.ns = namespace
        self.xf = None

    @contextmanager
    def element(self, tag: str, **attributes):
        with self.xf.element(f"{{{self.ns}}}{tag}", _attributes(**attributes)):
            yield

    def leaf(self, tag: str, text: str | None = None, **attributes):
        with self.element(tag, **attributes):
            if text:
                self.xf.write(values.xml_text(text))

    def description(self, text: str):
        if text:
            self.leaf("Description", text)

    def refs(self, tag: str, guids, attribute: str = "targetGUID"):
        for target in guids:
            self.leaf(tag, **{attribute: _guid(target)})

    @contextmanager
    def document(self, root: str, **attributes):
        with etree.xmlfile(self.stream, encoding="utf-8") as xf:
            self.xf = xf
            xf.write_declaration()
            nsmap = {None: self.ns}
            with xf.element(f"{{{self.ns}}}{root}", _attributes(**attributes), nsmap=nsmap):
                yield

    # -- codebook -----------------------------------------------------------------------------

    def codebook(self, project: Project, origin: str):
        with self.document("CodeBook", origin=origin):
            with self.element("Codes"):
                for code in project.codes:
                    self.code(code, notes=False)
            code_sets = [s for s in project.sets if s.member_codes]
            if code_sets:
                with self.element("Sets"):
                    for item in code_sets:
                        with self.element("Set", guid=_guid(item.guid), name=item.name):
                            self.description(item.description)
                            self.refs("MemberCode", item.member_codes, attribute="guid")

    def code(self, code: Code, notes: bool = True):
        attributes = {"guid": _guid(code.guid), "name": code.name, "isCodable": code.is_codable}
        attributes["color"] = values.color(code.color)
        with self.element("Code", **attributes):
            self.description(code.description)
            if notes:
                self.refs("NoteRef", code.note_refs)
            for child in code.children:
                self.code(child, notes)

    # -- project ------------------------------------------------------------------------------

    def project(self, project: Project, origin: str, line_endings: str):
        """Write project.qde; a generator that pauses (yields) after the heading elements and
        after each source and note, the XML so far flushed to the stream."""
        kinds = {v.guid: v.type for v in project.variables}
        root = {
            "name": project.name,
            "origin": origin,
            "creatingUserGUID": project.creating_user and _guid(project.creating_user),
            "creationDateTime": project.creation_datetime,
            "modifiedDateTime": project.modified_datetime,
        }
        with self.document("Project", **root):
            if project.users:
                with self.element("Users"):
                    for user in project.users:
                        self.leaf("User", guid=_guid(user.guid), name=user.name)
            if project.codes:
                with self.element("CodeBook"), self.element("Codes"):
                    for code in project.codes:
                        self.code(code)
            if project.variables:
                with self.element("Variables"):
                    for variable in project.variables:
                        attrs = {"name": variable.name, "typeOfVariable": variable.type}
                        with self.element("Variable", guid=_guid(variable.guid), **attrs):
                            self.description(variable.description)
            if project.cases:
                with self.element("Cases"):
                    for case in project.cases:
                        with self.element("Case", guid=_guid(case.guid), name=case.name or None):
                            self.description(case.description)
                            self.refs("CodeRef", case.code_refs)
                            self.variable_values(case.variable_values, kinds)
                            self.refs("SourceRef", case.source_refs)
                            self.refs("SelectionRef", case.selection_refs)
            yield
            if project.sources:
                with self.element("Sources"):
                    for source in project.sources:
                        self.text_source(source, kinds, line_endings)
                        self.xf.flush()
                        yield
            if project.notes:
                with self.element("Notes"):
                    for note in project.notes:
                        attrs = {
                            "name": note.name,
                            "creatingUser": note.creating_user and _guid(note.creating_user),
                            "creationDateTime": note.creation_datetime,
                            "modifiedDateTime": note.modified_datetime,
                        }
                        with self.element("Note", guid=_guid(note.guid), **attrs):
                            self.description(note.description)
                            self.leaf("PlainTextContent", note.text)
                        self.xf.flush()
                        yield
            sets = [s for s in project.sets if s.member_codes or s.member_sources or s.member_notes]
            if sets:
                with self.element("Sets"):
                    for item in sets:
                        with self.element("Set", guid=_guid(item.guid), name=item.name):
                            self.description(item.description)
                            self.refs("MemberCode", item.member_codes)
                            self.refs("MemberSource", item.member_sources)
                            self.refs("MemberNote", item.member_notes)
            self.description(project.description)
            self.refs("NoteRef", project.note_refs)

    def variable_values(self, pairs, kinds: dict[str, str]):
        for pair in pairs:
            kind = kinds.get(pair.variable_guid)
            written = values.write_value(kind, pair.value) if kind else None
            if written is None:
                continue
            with self.element("VariableValue"):
                self.leaf("VariableRef", targetGUID=_guid(pair.variable_guid))
                self.leaf(written[0], written[1])

    def text_source(self, source: TextSource, kinds: dict[str, str], line_endings: str):
        guid = _guid(source.guid)
        attributes = {
            "name": source.name,
            "plainTextPath": f"internal://{guid}.txt",
            "creatingUser": source.creating_user and _guid(source.creating_user),
            "creationDateTime": source.creation_datetime,
            "modifiedDateTime": source.modified_datetime,
        }
        unit = Unit("codepoint", "one") if line_endings == "crlf" else Unit()
        mapper = Mapper(source.text, unit)
        with self.element("TextSource", guid=guid, **attributes):
            self.description(source.description)
            # Selections are the bulk of a project (one per coded passage): written as text, in
            # batches, straight into the stream lxml writes to (flushed first), which costs a
            # fraction of an lxml call per element and attribute.
            self.xf.flush()
            batch = []
            for selection in source.selections:
                start, end = mapper.units(selection.start), mapper.units(selection.end)
                batch.append(_selection_xml(selection, start, end))
                if len(batch) == 500:
                    self.stream.write("".join(batch).encode("utf-8"))
                    batch.clear()
            self.stream.write("".join(batch).encode("utf-8"))
            self.refs("NoteRef", source.note_refs)
            self.variable_values(source.variable_values, kinds)
