"""Step 1 of a REFI-QDA import, without the database: the file read and turned into a `Plan`, what
Verbatim will store.

    parse(file) → Plan → importing.preview(plan) → importing.store_project / store_codebook

`parse` is the only step that reads the upload (a hostile file, perhaps): it takes a binary file
and returns plain data, so it can run in a separate, limited process, and its result can wait in
the database for the admin's confirmation (`dump` and `load`, JSON).

The text of each interview is the text of its source with every line break as "\\n" (what the
browser would make of a CR anyway) and no NUL character (PostgreSQL refuses them); every position
is carried through that change by an explicit `OffsetMap`, so each coding covers exactly the
characters the other tool coded. Nothing else is touched, not even Unicode normalisation.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import re
import zlib
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from exchange import refi
from interviews import services
from interviews.models import Attribute
from jobs import isolation

PROJECT = "project"
CODEBOOK = "codebook"
NAME_LENGTH = 200  # coding.Code.name
TITLE_LENGTH = 255  # interviews.Interview.title
ATTRIBUTE_LENGTH = 100  # interviews.Attribute.name
VALUE_LENGTH = 500  # interviews.AttributeValue.text
NUMBER_LIMIT = Decimal(10) ** 10  # AttributeValue.number: 14 digits, 4 after the point
NUMBER_PLACES = Decimal("0.0001")


@dataclass
class Notice:
    """Something the import changes or leaves out, for the preview (beside the reader's losses)."""

    kind: str
    count: int
    details: list[str] = field(default_factory=list)


@dataclass
class SourcePlan:
    """One text source as it will be stored: an interview and the selections coded in it."""

    guid: str
    interview: services.InterviewPlan  # text with "\n" line breaks, title, speakers, values
    selections: list[refi.Selection]  # positions are code points of interview.text
    description: str = ""
    note_refs: list[str] = field(default_factory=list)
    creating_user: str | None = None
    alignment: refi.Alignment | None = None
    line_breaks: int = 0  # CR or CRLF line breaks stored as "\n"
    merged: list[str] = field(default_factory=list)  # sources of the same text, added to this one
    merged_guids: list[str] = field(default_factory=list)


@dataclass
class AttributeSpec:
    """A participant attribute made from a REFI-QDA variable."""

    variable: str  # the variable's GUID
    name: str
    type: str  # an interviews.Attribute.Type
    choices: list[str] = field(default_factory=list)


@dataclass
class Plan:
    kind: str  # PROJECT or CODEBOOK
    file_name: str
    # What was read: users, codes, notes, cases, variables, sets, losses. Its sources are moved into
    # `sources` below, with their text as it will be stored.
    project: refi.Project
    sources: list[SourcePlan] = field(default_factory=list)
    attributes: list[AttributeSpec] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A name for the new project: the file's own, else the file name."""
        return (self.project.name or PurePosixPath(self.file_name).stem).strip()[:200]

    def codings(self) -> int:
        return sum(len(s.codings) for source in self.sources for s in source.selections)

    def selections(self) -> int:
        return sum(len(source.selections) for source in self.sources)


def parse(fileobj, kind: str, *, file_name: str, limits: refi.Limits) -> Plan:
    """Read a .qdpx (kind PROJECT) or .qdc (kind CODEBOOK) from a binary file object and plan its
    import. Raises refi.RefiError when the file cannot be read at all, or not within the memory
    and time the reader may have (code "exhausted", its message already in the user's language).

    The XML and the zip are read in a separate process with a memory and CPU ceiling
    (jobs/isolation.py), like any uploaded transcript: a file built to exhaust the reader fails
    alone. Only what it read comes back; the plan is made here."""
    try:
        project = isolation.run(
            refi.read_file,
            _source(fileobj),
            kind == CODEBOOK,
            limits,
            limits=isolation.Limits(
                settings.VERBATIM_QDPX_MEMORY_MB, settings.VERBATIM_QDPX_CPU_SECONDS
            ),
            what=_("this REFI-QDA file"),
        )
    except isolation.Exhausted as exhausted:
        raise refi.RefiError(str(exhausted), "exhausted") from None
    notices = _Notices()
    plan = Plan(kind, file_name, project)
    _fix_codes(project.codes, notices)
    if kind == PROJECT:
        plan.attributes = _attributes(project, notices)
        plan.sources = _sources(project, plan.attributes, file_name, notices)
        project.sources = []
        _note_what_else(project, plan.sources, notices)
    if project.sets:
        notices.add("set_not_kept", len(project.sets), *(s.name for s in project.sets))
    plan.notices = notices.collected()
    return plan


def _source(fileobj) -> str | bytes:
    """The file's path when it has one on disk (a large upload Django spooled, a file the command
    opened), else its bytes."""
    if hasattr(fileobj, "temporary_file_path"):
        return fileobj.temporary_file_path()
    if isinstance(fileobj, io.BufferedReader):
        return fileobj.name
    fileobj.seek(0)
    return fileobj.read()


class _Notices:
    def __init__(self):
        self.found: dict[str, Notice] = {}

    def add(self, kind: str, count: int = 1, *details: str):
        if count <= 0:
            return
        notice = self.found.setdefault(kind, Notice(kind, 0))
        notice.count += count
        notice.details.extend(d for d in details[: max(0, 10 - len(notice.details))] if d)

    def collected(self) -> list[Notice]:
        return list(self.found.values())


# Line breaks and positions ---------------------------------------------------------------------

_DROPPED = re.compile("\r(?=\n)|\x00")


class OffsetMap:
    """Where each position of a source's text lies in the text as stored.

    Stored text drops the CR of each CRLF and every NUL, and turns a lone CR into LF. A position k
    (before the k-th character) moves back by the characters dropped before it. An end that falls
    between the CR and the LF of a line break includes the whole line break: the passage ended with
    a CR, which is a line break in the stored text too."""

    def __init__(self, text: str):
        self.dropped = [m.start() for m in _DROPPED.finditer(text)]
        self.inside_crlf = {k + 1 for k in self.dropped if text[k] == "\r"}

    def start(self, k: int) -> int:
        return k - bisect_left(self.dropped, k)

    def end(self, k: int) -> int:
        return self.start(k) + (k in self.inside_crlf)


def normalise(text: str) -> tuple[str, OffsetMap]:
    """The text as Verbatim stores it, and where the original positions go."""
    return _DROPPED.sub("", text).replace("\r", "\n"), OffsetMap(text)


def stored_passage(original: str) -> str:
    """What a passage of the original text reads as once stored (for checking a coding)."""
    return original.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


# The codebook ----------------------------------------------------------------------------------


def _fix_codes(codes: list[refi.Code], notices: _Notices) -> None:
    """Names Verbatim can store: not empty, at most 200 characters, unique among siblings whatever
    the case (the database refuses two « Confiance » under one parent)."""
    taken: set[str] = set()
    for code in codes:
        original = code.name
        name = " ".join(code.name.split())[:NAME_LENGTH] or _("Untitled code")
        base, number = name, 1
        while name.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            name = base[: NAME_LENGTH - len(suffix)] + suffix
        taken.add(name.casefold())
        if name != original:
            notices.add("renamed_code", 1, f"{original or '—'} → {name}")
            code.name = name
        if not code.is_codable:
            notices.add("category", 1, name)
        _fix_codes(code.children, notices)


# Variables and cases → participant attributes ----------------------------------------------------


def _attributes(project: refi.Project, notices: _Notices) -> list[AttributeSpec]:
    values = defaultdict(list)
    for holder in [*project.cases, *project.sources]:
        for pair in holder.variable_values:
            if pair.value is not None:
                values[pair.variable_guid].append(pair.value)
    specs, taken = [], set()
    for variable in project.variables:
        name = " ".join(variable.name.split())[:ATTRIBUTE_LENGTH] or _("Variable")
        base, number = name, 1
        while name.casefold() in taken:
            number += 1
            name = f"{base[: ATTRIBUTE_LENGTH - 5]} ({number})"
        taken.add(name.casefold())
        # Plain strings, not Attribute.Type members: a plan holds no Django class (see `load`).
        spec = AttributeSpec(variable.guid, name, str(_attribute_type(variable, values, notices)))
        if spec.type == Attribute.Type.CHOICE:
            spec.choices = _choices(variable, values[variable.guid])
        specs.append(spec)
    return specs


CHOICES = re.compile(r"^(?:Choices|Choix)\s?:\s*(.*)$", re.MULTILINE)


def choices_line(choices: list[str]) -> str:
    """How an export says that a Text variable is a choice among these values (read back by
    `_attribute_type`; other tools show it as the variable's description)."""
    return "Choices: " + " | ".join(choices)


def _attribute_type(variable: refi.Variable, values, notices: _Notices) -> str:
    kind = variable.type
    if kind in ("Integer", "Float"):
        numbers = [Decimal(n) for n in values[variable.guid]]
        if all(abs(n.quantize(NUMBER_PLACES)) < NUMBER_LIMIT for n in numbers):
            if any(n != n.quantize(NUMBER_PLACES) for n in numbers):
                notices.add("number_rounded", 1, variable.name)
            return Attribute.Type.NUMBER
        notices.add("number_as_text", 1, variable.name)
        return Attribute.Type.TEXT
    if kind == "Date":
        return Attribute.Type.DATE
    if kind == "DateTime":
        notices.add("datetime_as_date", 1, variable.name)
        return Attribute.Type.DATE
    if kind == "Boolean" or CHOICES.search(variable.description):
        return Attribute.Type.CHOICE
    return Attribute.Type.TEXT


def _choices(variable: refi.Variable, found: list) -> list[str]:
    if variable.type == "Boolean":
        return [_("yes"), _("no")]
    listed = CHOICES.search(variable.description)
    written = [c.strip() for c in listed[1].split("|")] if listed else []
    return list(dict.fromkeys([c for c in written if c] + sorted({str(v) for v in found})))


def _as_text(value, spec: AttributeSpec) -> str:
    """A typed value as interviews.services stores it (it parses numbers and dates back)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if spec.type == Attribute.Type.NUMBER:
        number = Decimal(value).quantize(NUMBER_PLACES).normalize()
        return format(number, "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if spec.type == Attribute.Type.DATE else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _values_by_source(project: refi.Project, specs, notices: _Notices):
    """Each source's attribute values: its cases' values, then its own (which win), by name; and
    the name of its case (the participant)."""
    by_guid = {spec.variable: spec for spec in specs}
    cases_of = defaultdict(list)
    for case in project.cases:
        for guid in case.source_refs:
            cases_of[guid].append(case)
        if not case.source_refs:
            notices.add("case_without_source", 1, case.name)
        if case.code_refs or case.selection_refs:
            notices.add("case_links", len(case.code_refs) + len(case.selection_refs), case.name)
    values, participants = {}, {}
    for source in project.sources:
        found: dict[str, str] = {}
        for case in cases_of[source.guid]:
            for pair in case.variable_values:
                spec = by_guid.get(pair.variable_guid)
                if spec is None or pair.value is None:
                    continue
                text = _as_text(pair.value, spec)
                if found.setdefault(spec.name, text) != text:
                    notices.add("value_conflict", 1, f"{source.name}: {spec.name}")
        for pair in source.variable_values:
            spec = by_guid.get(pair.variable_guid)
            if spec is not None and pair.value is not None:
                found[spec.name] = _as_text(pair.value, spec)
        long = [name for name, text in found.items() if len(text) > VALUE_LENGTH]
        notices.add("long_value", len(long), *(f"{source.name}: {name}" for name in long))
        values[source.guid] = found
        cases = cases_of[source.guid]
        participants[source.guid] = cases[0].name if cases else None
    return values, participants


# Sources → interviews ----------------------------------------------------------------------------


def _sources(project: refi.Project, specs, file_name: str, notices: _Notices) -> list[SourcePlan]:
    values, participants = _values_by_source(project, specs, notices)
    plans: list[SourcePlan] = []
    by_text: dict[str, SourcePlan] = {}
    for number, source in enumerate(project.sources, start=1):
        text, offsets = normalise(source.text)
        selections = _moved(source, offsets, notices)
        breaks = source.text.count("\r")
        if "\x00" in source.text:
            notices.add("nul_removed", 1, source.name)
        twin = by_text.get(text)
        if twin is not None:  # one text twice: one interview, holding the codings of both
            twin.selections.extend(selections)
            twin.note_refs.extend(source.note_refs)
            twin.merged.append(source.name)
            twin.merged_guids.append(source.guid)
            notices.add("duplicate_source", 1, f"{source.name} → {twin.interview.title}")
            continue
        interview = services.plan_for(
            services.Prepared(name=source.name or file_name, format="qdpx", text=text)
        )
        title = " ".join(source.name.split())[:TITLE_LENGTH]
        for speaker in interview.speakers:
            speaker.role = str(speaker.role)
        interview.title = title or _("Source %(number)d") % {"number": number}
        interview.name = f"{file_name} · {interview.title}"[:TITLE_LENGTH]
        # The participant is the source's case; without any case in the file, the speaker label
        # the text suggests, as for other imports.
        if project.cases:
            interview.participant = (participants[source.guid] or "")[:200]
        interview.values = values[source.guid]
        plan = SourcePlan(
            guid=source.guid,
            interview=interview,
            selections=selections,
            description=source.description,
            note_refs=list(source.note_refs),
            creating_user=source.creating_user,
            alignment=source.alignment,
            line_breaks=breaks,
        )
        if breaks:
            notices.add("line_endings", 1, source.name)
        by_text[text] = plan
        plans.append(plan)
    return plans


def _moved(source: refi.TextSource, offsets: OffsetMap, notices: _Notices):
    kept = []
    for selection in source.selections:
        if not selection.codings:
            notices.add("selection_without_coding", 1, f"{source.name}: {selection.name}")
        start, end = offsets.start(selection.start), offsets.end(selection.end)
        if selection.end <= selection.start or end <= start:
            where = f"{source.name}: {selection.start}–{selection.end}"
            notices.add("empty_selection", 1, where)
            continue
        selection.start, selection.end = start, end
        kept.append(selection)
    return kept


def coder(known: set[str], *creators: str | None) -> str | None:
    """The user who made a coding: the first creator named, in the order given (the coding's,
    its selection's, its source's, the project's); None when it is not among `known` users."""
    guid = next((guid for guid in creators if guid), None)
    return guid if guid in known else None


def creators(project: refi.Project, source: SourcePlan, selection: refi.Selection, coding):
    return (
        coding.creating_user,
        selection.creating_user,
        source.creating_user,
        project.creating_user,
    )


def _note_what_else(project: refi.Project, sources: list[SourcePlan], notices: _Notices) -> None:
    known = {user.guid for user in project.users}
    unknown = sum(
        1
        for source in sources
        for selection in source.selections
        for coding in selection.codings
        if coder(known, *creators(project, source, selection, coding)) is None
    )
    notices.add("unknown_coder", unknown)
    described = sum(1 for case in project.cases if case.description)
    notices.add("case_description", described, *(c.name for c in project.cases if c.description))


# Keeping a plan in the database until the admin confirms -----------------------------------------
#
# Pickled (a plan of 100,000 codings takes a second, where a JSON encoding of the dataclasses took
# twenty), and read back by an unpickler that builds nothing but the classes below: a draft row
# altered in the database could not make it run anything else.

_ALLOWED = {
    (cls.__module__, cls.__qualname__)
    for cls in (
        Notice,
        SourcePlan,
        AttributeSpec,
        Plan,
        services.InterviewPlan,
        services.SpeakerPlan,
        refi.Project,
        refi.User,
        refi.Code,
        refi.TextSource,
        refi.Selection,
        refi.Coding,
        refi.Variable,
        refi.VariableValue,
        refi.Case,
        refi.Note,
        refi.Set,
        refi.Loss,
        refi.SkippedSource,
        refi.Alignment,
        refi.Unit,
        dt.date,
        dt.datetime,
        dt.timezone,
        dt.timedelta,
        Decimal,
    )
} | {("copyreg", "_reconstructor"), ("builtins", "object"), ("builtins", "str")}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of an import plan")
        return super().find_class(module, name)


def dump(plan: Plan) -> bytes:
    """The plan, compressed, for the database (exchange.models.ImportDraft.plan)."""
    return zlib.compress(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL), 1)


def load(data: bytes) -> Plan:
    return _Unpickler(io.BytesIO(zlib.decompress(bytes(data)))).load()
