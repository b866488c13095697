"""Reading .qdpx projects and .qdc codebooks, leniently: whatever real tools write, as long as it
can be understood; what cannot be kept is listed in `Project.losses`, never dropped silently."""

from __future__ import annotations

import io
from collections import defaultdict

from . import values
from .archive import Archive, Limits
from .model import (
    Case,
    Code,
    Coding,
    Loss,
    Note,
    Project,
    RefiError,
    Selection,
    Set,
    SkippedSource,
    TextSource,
    User,
    Variable,
    VariableValue,
)
from .positions import RawSelection, align, to_units
from .xmlread import GuardedReader, children, items, local, text_of

_DETAILS_SHOWN = 10
_UNALIGNED_SHOWN = 200
_MEDIA = {
    "PictureSource": ("picture", "picture_source", "PictureSelection"),
    "AudioSource": ("audio", "audio_source", "AudioSelection"),
    "VideoSource": ("video", "video_source", "VideoSelection"),
}


def read_project(fileobj, limits: Limits | None = None) -> Project:
    """The project of a .qdpx file (a binary file object). Raises RefiError."""
    limits = limits or Limits()
    archive = Archive(fileobj, limits)
    reader = _ProjectReader(archive, limits)
    with archive.open(archive.project_member) as stream:
        reader.parse(GuardedReader(stream, archive.project_member.filename))
    return reader.finish()


def read_codebook(fileobj, limits: Limits | None = None) -> Project:
    """The codes (and code sets) of a .qdc codebook, as a Project with nothing else."""
    limits = limits or Limits()
    head = fileobj.read(4)
    if head[:2] == b"PK":
        raise RefiError(
            "This file is a zip archive, not a .qdc codebook: import it as a .qdpx project.",
            code="not_codebook",
        )
    stream = _Prefixed(head, fileobj)
    reader = _ProjectReader(None, limits)
    reader.parse(GuardedReader(stream, "The codebook", limits.max_archive_bytes), codebook=True)
    return reader.finish()


class _Prefixed:
    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        return self.rest.read(size)


def read_file(source: str | bytes, codebook: bool, limits: Limits | None = None) -> Project:
    """`read_project` (or `read_codebook`) of a file given by its path or its bytes: the form that
    crosses into a separate process (Verbatim reads uploads in a limited one, jobs/isolation.py)."""
    read = read_codebook if codebook else read_project
    if isinstance(source, bytes):
        return read(io.BytesIO(source), limits)
    with open(source, "rb") as stream:
        return read(stream, limits)


def _guid(element, attribute: str = "guid", context: str = "") -> str:
    return values.guid(element.get(attribute), context=context or local(element))


def _user(element, attribute: str) -> str | None:
    raw = element.get(attribute)
    return values.guid(raw, context="User") if raw else None


class _ProjectReader:
    def __init__(self, archive: Archive | None, limits: Limits):
        self.archive = archive
        self.limits = limits
        self.project = Project()
        self.lost: dict[str, list] = defaultdict(lambda: [0, [], 0])  # count, details, unshown
        self.unaligned: list[Loss] = []
        self.unaligned_more = 0

    # -- losses -------------------------------------------------------------------------------

    def lose(self, kind: str, count: int, detail: str):
        if count <= 0:
            return
        entry = self.lost[kind]
        entry[0] += count
        if len(entry[1]) < _DETAILS_SHOWN:
            entry[1].append(detail)
        else:
            entry[2] += 1

    def lose_selection(self, source: str, guid: str, start, end, reason: str):
        if len(self.unaligned) >= _UNALIGNED_SHOWN:
            self.unaligned_more += 1
            return
        self.unaligned.append(
            Loss(
                "unaligned_selection",
                1,
                f"Selection {guid} of “{source}” at {start}–{end}: {reason}.",
            )
        )

    # -- parsing ------------------------------------------------------------------------------

    def parse(self, stream, codebook: bool = False):
        label = "The codebook" if codebook else "project.qde"
        for depth, element in items(stream, label):
            name = local(element)
            if depth == 0:
                self.root(name, element, codebook)
                continue
            parent = local(element.getparent())
            if codebook:
                self.codebook_item(depth, parent, name, element)
            elif depth == 2:
                self.project_item(parent, name, element)
            else:
                self.project_top(name, element)

    def root(self, name: str, element, codebook: bool):
        project = self.project
        if codebook and name not in ("CodeBook", "Project"):
            raise RefiError(
                f"This XML file is not a REFI-QDA codebook (its root element is <{name}>).",
                code="not_codebook",
            )
        if not codebook and name != "Project":
            hint = " It is a codebook: import it as a .qdc." if name == "CodeBook" else ""
            raise RefiError(
                f"project.qde is not a REFI-QDA project (its root element is <{name}>).{hint}",
                code="not_project",
            )
        project.name = element.get("name") or ""
        project.origin = element.get("origin")
        project.creating_user = _user(element, "creatingUserGUID")
        project.creation_datetime = values.datetime(element.get("creationDateTime"))
        project.modified_datetime = values.datetime(element.get("modifiedDateTime"))

    def codebook_item(self, depth: int, parent: str, name: str, element):
        if depth == 2 and parent == "Codes" and name == "Code":
            self.project.codes.append(self.code(element))
        elif depth == 2 and parent == "Sets" and name == "Set":
            self.project.sets.append(self.set(element))
        elif depth == 2 and parent == "CodeBook" and name == "Codes":
            self.project.codes.extend(self.code(c) for n, c in children(element) if n == "Code")

    def project_top(self, name: str, element):
        if name == "Description":
            self.project.description = text_of(element)
        elif name == "NoteRef":
            self.project.note_refs.append(_guid(element, "targetGUID", "Note"))

    def project_item(self, parent: str, name: str, element):
        project = self.project
        if parent == "Users" and name == "User":
            project.users.append(User(_guid(element, context="User"), element.get("name") or ""))
        elif parent == "CodeBook" and name == "Codes":
            project.codes.extend(self.code(c) for n, c in children(element) if n == "Code")
        elif parent == "Variables" and name == "Variable":
            project.variables.append(self.variable(element))
        elif parent == "Cases" and name == "Case":
            project.cases.append(self.case(element))
        elif parent == "Sources":
            self.source(name, element)
        elif parent == "Notes" and name == "Note":
            self.note(element)
        elif parent == "Links" and name == "Link":
            self.lose("link", 1, element.get("name") or "unnamed link")
        elif parent == "Sets" and name == "Set":
            project.sets.append(self.set(element))
        elif parent == "Graphs" and name == "Graph":
            self.lose("graph", 1, element.get("name") or "unnamed graph")

    # -- items --------------------------------------------------------------------------------

    def code(self, element) -> Code:
        code = Code(
            guid=_guid(element, context="Code"),
            name=element.get("name") or "",
            color=values.color(element.get("color")),
            is_codable=values.boolean(element.get("isCodable"), default=True),
        )
        for name, child in children(element):
            if name == "Description":
                code.description = text_of(child)
            elif name == "NoteRef":
                code.note_refs.append(_guid(child, "targetGUID", "Note"))
            elif name == "Code":
                code.children.append(self.code(child))
        return code

    def variable(self, element) -> Variable:
        kind = (element.get("typeOfVariable") or "Text").strip()
        kind = {k.lower(): k for k in values.VALUE_ELEMENTS}.get(kind.lower(), "Text")
        variable = Variable(_guid(element, context="Variable"), element.get("name") or "", kind)
        for name, child in children(element):
            if name == "Description":
                variable.description = text_of(child)
        return variable

    def variable_value(self, element) -> VariableValue | None:
        target, value = None, None
        for name, child in children(element):
            if name == "VariableRef":
                target = _guid(child, "targetGUID", "Variable")
            elif name in values.ELEMENT_TYPES:
                value = values.read_value(name, child.text)
        return VariableValue(target, value) if target else None

    def case(self, element) -> Case:
        case = Case(_guid(element, context="Case"), element.get("name") or "")
        for name, child in children(element):
            if name == "Description":
                case.description = text_of(child)
            elif name == "CodeRef":
                case.code_refs.append(_guid(child, "targetGUID", "Code"))
            elif name == "VariableValue":
                if value := self.variable_value(child):
                    case.variable_values.append(value)
            elif name == "SourceRef":
                case.source_refs.append(_guid(child, "targetGUID", "Source"))
            elif name == "SelectionRef":
                case.selection_refs.append(_guid(child, "targetGUID", "Selection"))
        return case

    def set(self, element) -> Set:
        item = Set(_guid(element, context="Set"), element.get("name") or "")
        for name, child in children(element):
            # A codebook's MemberCode names its code in `guid`, a project's in `targetGUID`.
            target = child.get("targetGUID") or child.get("guid")
            if name == "Description":
                item.description = text_of(child)
            elif name == "MemberCode":
                item.member_codes.append(values.guid(target, context="Code"))
            elif name == "MemberSource":
                item.member_sources.append(values.guid(target, context="Source"))
            elif name == "MemberNote":
                item.member_notes.append(values.guid(target, context="Note"))
        return item

    def note(self, element):
        note = Note(
            guid=_guid(element, context="Note"),
            name=element.get("name") or "",
            creating_user=_user(element, "creatingUser"),
            creation_datetime=values.datetime(element.get("creationDateTime")),
            modified_datetime=values.datetime(element.get("modifiedDateTime")),
        )
        selections = 0
        content = None
        for name, child in children(element):
            if name == "Description":
                note.description = text_of(child)
            elif name == "PlainTextContent":
                content = text_of(child)
            elif name == "PlainTextSelection":
                selections += 1
        if content is None:
            content, _bom, problem = self.file_text(element.get("plainTextPath"))
            if content is None and element.get("plainTextPath"):
                self.lose("note_text", 1, f"note “{note.name or note.guid}”: {problem}")
        note.text = (content or "").removeprefix("\ufeff")
        self.lose("note_selection", selections, f"note “{note.name or note.guid}”")
        self.project.notes.append(note)

    # -- sources ------------------------------------------------------------------------------

    def source(self, kind: str, element):
        guid = _guid(element, context="Source")
        name = element.get("name") or ""
        if kind == "TextSource":
            self.text_source(element, guid, name, "text")
        elif kind == "PDFSource":
            found = [c for n, c in children(element) if n == "Representation"]
            selections = sum(1 for n, _ in children(element) if n == "PDFSelection")
            self.lose("pdf_selection", selections, f"“{name}” ({selections} area selections)")
            self.source_codings(element, name)
            if found:
                self.text_source(found[0], guid, name, "pdf", outer=element)
            else:
                self.skip(guid, name, "pdf", "pdf_source", "it has no plain-text representation")
        elif kind in _MEDIA:
            short, loss, selection_tag = _MEDIA[kind]
            selections = sum(1 for n, _ in children(element) if n == selection_tag)
            transcripts = sum(1 for n, _ in children(element) if n == "Transcript")
            extra = f"{selections} selections, {transcripts} transcripts"
            self.skip(guid, name, short, loss, f"Verbatim imports text only ({extra})")

    def skip(self, guid: str, name: str, kind: str, loss: str, reason: str):
        self.project.skipped_sources.append(SkippedSource(guid, name, kind, reason))
        self.lose(loss, 1, f"“{name}”: {reason}")

    def source_codings(self, element, name: str):
        count = sum(1 for n, _ in children(element) if n == "Coding")
        self.lose("source_coding", count, f"“{name}” ({count} codings of the whole source)")

    def file_text(self, path: str | None) -> tuple[str | None, bool, str]:
        """(text, had a byte order mark, why there is no text)."""
        if self.archive is None:
            return None, False, "a codebook has no files"
        info, problem = self.archive.find_source(path)
        if info is None:
            return None, False, problem
        limit = self.limits.max_source_characters
        data = self.archive.read(info, 4 * limit + 4)
        if data is None:
            return None, False, f"its text is longer than {limit} characters"
        bom = False
        try:
            if data.startswith(b"\xef\xbb\xbf"):
                bom, text = True, data[3:].decode("utf-8")
            elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
                bom, text = True, data.decode("utf-16")
            else:
                text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, False, f"its text is not UTF-8 (invalid byte at offset {error.start})"
        if len(text) > limit:
            return None, False, f"its text is longer than {limit} characters"
        return text, bom, ""

    def text_source(self, element, guid: str, name: str, kind: str, outer=None):
        outer = outer if outer is not None else element
        content = next((c for n, c in children(element) if n == "PlainTextContent"), None)
        if content is not None:
            text, bom, problem = text_of(content), False, ""
            if text.startswith("\ufeff"):
                text, bom = text[1:], True
        else:
            text, bom, problem = self.file_text(element.get("plainTextPath"))
        if text is None:
            self.skip(guid, name, "text", "source_without_text", problem)
            return
        if element.get("richTextPath"):
            self.lose("rich_text", 1, f"“{name}” (formatting of its rich-text file)")
        source = TextSource(
            guid=guid,
            name=name,
            text=text,
            kind=kind,
            creating_user=_user(outer, "creatingUser"),
            creation_datetime=values.datetime(outer.get("creationDateTime")),
            modified_datetime=values.datetime(outer.get("modifiedDateTime")),
        )
        raw, pending = [], []
        for tag, child in children(element):
            if tag == "PlainTextSelection":
                selection, start, end = self.selection(child)
                if start is None or end is None:
                    self.lose_selection(
                        name,
                        selection.guid,
                        child.get("startPosition"),
                        child.get("endPosition"),
                        "its positions are not numbers",
                    )
                    continue
                raw.append(RawSelection(start, end, selection.name))
                pending.append(selection)
        self.source_codings(element, name)
        self.source_details(element, source)
        if outer is not element:  # a PDF's text: the PDF's own description, notes and values
            self.source_details(outer, source)
        source.alignment, positions = align(text, bom, raw, self.project.origin)
        for selection, where, original in zip(pending, positions, raw, strict=True):
            if where is None:
                unit = source.alignment.unit
                length = to_units(text, len(text), unit, bom)
                if min(original.start, original.end) < 0 or original.start > original.end:
                    reason = "its start and end are not an ordered pair of positions"
                elif original.end > length:
                    reason = f"it ends past the end of the text ({length} in {unit.describe()})"
                else:
                    reason = f"it does not fall on character boundaries in {unit.describe()}"
                self.lose_selection(name, selection.guid, original.start, original.end, reason)
                continue
            selection.start, selection.end = where
            source.selections.append(selection)
        alignment = source.alignment
        if (
            alignment
            and alignment.fitting >= 4
            and alignment.clean_ends < 0.8 * 2 * alignment.fitting
        ):
            self.lose(
                "uncertain_alignment",
                alignment.fitting,
                f"“{name}”: read in {alignment.unit.describe()}, but only {alignment.clean_ends} of "
                f"{2 * alignment.fitting} selection ends fall on word boundaries; check them",
            )
        self.project.sources.append(source)

    def source_details(self, element, source: TextSource):
        for tag, child in children(element):
            if tag == "Description" and not source.description:
                source.description = text_of(child)
            elif tag == "NoteRef":
                source.note_refs.append(_guid(child, "targetGUID", "Note"))
            elif tag == "VariableValue" and (value := self.variable_value(child)):
                source.variable_values.append(value)

    def selection(self, element) -> tuple[Selection, int | None, int | None]:
        selection = Selection(
            guid=_guid(element, context="Selection"),
            start=0,
            end=0,
            name=element.get("name") or "",
            creating_user=_user(element, "creatingUser"),
            creation_datetime=values.datetime(element.get("creationDateTime")),
        )
        for name, child in children(element):
            if name == "Description":
                selection.description = text_of(child)
            elif name == "NoteRef":
                selection.note_refs.append(_guid(child, "targetGUID", "Note"))
            elif name == "Coding":
                ref = next((c for n, c in children(child) if n == "CodeRef"), None)
                if ref is None:
                    continue
                selection.codings.append(
                    Coding(
                        guid=_guid(child, context="Coding"),
                        code_guid=_guid(ref, "targetGUID", "Code"),
                        creating_user=_user(child, "creatingUser"),
                        creation_datetime=values.datetime(child.get("creationDateTime")),
                        note_refs=[
                            _guid(c, "targetGUID", "Note")
                            for n, c in children(child)
                            if n == "NoteRef"
                        ],
                    )
                )
        return (
            selection,
            _integer(element.get("startPosition")),
            _integer(element.get("endPosition")),
        )

    # -- after the whole file -----------------------------------------------------------------

    def finish(self) -> Project:
        project = self.project
        _unflatten(project)
        known_codes = {code.guid for code in project.all_codes()}
        for source in project.sources:
            for selection in source.selections:
                kept = [c for c in selection.codings if c.code_guid in known_codes]
                dropped = len(selection.codings) - len(kept)
                if dropped:
                    self.lose(
                        "unknown_code", dropped, f"“{source.name}”, selection {selection.guid}"
                    )
                    selection.codings = kept
        self.check_references()
        losses = [
            Loss(kind, count, _summary(details, unshown))
            for kind, (count, details, unshown) in self.lost.items()
        ]
        if self.unaligned_more:
            self.unaligned.append(
                Loss("unaligned_selection", self.unaligned_more, "and more selections like these")
            )
        project.losses = self.unaligned + losses
        return project

    def check_references(self):
        project = self.project
        sources = {source.guid for source in project.sources}
        codes = {code.guid for code in project.all_codes()}
        notes = {note.guid for note in project.notes}
        for item in project.sets:
            before = len(item.member_sources) + len(item.member_codes) + len(item.member_notes)
            item.member_sources = [g for g in item.member_sources if g in sources]
            item.member_codes = [g for g in item.member_codes if g in codes]
            if self.archive is not None:
                item.member_notes = [g for g in item.member_notes if g in notes]
            after = len(item.member_sources) + len(item.member_codes) + len(item.member_notes)
            self.lose("set", before - after, f"set “{item.name}”: members that were not imported")
        for case in project.cases:
            before = len(case.source_refs)
            case.source_refs = [g for g in case.source_refs if g in sources]
            self.lose("case_source", before - len(case.source_refs), f"case “{case.name}”")


def _integer(raw: str | None) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return None


def _summary(details: list[str], more: int) -> str:
    shown = "; ".join(details)
    return f"{shown}; and {more} more" if more > 0 else shown


def _unflatten(project: Project):
    """ATLAS.ti exports its code groups flattened into names such as `Coke::diet Coke` (REFI-QDA
    1.5, Annex A.2). Rebuild the tree: under the code of the parent's name at the same level when
    there is one, else under a new folder (not codable) with a stable GUID."""
    origin = (project.origin or "").lower()
    if origin and "atlas" not in origin:
        return
    project.codes = _unflatten_level(project.codes, ())


def _unflatten_level(codes: list[Code], path: tuple[str, ...]) -> list[Code]:
    kept: list[Code] = []
    flat: list[tuple[list[str], Code]] = []
    for code in codes:
        parts = [part.strip() for part in code.name.split("::")]
        if len(parts) > 1 and all(parts):
            flat.append((parts, code))
        else:
            kept.append(code)
    for parts, code in flat:
        parent_list, parent_path = kept, path
        for part in parts[:-1]:
            parent_path = (*parent_path, part)
            parent = next((c for c in parent_list if c.name == part), None)
            if parent is None:
                parent = Code(values.derived_guid("folder", *parent_path), part, is_codable=False)
                parent_list.append(parent)
            parent_list = parent.children
        code.name = parts[-1]
        parent_list.append(code)
    for code in kept:
        code.children = _unflatten_level(code.children, (*path, code.name))
    return kept
