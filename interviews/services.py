"""Importing interviews, shared by the upload pages (import_views.py) and `manage.py import_interviews`.

Three steps, the same for both callers:
1. `prepare()` reads an uploaded file (or each file of a .zip) and pseudonymises its text at once: the
   original text never leaves this function (it is not stored, not even in a draft).
2. `plan_for()` proposes what to store: title, participant, speakers and their roles (the admin may
   change them), attribute values from a sheet (`match_sheet`, `plan_attributes`).
3. `import_interviews()` stores every plan in one transaction: all or nothing, unless the caller asks
   for the valid ones only. `import_interview()` stores one.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from interviews import formats
from interviews.models import (
    Attribute,
    AttributeValue,
    Interview,
    Project,
    Speaker,
    TimeMark,
    Turn,
    text_checksum,
)
from interviews.pseudonyms import Pseudonymiser, name_key
from interviews.transcripts import GENERIC_LABEL, INTERVIEWER_LABEL, parse_turns

NOT_A_SPEAKER = ""  # the role an admin gives a detected label that is not a speaker ("Note :")


# 1. Reading and pseudonymising -----------------------------------------------------------------


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


def prepare(
    *,
    name: str,
    data: bytes,
    pseudonymiser: Pseudonymiser,
    encoding: str | None = None,
    language: str = "fr",
) -> list[Prepared]:
    """The transcripts in one uploaded file (several for a .zip), read and pseudonymised."""
    if formats.extension(name) != "zip":
        return [_prepare_one(name, data, pseudonymiser, encoding, language)]
    try:
        members = formats.unpack_zip(data)
    except formats.Unreadable as problem:
        return [Prepared(pseudonymiser.apply(name), error=str(problem))]
    if not members:
        return [Prepared(pseudonymiser.apply(name), error=_("The archive contains no file."))]
    prepared = []
    for member, content in members:
        if formats.extension(member) == "zip":
            error = _("Archives inside an archive are not opened: upload it on its own.")
            prepared.append(Prepared(pseudonymiser.apply(member), error=error))
        else:
            prepared.append(_prepare_one(member, content, pseudonymiser, encoding, language))
    return prepared


def _prepare_one(name, data, pseudonymiser, encoding, language) -> Prepared:
    # File names often carry the participant's real name ("Entretien Martine Dupont.docx").
    safe_name = pseudonymiser.apply(PurePosixPath(name).name)[:255]
    try:
        extracted = formats.read_transcript(name, data, encoding, language=language)
    except formats.Unreadable as problem:
        return Prepared(safe_name, formats.extension(name), error=str(problem))
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
        name=safe_name,
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


# 2. Proposing what to store --------------------------------------------------------------------


@dataclass
class SpeakerPlan:
    label: str
    name: str
    role: str  # a Speaker.Role, or NOT_A_SPEAKER
    turns: int = 0


def detect_speakers(text: str, hints: list[str] = ()) -> list[SpeakerPlan]:
    """Speaker labels found in the text (a label opening at least two lines, or one the format
    marked), in order of appearance, with a guessed role and the label as display name."""
    labels = {turn.label for turn in parse_turns(text)} | set(hints)
    counts = Counter(turn.label for turn in parse_turns(text, labels=labels))
    return [SpeakerPlan(label, label, guess_role(label), count) for label, count in counts.items()]


def guess_role(label: str) -> str:
    return Speaker.Role.INTERVIEWER if INTERVIEWER_LABEL.match(label) else Speaker.Role.PARTICIPANT


@dataclass
class InterviewPlan:
    """Everything stored for one transcript; the admin's choices are applied to it."""

    name: str
    format: str
    text: str
    title: str
    participant: str = ""
    interviewed_on: date | None = None
    language: str = "fr"
    speakers: list[SpeakerPlan] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # attribute name → value as written
    marks: list[list] = field(default_factory=list)  # [start, end, time start, time end]


def plan_for(prepared) -> InterviewPlan:
    """The proposal for a prepared transcript (a `Prepared` or an `ImportFile`)."""
    speakers = detect_speakers(prepared.text, prepared.labels)
    named = [
        s.label
        for s in speakers
        if s.role == Speaker.Role.PARTICIPANT and not GENERIC_LABEL.match(s.label)
    ]
    return InterviewPlan(
        name=prepared.name,
        format=prepared.format,
        text=prepared.text,
        title=PurePosixPath(prepared.name).stem[:255],
        participant=named[0] if len(named) == 1 else "",
        speakers=speakers,
        marks=(prepared.marks or {}).get(prepared.encoding, []),
    )


# Attribute sheets ---------------------------------------------------------------------------------

# Columns with a meaning of their own (by folded header); every other column is an attribute.
SPECIAL_COLUMNS = {
    "file": {"fichier", "file", "filename", "file name", "nom du fichier", "nom de fichier"},
    "participant": {"pseudonyme", "pseudonym", "participant", "participante", "participant·e"},
    "title": {"titre", "title", "titre de l'entretien"},
    "date": {"date", "date de l'entretien", "date d'entretien", "interview date", "interviewed on"},
    "language": {"langue", "language"},
}


@dataclass
class SheetMatch:
    """A sheet's rows matched to the uploaded files (by file name, or by participant pseudonym)."""

    attributes: list[str] = field(default_factory=list)  # attribute column headers, in order
    rows: dict[int, dict[str, str]] = field(default_factory=dict)  # file index → column → value
    errors: list[str] = field(default_factory=list)  # problems of the sheet itself
    file_errors: dict[int, str] = field(default_factory=dict)  # problems of one file's row
    warnings: list[str] = field(default_factory=list)


def match_sheet(rows: list[list[str]], plans: list[InterviewPlan]) -> SheetMatch:
    header, *body = rows
    roles = {}
    for index, title in enumerate(header):
        key = name_key(title)
        special = next((name for name, keys in SPECIAL_COLUMNS.items() if key in keys), None)
        roles[index] = special or ("attribute" if title else None)
    match = SheetMatch(attributes=[header[i] for i, role in roles.items() if role == "attribute"])
    duplicates = [h for h, n in Counter(name_key(h) for h in header if h).items() if n > 1]
    if duplicates:
        match.errors.append(
            _("The sheet has two columns named “%(name)s”.") % {"name": duplicates[0]}
        )
    key_column = next((i for i, r in roles.items() if r == "file"), None)
    if key_column is None:
        key_column = next((i for i, r in roles.items() if r == "participant"), None)
    if key_column is None:
        match.errors.append(
            _(
                "The sheet needs a column naming each row's file (“Fichier”) or pseudonym (“Pseudonyme”)."
            )
        )
        return match
    seen: dict[str, int] = {}
    for number, row in enumerate(body, start=2):
        row = row + [""] * (len(header) - len(row))
        key = row[key_column]
        if not key:
            match.errors.append(
                _("Row %(row)d has no file name or pseudonym in column “%(column)s”.")
                % {"row": number, "column": header[key_column]}
            )
            continue
        if name_key(key) in seen:
            match.errors.append(
                _("Rows %(first)d and %(row)d both name “%(key)s”.")
                % {"first": seen[name_key(key)], "row": number, "key": key}
            )
        seen.setdefault(name_key(key), number)
        targets = [i for i, plan in enumerate(plans) if _names_file(key, plan)]
        if not targets:
            match.warnings.append(
                _("Row %(row)d: no uploaded file matches “%(key)s”.") % {"row": number, "key": key}
            )
        for target in targets:
            if target in match.rows:
                match.file_errors[target] = _(
                    "Several rows of the attribute sheet name this file (row %(row)d and another)."
                ) % {"row": number}
            match.rows[target] = {
                roles[i] if roles[i] != "attribute" else header[i]: value
                for i, value in enumerate(row[: len(header)])
                if roles.get(i)
            }
    return match


def _names_file(key: str, plan: InterviewPlan) -> bool:
    key = name_key(key)
    names = {name_key(plan.name), name_key(PurePosixPath(plan.name).stem)}
    return key in names or (bool(plan.participant) and key == name_key(plan.participant))


def apply_sheet(plan: InterviewPlan, row: dict[str, str]) -> None:
    """Fill a plan from its sheet row: title, participant, date, language, attribute values."""
    if row.get("title"):
        plan.title = row["title"][:255]
    if row.get("participant"):
        plan.participant = row["participant"][:200]
    if row.get("date"):
        plan.interviewed_on = parse_date(row["date"])
    if row.get("language"):
        plan.language = row["language"][:16]
    special = set(SPECIAL_COLUMNS)
    plan.values.update({k: v for k, v in row.items() if k not in special and v})


def parse_number(value: str) -> Decimal | None:
    """ "12", "12,5", "1 234.5" (French or English writing); None when it is not a number."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", value).replace(",", ".")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def parse_date(value: str) -> date | None:
    """ "2024-05-14", "14/05/2024" or "14.05.2024" (day first, as in French); None otherwise."""
    value = value.strip()[:10]
    for pattern, order in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", (0, 1, 2)),
        (r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", (2, 1, 0)),
    ):
        if found := re.fullmatch(pattern, value):
            parts = [int(found[i + 1]) for i in order]
            try:
                return date(*parts)
            except ValueError:
                return None
    return None


@dataclass
class AttributePlan:
    name: str
    type: str
    choices: list[str]
    existing: Attribute | None = None


def infer_type(values: list[str]) -> str:
    """Number, date, choice (a few values that repeat) or text, from a column's non-empty values."""
    values = [v for v in values if v]
    if not values:
        return Attribute.Type.TEXT
    if all(parse_number(v) is not None for v in values):
        return Attribute.Type.NUMBER
    if all(parse_date(v) is not None for v in values):
        return Attribute.Type.DATE
    distinct = set(values)
    if len(distinct) <= 12 and len(distinct) < len(values) and max(map(len, distinct)) <= 200:
        return Attribute.Type.CHOICE
    return Attribute.Type.TEXT


def plan_attributes(
    project: Project, plans: list[InterviewPlan], types: dict[str, str] | None = None
) -> list[AttributePlan]:
    """Every attribute the plans give values to: the project's own (their type kept), and new ones
    with the type the admin chose in `types` or, failing that, the one their values suggest."""
    existing = {name_key(a.name): a for a in project.attributes.all()}
    names = list(dict.fromkeys(name for plan in plans for name in plan.values))
    result = []
    for name in names:
        values = [plan.values.get(name, "") for plan in plans]
        attribute = existing.get(name_key(name))
        # A known attribute keeps its type; a new one takes the admin's choice or the inferred one.
        type_ = attribute.type if attribute else (types or {}).get(name) or infer_type(values)
        choices = sorted({v for v in values if v}) if type_ == Attribute.Type.CHOICE else []
        result.append(AttributePlan(name, type_, choices, attribute))
    return result


def check_values(plan: InterviewPlan, attributes: list[AttributePlan]) -> list[str]:
    """What is wrong with a plan's attribute values, in words for the admin."""
    problems = []
    for attribute in attributes:
        value = plan.values.get(attribute.name, "")
        if not value:
            continue
        if attribute.type == Attribute.Type.NUMBER and parse_number(value) is None:
            problems.append(
                _("“%(value)s” is not a number (%(attribute)s).") % _names(value, attribute)
            )
        elif attribute.type == Attribute.Type.DATE and parse_date(value) is None:
            problems.append(
                _("“%(value)s” is not a date such as 2024-05-14 (%(attribute)s).")
                % _names(value, attribute)
            )
        elif len(value) > 500:
            problems.append(
                _("A value is longer than 500 characters (%(attribute)s).")
                % _names(value, attribute)
            )
    return problems


def _names(value, attribute: "AttributePlan"):
    name = attribute.existing.name if attribute.existing else attribute.name
    return {"value": value[:60], "attribute": name}


# 3. Storing ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[Interview] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # messages: already imported, duplicates
    errors: list[str] = field(default_factory=list)  # messages naming the file and the problem


def duplicate_of(project: Project, text: str) -> Interview | None:
    return project.interviews.filter(checksum=text_checksum(text)).defer("text").first()


def import_interview(
    *,
    project: Project,
    plan: InterviewPlan,
    imported_by,
    attributes: dict[str, Attribute] | None = None,
) -> Interview:
    """Store one transcript with its speakers, turns and attribute values. Call inside a transaction.

    `attributes` maps the plan's value names to saved attributes (see `save_attributes`). Raises
    ValidationError when the text is already in the project or the plan is not valid.
    """
    if existing := duplicate_of(project, plan.text):
        raise ValidationError(
            _("%(file)s: already imported as “%(title)s”.") % {"file": plan.name, "title": existing}
        )
    if not plan.title.strip():
        raise ValidationError(_("%(file)s: the title is empty.") % {"file": plan.name})
    interview = Interview.objects.create(
        project=project,
        title=plan.title.strip(),
        participant=plan.participant.strip(),
        language=plan.language or "fr",
        source_name=plan.name[:255],
        source_format=plan.format,
        interviewed_on=plan.interviewed_on,
        text=plan.text,
        imported_by=imported_by,
    )
    marks = _store_marks(interview, plan.marks)
    _store_turns(interview, plan.speakers, marks)
    _store_values(interview, plan.values, attributes or {})
    return interview


def _store_marks(interview: Interview, marks: list[list]) -> list[TimeMark]:
    """The plan's timed marks that fit the text, stored (a draft's JSON is checked again)."""
    length = len(interview.text)
    rows = [
        TimeMark(
            interview=interview,
            start=start,
            end=end,
            time_start=timedelta(seconds=time_start),
            time_end=timedelta(seconds=time_end) if time_end is not None else None,
        )
        for start, end, time_start, time_end in marks
        if 0 <= start < end <= length
        and time_start >= 0
        and (time_end is None or time_end >= time_start)
    ]
    return TimeMark.objects.bulk_create(rows)


def _store_turns(interview: Interview, speakers: list[SpeakerPlan], marks: list[TimeMark]) -> None:
    kept = {s.label: s for s in speakers if s.role != NOT_A_SPEAKER}
    if not kept:
        return
    marks = sorted(marks, key=lambda mark: mark.start)
    rows = Speaker.objects.bulk_create(
        Speaker(
            interview=interview, label=s.label[:100], name=(s.name or s.label)[:100], role=s.role
        )
        for s in kept.values()
    )
    by_label = {speaker.label: speaker for speaker in rows}
    Turn.objects.bulk_create(
        Turn(
            interview=interview,
            speaker=by_label[turn.label[:100]],
            start=turn.start,
            end=turn.end,
            timestamp=turn.timestamp,
        )
        for turn in parse_turns(interview.text, labels=set(kept), marks=marks)
        if turn.end > turn.start
    )


def _store_values(interview, values: dict[str, str], attributes: dict[str, Attribute]) -> None:
    rows = []
    for name, raw in values.items():
        attribute = attributes.get(name)
        if attribute is None or not raw:
            continue
        value = AttributeValue(interview=interview, attribute=attribute)
        if attribute.type == Attribute.Type.NUMBER:
            value.number = parse_number(raw)
        elif attribute.type == Attribute.Type.DATE:
            value.date = parse_date(raw)
        else:
            value.text = raw[:500]
        rows.append(value)
    AttributeValue.objects.bulk_create(rows)


def save_attributes(project: Project, plans: list[AttributePlan]) -> dict[str, Attribute]:
    """Create the new attributes and widen the choices of existing ones; by column name."""
    saved = {}
    position = max((a.position for a in project.attributes.all()), default=-1) + 1
    for plan in plans:
        attribute = plan.existing
        if attribute is None:
            attribute = Attribute.objects.create(
                project=project,
                name=plan.name[:100],
                type=plan.type,
                choices=plan.choices,
                position=position,
            )
            position += 1
        elif attribute.type == Attribute.Type.CHOICE and set(plan.choices) - set(attribute.choices):
            attribute.choices = sorted(set(attribute.choices) | set(plan.choices))
            attribute.save(update_fields=["choices"])
        saved[plan.name] = attribute
    return saved


def import_interviews(
    *,
    project: Project,
    plans: list[InterviewPlan],
    imported_by,
    problems: list[str] = (),
    types: dict[str, str] | None = None,
    valid_only: bool = False,
    progress=None,
) -> ImportResult:
    """Store every valid plan in one transaction. `problems` are errors found before (unreadable
    files, sheet errors): with any problem and without `valid_only`, nothing is stored.

    Texts already in the project, or twice in the batch, are skipped with a message, not refused.
    `progress(done, total)` is called after each interview.
    """
    result = ImportResult(errors=list(problems))
    attributes = plan_attributes(project, plans, types)
    texts = {}
    valid = []
    for plan in plans:
        checksum = text_checksum(plan.text)
        if existing := duplicate_of(project, plan.text):
            result.skipped.append(
                _("%(file)s: already imported as “%(title)s”, skipped.")
                % {"file": plan.name, "title": existing}
            )
        elif checksum in texts:
            result.skipped.append(
                _("%(file)s: same text as %(other)s, skipped.")
                % {"file": plan.name, "other": texts[checksum]}
            )
        elif problems_ := check_values(plan, attributes):
            result.errors.extend(f"{plan.name}: {problem}" for problem in problems_)
        else:
            texts[checksum] = plan.name
            valid.append(plan)
    if result.errors and not valid_only:
        return result
    with transaction.atomic():
        saved = save_attributes(project, [a for a in attributes if _used(a, valid)])
        for done, plan in enumerate(valid, start=1):
            try:
                with transaction.atomic():
                    result.created.append(
                        import_interview(
                            project=project, plan=plan, imported_by=imported_by, attributes=saved
                        )
                    )
            except ValidationError as error:
                result.errors.extend(error.messages)
            if progress:
                progress(done, len(valid))
        if result.errors and not valid_only:
            transaction.set_rollback(True)
            result.created = []
    return result


def _used(attribute: AttributePlan, plans: list[InterviewPlan]) -> bool:
    return any(plan.values.get(attribute.name) for plan in plans)
