"""A Verbatim project as REFI-QDA: a .qdpx of the whole project, a .qdc of its codebook.

The project is handed to the writer (exchange.refi) as its model, its sources loaded from the
database one interview at a time as the zip is written, so memory does not grow with the project.
The export reads one snapshot of the database (REPEATABLE READ), so a coding made meanwhile cannot
point at a code the file lacks.

What goes where:
- users: every member, coder, reviewer and memo author;
- the codebook, with colours; the Description holds the definition, then « When to use: » and
  « When not to use: » (exchange.descriptions); a code with sub-codes and no codings of its own is
  written as a folder (isCodable="false");
- one variable per participant attribute, one case per participant (values all their interviews
  share; a value that differs is written on the interview's source);
- one TextSource per interview, its text as stored, UTF-8, `sources/<guid>.txt`; one
  PlainTextSelection per coded passage (start, end) with a Coding per code and coder;
- memos as notes: on the project, an interview, a code (NoteRef there) or a coding (NoteRef in the
  Coding); review comments as notes on their coding.

GUIDs are name-based (uuid5) on the project and each object's id, so two exports of an unchanged
project are the same file but for the zip's dates.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from coding.models import Code, Coding, Memo, ReviewEvent
from exchange import descriptions, refi
from exchange.plans import choices_line
from interviews.models import Attribute, AttributeValue, Interview, Project

# The namespace of the GUIDs Verbatim writes (any fixed UUID would do; this one is Verbatim's).
NAMESPACE = uuid.UUID("0b7c8e52-3f0a-5d6e-9a41-7e2c5b9d1f30")
ORIGIN = "Verbatim"
NAME_WORDS = 60  # characters of a passage in its selection's name, as ATLAS.ti does


class Guids:
    """Stable GUIDs for one project's objects: the same object, the same GUID, export after export.

    uuid5 of the project and the object's kind and id, computed as uuid.uuid5 does (a test checks
    they agree) without building a UUID object: an export makes one per coding."""

    def __init__(self, project: Project):
        self.prefix = NAMESPACE.bytes + f"{project.pk}:{project.created_at.isoformat()}".encode()
        self.codes: dict[int, str] = {}

    def __call__(self, kind: str, *identity) -> str:
        name = ":".join(["", kind, *map(str, identity)]).encode("utf-8")
        digest = bytearray(hashlib.sha1(self.prefix + name).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = digest.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def code(self, code_id: int) -> str:
        if code_id not in self.codes:
            self.codes[code_id] = self("code", code_id)
        return self.codes[code_id]


def project_chunks(project: Project, *, line_endings: str = "as_is") -> Iterator[bytes]:
    """The project as a .qdpx, piece by piece (for a streamed response or a file)."""
    with _snapshot():
        model = _Exported(project).project()
        yield from refi.iter_project(model, line_endings=line_endings, origin=ORIGIN)


def codebook_bytes(project: Project) -> bytes:
    """The project's codebook as a .qdc. Raises ValueError when it has no code."""
    buffer = io.BytesIO()
    with _snapshot():
        model = refi.Project(codes=_Exported(project).codes(notes=False))
    refi.write_codebook(model, buffer, origin=ORIGIN)
    return buffer.getvalue()


@contextmanager
def _snapshot():
    """One consistent view of the database for the whole export, when we own the transaction."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


class _Exported:
    def __init__(self, project: Project):
        self.project_row = project
        self.guid = Guids(project)
        self.memos = defaultdict(list)  # ("project" | "interview" | "code" | "coding", id) → GUIDs
        self.notes: list[refi.Note] = []
        self.users: dict[int, str] = {}

    def user(self, user_id: int | None) -> str | None:
        return self.users.get(user_id) if user_id else None

    def project(self) -> refi.Project:
        project = self.project_row
        users = self._users()
        self._notes()
        variables, kinds = self._variables()
        cases, own_values = self._cases(variables, kinds)
        return refi.Project(
            name=project.name,
            description=project.description,
            creation_datetime=project.created_at,
            users=users,
            codes=self.codes(notes=True),
            variables=list(variables.values()),
            cases=cases,
            sources=_Sources(self, own_values, kinds),
            notes=self.notes,
            note_refs=self.memos[("project", None)],
        )

    def _users(self) -> list[refi.User]:
        project = self.project_row
        # Four small queries rather than one OR over four joins, which would multiply rows.
        involved = set(project.memberships.values_list("user_id", flat=True))
        for rows in (
            Coding.objects.filter(interview__project=project).values_list("coder_id"),
            ReviewEvent.objects.filter(coding__interview__project=project).values_list(
                "reviewer_id"
            ),
            Memo.objects.filter(project=project).values_list("author_id"),
            project.interviews.values_list("imported_by_id"),
        ):
            involved |= {pk for (pk,) in rows.order_by().distinct()}
        people = get_user_model().objects.filter(pk__in=involved).order_by("pk")
        result = []
        for person in people:
            self.users[person.pk] = self.guid("user", person.pk)
            name = " ".join(person.get_full_name().split()) or person.get_username()
            result.append(refi.User(self.users[person.pk], name))
        return result

    def codes(self, *, notes: bool) -> list[refi.Code]:
        rows = list(
            Code.objects.filter(project=self.project_row)
            .annotate(used=Count("codings__code"))
            .order_by("position", "name", "pk")
        )
        children = defaultdict(list)
        for row in rows:
            children[row.parent_id].append(row)

        def build(row: Code) -> refi.Code:
            kids = [build(child) for child in children[row.pk]]
            return refi.Code(
                guid=self.guid.code(row.pk),
                name=row.name,
                color=row.color.lower(),
                description=descriptions.join(row.description, row.inclusion, row.exclusion),
                # A code that only groups others is a folder: other tools let nobody code with it.
                is_codable=not (kids and not row.used),
                children=kids,
                note_refs=self.memos[("code", row.pk)] if notes else [],
            )

        return [build(row) for row in children[None]]

    def _notes(self) -> None:
        memos = Memo.objects.filter(project=self.project_row).order_by("created_at", "pk")
        for memo in memos.iterator():
            guid = self.guid("memo", memo.pk)
            if memo.coding_id:
                self.memos[("coding", memo.coding_id)].append(guid)
            elif memo.code_id:
                self.memos[("code", memo.code_id)].append(guid)
            elif memo.interview_id:
                self.memos[("interview", memo.interview_id)].append(guid)
            else:
                self.memos[("project", None)].append(guid)
            self.notes.append(
                refi.Note(
                    guid=guid,
                    name=memo.body.split("\n", 1)[0][:NAME_WORDS],
                    text=memo.body,
                    creating_user=self.user(memo.author_id),
                    creation_datetime=memo.created_at,
                    modified_datetime=memo.updated_at,
                )
            )
        reviews = (
            ReviewEvent.objects.filter(coding__interview__project=self.project_row)
            .exclude(comment="")
            .order_by("created_at", "pk")
        )
        statuses = dict(Coding.Status.choices)
        for review in reviews.iterator():
            guid = self.guid("review", review.pk)
            self.memos[("coding", review.coding_id)].append(guid)
            self.notes.append(
                refi.Note(
                    guid=guid,
                    name=_("Review comment (%(decision)s)")
                    % {"decision": statuses.get(review.status, review.status)},
                    text=review.comment,
                    creating_user=self.user(review.reviewer_id),
                    creation_datetime=review.created_at,
                    modified_datetime=review.created_at,
                )
            )

    def _variables(self):
        attributes = list(Attribute.objects.filter(project=self.project_row))
        fractional = set(
            AttributeValue.objects.filter(
                attribute__in=[a for a in attributes if a.type == Attribute.Type.NUMBER]
            )
            .exclude(number__isnull=True)
            .values_list("attribute_id", "number")
        )
        variables, kinds = {}, {}
        for attribute in attributes:
            kind = {
                Attribute.Type.NUMBER: "Integer",
                Attribute.Type.DATE: "Date",
            }.get(attribute.type, "Text")
            if kind == "Integer" and any(
                a == attribute.pk and n != n.to_integral_value() for a, n in fractional
            ):
                kind = "Float"
            description = (
                choices_line(attribute.choices) if attribute.type == Attribute.Type.CHOICE else ""
            )
            variables[attribute.pk] = refi.Variable(
                self.guid("attribute", attribute.pk), attribute.name, kind, description
            )
            kinds[attribute.pk] = kind
        return variables, kinds

    def _cases(self, variables, kinds):
        """One case per participant, with the values all their interviews share; the values that
        differ from the case's stay on each interview (`own_values`)."""
        values = defaultdict(dict)  # interview id → attribute id → typed value
        rows = AttributeValue.objects.filter(interview__project=self.project_row).select_related(
            "attribute"
        )
        for row in rows.iterator():
            if row.value not in (None, ""):
                values[row.interview_id][row.attribute_id] = _typed(
                    row.value, kinds[row.attribute_id]
                )
        interviews = (
            Interview.objects.filter(project=self.project_row)
            .exclude(participant="")
            .order_by("participant", "title", "pk")
            .values_list("pk", "participant")
        )
        people = defaultdict(list)
        for pk, participant in interviews:
            people[participant].append(pk)
        cases, shared_by = [], {}
        for participant, members in people.items():
            shared = dict(values[members[0]])
            for pk in members[1:]:
                shared = {a: v for a, v in shared.items() if values[pk].get(a) == v}
            for pk in members:
                shared_by[pk] = shared
            cases.append(
                refi.Case(
                    guid=self.guid("case", participant),
                    name=participant,
                    variable_values=[
                        refi.VariableValue(variables[a].guid, v) for a, v in shared.items()
                    ],
                    source_refs=[self.guid("interview", pk) for pk in members],
                )
            )
        own_values = {
            pk: [
                refi.VariableValue(variables[a].guid, v)
                for a, v in found.items()
                if shared_by.get(pk, {}).get(a) != v
            ]
            for pk, found in values.items()
        }
        return cases, own_values


def _typed(value, kind: str):
    """An attribute value (AttributeValue.value: int or Decimal, date, str) as the variable's."""
    if kind == "Integer":
        return int(value)
    if kind == "Float":
        return Decimal(value)
    return value


class _Sources:
    """The project's interviews as TextSources, loaded one at a time whenever they are iterated
    (the writer goes through them twice: for project.qde, then for their text files)."""

    def __init__(self, exported: _Exported, own_values, kinds):
        self.exported = exported
        self.own_values = own_values
        self.queryset = Interview.objects.filter(project=exported.project_row).order_by(
            "title", "pk"
        )
        self.count = self.queryset.count()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[refi.TextSource]:
        exported = self.exported
        fields = ("pk", "title", "text", "imported_by_id", "created_at")
        for row in self.queryset.values(*fields).iterator(chunk_size=8):
            pk = row["pk"]
            yield refi.TextSource(
                guid=exported.guid("interview", pk),
                name=row["title"],
                text=row["text"],
                selections=_Selections(exported, pk, row["text"]),
                note_refs=exported.memos[("interview", pk)],
                variable_values=self.own_values.get(pk, []),
                creating_user=exported.user(row["imported_by_id"]),
                creation_datetime=row["created_at"],
            )


class _Selections:
    """An interview's codings as selections, one per coded passage, read when iterated."""

    def __init__(self, exported: _Exported, interview_id: int, text: str):
        self.exported, self.interview_id, self.text = exported, interview_id, text

    def __iter__(self) -> Iterator[refi.Selection]:
        exported, guid = self.exported, self.exported.guid
        # Plain SQL: an export reads every coding of the project, and the ORM's per-row work was a
        # third of the export's time (docs/benchmarks.md).
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT id, code_id, coder_id, start, "end", created_at FROM coding_coding'
                ' WHERE interview_id = %s ORDER BY start, "end", id',
                [self.interview_id],
            )
            rows = cursor.fetchall()
        current = None
        for pk, code_id, coder_id, start, end, created in rows:
            if current is None or (current.start, current.end) != (start, end):
                if current is not None:
                    yield current
                current = refi.Selection(
                    guid=guid("selection", self.interview_id, start, end),
                    start=start,
                    end=end,
                    name=_passage_name(self.text[start:end]),
                    creating_user=exported.user(coder_id),
                    creation_datetime=created,
                )
            current.creation_datetime = min(current.creation_datetime, created)
            current.codings.append(
                refi.Coding(
                    guid=guid("coding", pk),
                    code_guid=guid.code(code_id),
                    creating_user=exported.user(coder_id),
                    creation_datetime=created,
                    note_refs=exported.memos[("coding", pk)],
                )
            )
        if current is not None:
            yield current


def _passage_name(passage: str) -> str:
    words = " ".join(passage.split())
    return words if len(words) <= NAME_WORDS else words[: NAME_WORDS - 1].rstrip() + "…"
