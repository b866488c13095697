"""Steps 2 and 3 of a REFI-QDA import: what the preview shows, and storing a plan (exchange.plans)
in one transaction — all of it, or nothing.

A new project from a .qdpx: its codebook, one interview per text source (speakers detected as for
other imports), participant attributes from variables and cases, codings with their coders and
dates, and memos from notes. A .qdc adds its codes to a project's codebook (a code already there,
by name under the same parent, is kept as it is and receives the new sub-codes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coding.audit import recorded_as
from coding.codebook import PALETTE
from coding.models import Code, Coding, DatabaseFilledTextField, Memo
from exchange import descriptions, placeholders, refi
from exchange.plans import CODEBOOK, PROJECT, Plan, SourcePlan, coder, creators
from interviews import services
from interviews.models import Interview, Membership, Project

MiB = 1024 * 1024


def limits(max_bytes: int) -> refi.Limits:
    """What one upload may cost on this server: its size, and what it may unpack to."""
    return refi.Limits(
        max_archive_bytes=max_bytes, max_unpacked_bytes=min(10 * max_bytes, 2048 * MiB)
    )


# Refusals and notices, in the researcher's language --------------------------------------------

REFUSALS = {
    "not_zip": gettext_lazy(
        "This file is not a zip archive, so not a .qdpx project export. (A .qdc codebook is "
        "imported into a project's codebook.)"
    ),
    "no_project_qde": gettext_lazy(
        "The archive holds no project.qde: is this a REFI-QDA project export?"
    ),
    "not_project": gettext_lazy("The archive's project.qde is not a REFI-QDA project."),
    "not_codebook": gettext_lazy("This file is not a REFI-QDA codebook (.qdc)."),
    "invalid_xml": gettext_lazy(
        "The file is not well-formed XML: the export may be damaged or incomplete."
    ),
    "dtd": gettext_lazy(
        "The file declares a DTD or entities, which REFI-QDA files never do: it was refused for "
        "safety."
    ),
    "zip_bomb": gettext_lazy(
        "A file in the archive inflates far beyond its packed size: the archive looks like a zip "
        "bomb and was refused."
    ),
    "too_large": gettext_lazy("The file is larger than this server accepts (%(mb)d MB)."),
    "too_large_unpacked": gettext_lazy(
        "The archive unpacks to more than this server accepts (%(mb)d MB)."
    ),
    "too_many_entries": gettext_lazy("The archive holds more files than this server accepts."),
    "unsafe_member": gettext_lazy(
        "The archive contains a file with an unsafe name (one that climbs out of its folder or is "
        "absolute): it was refused. A REFI-QDA export never names files like this."
    ),
    "damaged_archive": gettext_lazy("The archive is damaged or encrypted and cannot be unpacked."),
}


def refusal(error: refi.RefiError, limit: refi.Limits) -> str:
    """Why a file was refused, translated; the reader's own words (in English, with the line or
    the file name) follow as a detail."""
    known = REFUSALS.get(error.code)
    if known is None:
        return str(error)
    sizes = {"too_large": limit.max_archive_bytes, "too_large_unpacked": limit.max_unpacked_bytes}
    message = str(known) % {"mb": sizes[error.code] // MiB} if error.code in sizes else str(known)
    return _("%(message)s (Detail: %(detail)s)") % {"message": message, "detail": error}


LABELS = {
    # What the reader leaves out (exchange.refi, Project.losses)
    "picture_source": gettext_lazy("Picture sources (Verbatim holds text only)"),
    "audio_source": gettext_lazy("Audio sources and their transcripts"),
    "video_source": gettext_lazy("Video sources and their transcripts"),
    "pdf_source": gettext_lazy("PDF sources without a plain-text version"),
    "pdf_selection": gettext_lazy("Area selections in PDFs"),
    "graph": gettext_lazy("Graphs (maps of codes and sources)"),
    "link": gettext_lazy("Links between items"),
    "set": gettext_lazy("Set members that were not imported"),
    "case_source": gettext_lazy("Cases' links to sources that were not imported"),
    "source_without_text": gettext_lazy("Text sources without readable text"),
    "unaligned_selection": gettext_lazy(
        "Selections that do not fit their text: listed here, not imported, never shifted"
    ),
    "uncertain_alignment": gettext_lazy(
        "Selections whose positions may be misread: check them after the import"
    ),
    "rich_text": gettext_lazy("Formatting of sources (their rich-text version)"),
    "source_coding": gettext_lazy("Codings of whole sources"),
    "unknown_code": gettext_lazy("Codings of codes missing from the codebook"),
    "note_selection": gettext_lazy("Selections inside notes"),
    "note_text": gettext_lazy("Notes whose text file could not be read"),
    # What the import itself changes (exchange.plans)
    "set_not_kept": gettext_lazy("Sets (groups of codes or sources): not kept"),
    "category": gettext_lazy(
        "Categories that cannot be coded in the other tool: they become ordinary parent codes, "
        "which Verbatim lets you apply"
    ),
    "renamed_code": gettext_lazy("Codes renamed (empty, too long, or the same as a sibling)"),
    "line_endings": gettext_lazy(
        "Sources whose Windows or Mac line endings are stored as plain line breaks (positions "
        "follow)"
    ),
    "nul_removed": gettext_lazy("Sources with NUL characters, removed (positions follow)"),
    "empty_selection": gettext_lazy(
        "Selections of nothing but NUL characters (or of no character): not imported"
    ),
    "selection_without_coding": gettext_lazy(
        "Selections without a code: their notes become memos on the interview"
    ),
    "duplicate_source": gettext_lazy(
        "Sources with the same text as another: stored once, with the codings of both"
    ),
    "unknown_coder": gettext_lazy("Codings that name no user of the file: credited to you"),
    "number_rounded": gettext_lazy("Number variables rounded to four decimals"),
    "number_as_text": gettext_lazy("Number variables too large for Verbatim: kept as text"),
    "datetime_as_date": gettext_lazy("Date-and-time variables: the date is kept"),
    "value_conflict": gettext_lazy(
        "Sources in several cases with different values: the first case's value is kept"
    ),
    "long_value": gettext_lazy("Values longer than 500 characters, cut"),
    "case_without_source": gettext_lazy("Cases without any text source: their values are not kept"),
    "case_links": gettext_lazy("Cases' links to codes or selections: not kept"),
    "case_description": gettext_lazy("Descriptions of cases: not kept"),
}


@dataclass
class NoticeRow:
    kind: str
    label: str
    count: int
    details: list[str]


@dataclass
class SourceRow:
    name: str
    title: str
    characters: int
    selections: int
    codings: int
    speakers: list[str]
    participant: str
    unit: str
    merged: list[str]


@dataclass
class Preview:
    counts: dict[str, int]
    sources: list[SourceRow] = field(default_factory=list)
    without_text: list[refi.SkippedSource] = field(default_factory=list)
    notices: list[NoticeRow] = field(default_factory=list)
    existing_codes: int = 0  # .qdc into a project: codes already in its codebook


def describe_alignment(alignment: refi.Alignment | None) -> str:
    """The unit a source's positions were read in, and the evidence, in words."""
    if alignment is None:
        return _("no selections")
    unit = alignment.unit
    words = [_("UTF-16 code units") if unit.code_unit == "utf16" else _("Unicode code points")]
    words.append(
        {
            "as_stored": _("line breaks counted as stored"),
            "one": _("each line break counted as one character"),
            "two": _("each line break counted as two characters"),
        }[unit.line_breaks]
    )
    if unit.bom_counted:
        words.append(_("byte order mark counted"))
    evidence = _(
        "%(fitting)d of %(total)d selections inside the text, %(clean)d of %(ends)d ends on word "
        "boundaries"
    ) % {
        "fitting": alignment.fitting,
        "total": alignment.selections,
        "clean": alignment.clean_ends,
        "ends": 2 * alignment.selections,
    }
    return _("%(unit)s: %(evidence)s") % {"unit": ", ".join(words), "evidence": evidence}


def preview(plan: Plan, project: Project | None = None) -> Preview:
    """What the preview page (and the command line) shows of a plan."""
    read = plan.project
    codes = list(read.all_codes())
    counts = {
        "users": len(read.users),
        "codes": len(codes),
        "top_codes": len(read.codes),
        "depth": _depth(read.codes),
        "sources": len(plan.sources) + sum(len(s.merged) for s in plan.sources),
        "interviews": len(plan.sources),
        "selections": plan.selections(),
        "codings": plan.codings(),
        "variables": len(read.variables),
        "cases": len(read.cases),
        "notes": len(read.notes),
        "sets": len(read.sets),
    }
    result = Preview(counts, without_text=list(read.skipped_sources))
    for source in plan.sources:
        result.sources.append(
            SourceRow(
                name=source.interview.name,
                title=source.interview.title,
                characters=len(source.interview.text),
                selections=len(source.selections),
                codings=sum(len(s.codings) for s in source.selections),
                speakers=[s.label for s in source.interview.speakers],
                participant=source.interview.participant,
                unit=describe_alignment(source.alignment),
                merged=source.merged,
            )
        )
    found = Counter()
    details: dict[str, list[str]] = {}
    for loss in read.losses:  # unaligned selections come one by one: gather them
        found[loss.kind] += loss.count
        details.setdefault(loss.kind, []).append(loss.detail)
    for notice in plan.notices:
        found[notice.kind] += notice.count
        details.setdefault(notice.kind, []).extend(notice.details)
    result.notices = [
        NoticeRow(kind, str(LABELS.get(kind, kind)), count, [d for d in details[kind] if d])
        for kind, count in found.items()
    ]
    if project is not None and plan.kind == CODEBOOK:
        result.existing_codes = _existing(project, read.codes)
    return result


def _depth(codes: list[refi.Code]) -> int:
    return 1 + max((_depth(c.children) for c in codes), default=0) if codes else 0


def _existing(project: Project, codes: list[refi.Code], parent: Code | None = None) -> int:
    """How many of these codes the project's codebook already has (same name, same parent)."""
    there = {c.name.casefold(): c for c in project.codes.filter(parent=parent)}
    count = 0
    for code in codes:
        match = there.get(code.name.casefold())
        if match is not None:
            count += 1 + _existing(project, code.children, match)
    return count


# Storing --------------------------------------------------------------------------------------


def store_project(
    plan: Plan, *, name: str, admin, users: dict[str, object | None], progress=None
) -> Project:
    """A new project holding everything the plan holds, `admin` its admin. `users` maps each REFI
    user's GUID to an account, or to None for a new placeholder account. One transaction.
    `progress(done, total, message)`, if given, is told after each interview (a background job's)."""
    progress = progress or (lambda done, total, message=None: None)
    if plan.kind != PROJECT:
        raise ValueError("store_project needs a project plan")
    with transaction.atomic():
        project = Project.objects.create(
            name=name[:200], description=plan.project.description.strip()
        )
        Membership.objects.create(project=project, user=admin, role=Membership.Role.ADMIN)
        accounts = _accounts(plan, project, admin, users)
        codes = _store_codes(project, plan.project.codes, admin)
        attributes = services.save_attributes(
            project,
            [services.AttributePlan(a.name, a.type, a.choices) for a in plan.attributes],
        )
        interviews, total = {}, len(plan.sources) + 1  # the codings are the last step
        for done, source in enumerate(plan.sources):
            progress(done, total, _("Storing the interviews…"))
            interviews[source.guid] = services.import_interview(
                project=project, plan=source.interview, imported_by=admin, attributes=attributes
            )
        progress(len(plan.sources), total, _("Storing the codings and memos…"))
        memos = _Memos(plan, project, accounts, admin)
        with recorded_as(admin, undoable=False):
            _store_codings(plan, interviews, codes, accounts, admin, memos)
        memos.store(interviews, codes)
        progress(total, total)
    return project


def store_codebook(plan: Plan, *, project: Project, user) -> int:
    """Add the plan's codes to the project's codebook; the number of codes created."""
    with transaction.atomic():
        return len(_store_codes(project, plan.project.codes, user, merge=True))


def new_codebook_project(plan: Plan, *, name: str, admin) -> Project:
    """A new project whose codebook is the plan's (a .qdc), `admin` its admin."""
    with transaction.atomic():
        project = Project.objects.create(name=name[:200])
        Membership.objects.create(project=project, user=admin, role=Membership.Role.ADMIN)
        _store_codes(project, plan.project.codes, admin)
    return project


def _accounts(plan: Plan, project: Project, admin, users) -> dict[str, object]:
    accounts = {}
    for refi_user in plan.project.users:
        account = users.get(refi_user.guid)
        if account is None:
            account = placeholders.create(
                refi_user.name or refi_user.guid, project=project, file_name=plan.file_name
            )
        accounts[refi_user.guid] = account
    for account in {a.pk: a for a in accounts.values()}.values():
        if account.pk != admin.pk:
            Membership.objects.get_or_create(
                project=project, user=account, defaults={"role": Membership.Role.RESEARCHER}
            )
    return accounts


def _store_codes(project, codes, user, *, merge=False) -> dict[str, Code]:
    """Create the code tree level by level (one INSERT per level); with `merge`, a code already
    there under the same parent and name is kept and receives the children. GUID → Code."""
    stored: dict[str, Code] = {}
    level = [(None, code) for code in codes]
    while level:
        parents = {parent.pk if parent else None for parent, _code in level}
        existing, positions = {}, {}
        if merge:
            for code in Code.objects.filter(project=project, parent_id__in=parents - {None}):
                existing[(code.parent_id, code.name.casefold())] = code
            if None in parents:
                for code in Code.objects.filter(project=project, parent=None):
                    existing[(None, code.name.casefold())] = code
            rows = Code.objects.filter(project=project).values("parent_id")
            for row in rows.annotate(last=Max("position")):
                positions[row["parent_id"]] = row["last"] + 1
        new, next_level = [], []
        siblings = Counter()
        for parent, code in level:
            parent_id = parent.pk if parent else None
            match = existing.get((parent_id, code.name.casefold()))
            if match is not None:
                next_level += [(match, child) for child in code.children]
                continue
            definition, inclusion, exclusion = descriptions.split(code.description)
            index = positions.get(parent_id, 0) + siblings[parent_id]
            siblings[parent_id] += 1
            row = Code(
                project=project,
                parent=parent,
                name=code.name,
                color=code.color or PALETTE[index % len(PALETTE)],
                description=definition.strip(),
                inclusion=inclusion.strip(),
                exclusion=exclusion.strip(),
                position=index,
                created_by=user,
            )
            new.append((code, row))
        Code.objects.bulk_create([row for _code, row in new])
        for code, row in new:
            stored[code.guid] = row
            next_level += [(row, child) for child in code.children]
        level = next_level
    return stored


def _store_codings(plan, interviews, codes, accounts, admin, memos) -> None:
    """Every coding of every selection, with its coder and date, by COPY: the database's triggers
    check each range and project, fill the coded text and write the audit trail (actor: the
    importer, out of Ctrl+Z's reach). Ids are taken first so that memos can point at them.

    Rows are written column by column from the model, so a field another app adds to Coding gets
    its default (that of a fresh Coding()), like any coding the workspace makes."""
    fields = list(Coding._meta.concrete_fields)
    blank = Coding()
    defaults = {
        f.attname: f.get_db_prep_save(getattr(blank, f.attname), connection) for f in fields
    }
    # Filled by the database: the coded text and its contexts.
    defaults |= {f.attname: "" for f in fields if isinstance(f, DatabaseFilledTextField)}
    order = [f.attname for f in fields]
    known = set(accounts)
    now = timezone.now()
    ids = iter(_take_ids(Coding, plan.codings()))
    table = connection.ops.quote_name(Coding._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for source in plan.sources:
            interview = interviews[source.guid]
            for selection in source.selections:
                made = []
                for coding in selection.codings:
                    guid = coder(known, *creators(plan.project, source, selection, coding))
                    when = coding.creation_datetime or selection.creation_datetime or now
                    pk = next(ids)
                    row = defaults | {
                        "id": pk,
                        "interview_id": interview.pk,
                        "code_id": codes[coding.code_guid].pk,
                        "coder_id": (accounts[guid] if guid else admin).pk,
                        "start": selection.start,
                        "end": selection.end,
                        "created_at": when,
                        "updated_at": when,
                    }
                    copy.write_row([row[name] for name in order])
                    made.append((coding, pk))
                memos.selection(interview, source, selection, made)


def _take_ids(model, count: int) -> list[int]:
    """`count` ids of the model's table, taken from its sequence."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


class _Memos:
    """REFI-QDA notes (and selection descriptions) as Verbatim memos: one per note and target."""

    def __init__(self, plan: Plan, project: Project, accounts, admin):
        self.plan, self.project, self.accounts, self.admin = plan, project, accounts, admin
        self.notes = {note.guid: note for note in plan.project.notes}
        self.used: set[str] = set()
        self.rows: list[tuple[Memo, object, object]] = []  # memo, created, updated

    def _add(self, body: str, author_guid, created, updated, **target) -> None:
        if not body.strip():
            return
        author = self.accounts.get(author_guid) if author_guid else None
        when = created or timezone.now()
        memo = Memo(project=self.project, author=author or self.admin, body=body, **target)
        self.rows.append((memo, when, updated or when))

    def note(self, guid: str, **target) -> None:
        note = self.notes.get(guid)
        if note is None:
            return
        self.used.add(guid)
        body = note.text if note.text.strip() else note.description
        if note.name and not body.startswith(note.name):
            body = f"{note.name}\n\n{body}" if body else note.name
        self._add(
            body, note.creating_user, note.creation_datetime, note.modified_datetime, **target
        )

    def selection(self, interview: Interview, source: SourcePlan, selection, made) -> None:
        """Notes of a selection and its codings. A note on the whole selection goes to the coding
        of the note's author, else to the first; without codings, to the interview, quoting the
        passage."""
        for coding, pk in made:
            for guid in coding.note_refs:
                self.note(guid, coding_id=pk)
        if not made:
            passage = interview.text[selection.start : selection.end]
            quote = f"« {' '.join(passage.split())[:200]} »"
            for guid in selection.note_refs:
                note = self.notes.get(guid)
                if note:
                    self.used.add(guid)
                    body = f"{quote}\n\n{note.text or note.description or note.name}"
                    self._add(
                        body, note.creating_user, note.creation_datetime, None, interview=interview
                    )
            if selection.description:
                self._add(
                    f"{quote}\n\n{selection.description}",
                    selection.creating_user,
                    selection.creation_datetime,
                    None,
                    interview=interview,
                )
            return
        for guid in selection.note_refs:
            note = self.notes.get(guid)
            author = note.creating_user if note else None
            mine = next((pk for c, pk in made if c.creating_user == author), made[0][1])
            self.note(guid, coding_id=mine)
        if selection.description:
            mine = next(
                (pk for c, pk in made if c.creating_user == selection.creating_user), made[0][1]
            )
            self._add(
                selection.description,
                selection.creating_user,
                selection.creation_datetime,
                None,
                coding_id=mine,
            )

    def store(self, interviews: dict[str, Interview], codes: dict[str, Code]) -> None:
        read = self.plan.project
        for guid in read.note_refs:
            self.note(guid)
        for source in self.plan.sources:
            interview = interviews[source.guid]
            for guid in source.note_refs:
                self.note(guid, interview=interview)
            if source.description.strip():
                self._add(source.description, source.creating_user, None, None, interview=interview)
        for code in read.all_codes():
            for guid in code.note_refs:
                self.note(guid, code=codes[code.guid])
        for guid in list(self.notes):  # notes nothing points at: the project's
            if guid not in self.used:
                self.note(guid)
        memos = Memo.objects.bulk_create([memo for memo, _created, _updated in self.rows])
        # bulk_create stamps its own dates (auto_now); the notes' dates are put back.
        for memo, (_memo, created, updated) in zip(memos, self.rows, strict=True):
            memo.created_at, memo.updated_at = created, updated
        Memo.objects.bulk_update(memos, ["created_at", "updated_at"], batch_size=1000)
