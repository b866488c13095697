"""The excerpt filters of a project, shared by the excerpts page, the review queue and the exports.

`ExcerptFilter(project, request.GET)` reads the query string, checks every value against the project
(another project's ids are "unknown", exactly like ids that do not exist) and, when valid, gives the
matching codings with what an excerpt shows: context before and after, speaker, memo count.

Query parameters, all optional, repeatable where it makes sense:

- `code=<id>` (repeatable), `subcodes=1` to include each code's sub-codes, `match=any|all`.
  `any` (default): codings of any of the codes. `all`: passages coded with every listed code: the
  codings of the listed codes that overlap (in the same interview) a coding of each other listed code.
  With `subcodes=1`, a code stands for its whole subtree. With `coder=`, the overlapping codings must
  be by the chosen coders too ("what rita coded A and B"); other filters apply to the codings shown.
- `coder=<user id>` (repeatable; a member of the project), `coder=me` for the requesting user.
- `interview=<id>` (repeatable).
- `attribute=<id>&value=<v>` pairs (repeatable, zipped in order). Number and date attributes accept an
  operator before the value: `>=5`, `<=5`, `>5`, `<5`, `=5`. Text and choice attributes compare
  without regard to case. Several plain values of one attribute mean "any of them"; comparisons all
  hold ("years ≥ 5 and ≤ 10").
- `speaker=participant|interviewer|<label>`: codings that start in a turn of a speaker with that role,
  or with that label or display name.
- `status=pending|approved|needs_change` (repeatable), `from=YYYY-MM-DD`, `to=YYYY-MM-DD` (the day
  a coding was made, both included, in the site's time zone).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Substr
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from coding.codebook import code_paths
from coding.models import Code, Coding, Memo
from interviews.models import (
    Attribute,
    AttributeValue,
    Interview,
    Membership,
    Project,
    Speaker,
    Turn,
)

CONTEXT_CHARS = 200  # about 30 words of French on each side of an excerpt
# What separates words when a context is cut, spelled out so that PostgreSQL's regular expressions
# and Python's agree exactly (their \s differ on no-break spaces, which « guillemets » are full of).
SPACE, NOT_SPACE = "[ \t\n\r]", "[^ \t\n\r]"
MAX_VALUES = 200  # per parameter: beyond this a query string is not a researcher's
ID = re.compile(r"[0-9]{1,18}", re.ASCII)
OPERATORS = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt", "=": "exact"}
SHOWN_OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
ROLES = {Speaker.Role.PARTICIPANT, Speaker.Role.INTERVIEWER}


@dataclass(frozen=True)
class Chip:
    """One active filter, said in words, and the query string of the same filters without it.

    `query` is relative to whatever page shows the chip: link it as `href="?{{ chip.query }}"`."""

    label: str
    query: str


@dataclass(frozen=True)
class AttributeCondition:
    attribute: Attribute
    operator: str  # a key of OPERATORS; "=" for text and choice attributes
    value: object  # Decimal, date or str, by the attribute's type
    raw: str  # as given, for the query string

    @property
    def label(self) -> str:
        shown = _short(self.value) if isinstance(self.value, date) else str(self.value)
        return f"{self.attribute.name} {SHOWN_OPERATORS[self.operator]} {shown}"


class RegexpReplace(Func):
    function = "regexp_replace"
    output_field = TextField()


class ExcerptFilter:
    """The excerpt filters of a project, read from a query dict (request.GET), shared by the excerpts
    page, the review queue and exports. Check `is_valid()` (and show `errors`) before `codings()`."""

    def __init__(self, project: Project, data, *, user=None):
        self.project = project
        self.user = user
        self.data = data
        self.errors: list[str] = []
        # Every code of the project with its path, in codebook order: one query that serves the
        # checks, the sub-code expansion, the chips and the pages' code paths (see `paths`).
        self.paths: dict[int, str] = {}
        self.codes: dict[int, Code] = {}
        for code, path in code_paths(project.pk):
            self.paths[code.pk] = path
            self.codes[code.pk] = code
        self.code_ids: list[int] = []
        self.match = "any"
        self.subcodes = False
        self.coders: dict[int, object] = {}  # user id → user
        self.coder_params: list[str] = []  # as given ("me" stays "me" in links)
        self.interviews: dict[int, str] = {}  # id → title
        self.attributes: list[AttributeCondition] = []
        self.speaker = ""
        self.speaker_label = ""
        self.statuses: list[str] = []
        self.date_from: date | None = None
        self.date_to: date | None = None
        self._attribute_interview_ids: list[int] | None = None
        self._read()

    # --- Reading the query string ---------------------------------------------------------------

    def _list(self, key: str, *, keep_empty: bool = False) -> list[str]:
        if hasattr(self.data, "getlist"):
            values = self.data.getlist(key)
        else:
            value = self.data.get(key)
            values = [] if value is None else value if isinstance(value, list | tuple) else [value]
        values = [str(v).strip() for v in values]
        if not keep_empty:
            values = [v for v in values if v]
        if len(values) > MAX_VALUES:
            self.errors.append(_("Too many values for “%(name)s”.") % {"name": key})
            return []
        return values

    def _one(self, key: str) -> str:
        values = self._list(key)
        return values[-1] if values else ""

    def _ids(self, key: str, label: str) -> list[int]:
        ids = []
        for value in self._list(key):
            if ID.fullmatch(value):
                ids.append(int(value))
            else:
                self.errors.append(
                    _("%(what)s: “%(value)s” is not a valid id.") % {"what": label, "value": value}
                )
        return list(dict.fromkeys(ids))

    def _read(self) -> None:
        self._read_codes()
        self._read_coders()
        self._read_interviews()
        self._read_attributes()
        self._read_speaker()
        self._read_statuses()
        self._read_dates()

    def _read_codes(self) -> None:
        for pk in self._ids("code", _("Code")):
            if pk in self.codes:
                self.code_ids.append(pk)
            else:
                self.errors.append(_("Unknown code %(id)s.") % {"id": pk})
        match = self._one("match") or "any"
        if match in ("any", "all"):
            self.match = match
        else:
            self.errors.append(_("“%(value)s” is not a way to combine codes.") % {"value": match})
        self.subcodes = self._one("subcodes") in ("1", "on", "true", "yes")

    def _read_coders(self) -> None:
        ids = []
        for value in self._list("coder"):
            if value == "me" and self.user is not None and self.user.is_authenticated:
                ids.append(self.user.pk)
                self.coder_params.append("me")
            elif ID.fullmatch(value):
                ids.append(int(value))
                self.coder_params.append(value)
            else:
                self.errors.append(
                    _("%(what)s: “%(value)s” is not a valid id.")
                    % {"what": _("Coder"), "value": value}
                )
        if not ids:
            return
        members = Membership.objects.filter(project=self.project, user_id__in=ids)
        self.coders = {m.user_id: m.user for m in members.select_related("user")}
        for pk in dict.fromkeys(ids):
            if pk not in self.coders:
                self.errors.append(_("Unknown coder %(id)s.") % {"id": pk})

    def _read_interviews(self) -> None:
        ids = self._ids("interview", _("Interview"))
        if not ids:
            return
        found = dict(
            Interview.objects.filter(project=self.project, pk__in=ids).values_list("pk", "title")
        )
        for pk in ids:
            if pk in found:
                self.interviews[pk] = found[pk]
            else:
                self.errors.append(_("Unknown interview %(id)s.") % {"id": pk})

    def _read_attributes(self) -> None:
        # Zipped as given, empty ones included: a form sends an empty row as attribute=&value=.
        attribute_params = self._list("attribute", keep_empty=True)
        values = self._list("value", keep_empty=True)
        if len(attribute_params) != len(values):
            self.errors.append(_("Each participant attribute needs exactly one value."))
            return
        pairs = []
        for raw_id, raw_value in zip(attribute_params, values, strict=True):
            if not raw_id and not raw_value:
                continue
            if not raw_id or not raw_value:
                self.errors.append(_("Choose a participant attribute and give it a value."))
            elif ID.fullmatch(raw_id):
                pairs.append((int(raw_id), raw_value))
            else:
                self.errors.append(
                    _("%(what)s: “%(value)s” is not a valid id.")
                    % {"what": _("Participant attribute"), "value": raw_id}
                )
        if not pairs:
            return
        known = Attribute.objects.filter(project=self.project, pk__in=[pk for pk, _v in pairs])
        attributes = {attribute.pk: attribute for attribute in known}
        for pk, raw_value in pairs:
            if pk not in attributes:
                self.errors.append(_("Unknown participant attribute %(id)s.") % {"id": pk})
            elif condition := self._condition(attributes[pk], raw_value):
                self.attributes.append(condition)

    def _condition(self, attribute: Attribute, raw: str) -> AttributeCondition | None:
        if attribute.type not in (Attribute.Type.NUMBER, Attribute.Type.DATE):
            return AttributeCondition(attribute, "=", raw, raw)
        operator = next((op for op in OPERATORS if raw.startswith(op)), "=")
        given = raw[len(operator) :].strip() if raw.startswith(operator) else raw
        if attribute.type == Attribute.Type.NUMBER:
            try:
                value = Decimal(given.replace(",", ".").replace("\u202f", "").replace(" ", ""))
                if not value.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                self.errors.append(
                    _(
                        "%(attribute)s: “%(value)s” is not a number (or an operator and a number, like >=5)."
                    )
                    % {"attribute": attribute.name, "value": raw}
                )
                return None
        else:
            value = _parse_date(given)
            if value is None:
                self.errors.append(
                    _(
                        "%(attribute)s: “%(value)s” is not a date "
                        "(YYYY-MM-DD, or an operator and a date, like >=2024-01-31)."
                    )
                    % {"attribute": attribute.name, "value": raw}
                )
                return None
        return AttributeCondition(attribute, operator, value, raw)

    def _read_speaker(self) -> None:
        speaker = self._one("speaker")
        if not speaker:
            return
        if speaker in ROLES:
            self.speaker, self.speaker_label = speaker, Speaker.Role(speaker).label
            return
        speakers = Speaker.objects.filter(interview__project=self.project).filter(
            Q(label__iexact=speaker) | Q(name__iexact=speaker)
        )
        if speakers.exists():
            self.speaker, self.speaker_label = speaker, speaker
        else:
            self.errors.append(
                _("No speaker is called “%(name)s” in this project.") % {"name": speaker}
            )

    def _read_statuses(self) -> None:
        for status in dict.fromkeys(self._list("status")):
            if status in Coding.Status.values:
                self.statuses.append(status)
            else:
                self.errors.append(_("“%(value)s” is not a review state.") % {"value": status})

    def _read_dates(self) -> None:
        for key in ("from", "to"):
            raw = self._one(key)
            if not raw:
                continue
            day = _parse_date(raw)
            if day is None:
                self.errors.append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw})
            elif key == "from":
                self.date_from = day
            else:
                self.date_to = day
        if self.date_from and self.date_to and self.date_from > self.date_to:
            self.errors.append(_("The start date comes after the end date."))

    # --- What it gives --------------------------------------------------------------------------

    def is_valid(self) -> bool:
        return not self.errors

    @property
    def is_active(self) -> bool:
        """Whether any filter narrows the excerpts (a project's every coding otherwise)."""
        return bool(
            self.code_ids
            or self.coders
            or self.interviews
            or self.attributes
            or self.speaker
            or self.statuses
            or self.date_from
            or self.date_to
        )

    def code_groups(self) -> list[set[int]]:
        """One set of code ids per chosen code: the code, and with `subcodes` its whole subtree."""
        if not self.subcodes:
            return [{pk} for pk in self.code_ids]
        children: dict[int | None, list[int]] = {}
        for code in self.codes.values():
            children.setdefault(code.parent_id, []).append(code.pk)
        groups = []
        for pk in self.code_ids:
            group, pending = set(), [pk]
            while pending:
                current = pending.pop()
                group.add(current)
                pending.extend(children.get(current, []))
            groups.append(group)
        return groups

    def codings(self, *, context: bool = True) -> QuerySet[Coding]:
        """Filtered codings of the project, with code, coder and interview (without its text),
        ordered by interview title, interview, start, id. Each is annotated with `context_before`
        and `context_after` (about 30 words, cut at a word boundary), `speaker_name` (of the turn
        where it starts, or None) and `memo_count`. Valid only when `is_valid()`.

        The annotations are correlated subqueries on purpose: PostgreSQL evaluates such costly
        expressions only for the rows that survive ORDER BY … LIMIT, so a page cuts the context of
        50 codings, not of every matching one (which would read every matching transcript).
        Each context still decompresses its whole transcript (about 0.1 ms a row): with
        `context=False`, call `add_context()` on the fetched codings instead, which reads each
        interview's text once (what a page ordered by interview wants).
        """
        assert self.is_valid(), "ExcerptFilter.codings() needs valid filters"
        codings = Coding.objects.filter(self._conditions())
        if context:
            codings = codings.annotate(
                context_before=_context_before(), context_after=_context_after()
            )
        return (
            codings.select_related("code", "coder", "interview")
            .defer("interview__text")
            .annotate(speaker_name=speaker_name(), memo_count=_memo_count())
            .order_by("interview__title", "interview_id", "start", "pk")
        )

    def count(self, limit: int | None = None) -> int:
        """How many codings pass the filters, counting at most `limit + 1` (so that "more than
        `limit`" costs the same whatever the project's size)."""
        assert self.is_valid(), "ExcerptFilter.count() needs valid filters"
        # Without ORDER BY, a project implied by the codes or interviews needs no join.
        implied = bool(self.code_ids or self.interviews)
        codings = Coding.objects.filter(self._conditions(state_project=not implied)).order_by()
        if limit is not None:
            codings = codings.values("pk")[: limit + 1]
        return codings.count()

    def _conditions(self, *, state_project: bool = True) -> Q:
        # Stated even when chosen codes or interviews imply it: it lets PostgreSQL walk the project's
        # interviews in title order (index (project, title)) and stop after one page.
        conditions = Q(interview__project_id=self.project.pk) if state_project else Q()
        groups = self.code_groups()
        if groups:
            conditions &= Q(code_id__in=sorted(set().union(*groups)))
            if self.match == "all" and len(groups) > 1:
                for group in groups:
                    conditions &= Q(code_id__in=sorted(group)) | Exists(self._overlapping(group))
        if self.coders:
            conditions &= Q(coder_id__in=sorted(self.coders))
        if self.interviews:
            conditions &= Q(interview_id__in=sorted(self.interviews))
        if self.attributes:
            conditions &= Q(interview_id__in=self._attribute_interviews())
        if self.speaker:
            conditions &= Q(self._speaker_condition())
        if self.statuses:
            conditions &= Q(status__in=self.statuses)
        if self.date_from:
            conditions &= Q(created_at__gte=_day_start(self.date_from))
        if self.date_to:
            conditions &= Q(created_at__lt=_day_start(self.date_to + timedelta(days=1)))
        return conditions

    def _overlapping(self, group: set[int]) -> QuerySet[Coding]:
        others = Coding.objects.filter(
            interview_id=OuterRef("interview_id"),
            code_id__in=sorted(group),
            start__lt=OuterRef("end"),
            end__gt=OuterRef("start"),
        )
        if self.coders:
            others = others.filter(coder_id__in=sorted(self.coders))
        return others

    def _attribute_interviews(self) -> list[int]:
        """The interviews whose participants pass every attribute condition, read once.

        A list of ids rather than a subquery: PostgreSQL then knows how many interviews pass and
        plans the page accordingly (it guessed one for `upper(text) = …`, and chose badly)."""
        if self._attribute_interview_ids is None:
            interviews = Interview.objects.filter(project=self.project)
            for values in self._attribute_conditions():
                interviews = interviews.filter(pk__in=values)
            self._attribute_interview_ids = sorted(interviews.values_list("pk", flat=True))
        return self._attribute_interview_ids

    def _attribute_conditions(self):
        """For each attribute filtered on: the interviews whose value passes, as a subquery."""
        by_attribute: dict[int, list[AttributeCondition]] = {}
        for condition in self.attributes:
            by_attribute.setdefault(condition.attribute.pk, []).append(condition)
        for pk, conditions in by_attribute.items():
            column = {Attribute.Type.NUMBER: "number", Attribute.Type.DATE: "date"}.get(
                conditions[0].attribute.type, "text"
            )
            equal, compared = Q(), Q()
            for condition in conditions:
                lookup = "iexact" if column == "text" else OPERATORS[condition.operator]
                test = Q(**{f"{column}__{lookup}": condition.value})
                if condition.operator == "=":
                    equal |= test  # several plain values: any of them
                else:
                    compared &= test  # comparisons: all of them (a range)
            values = AttributeValue.objects.filter(Q(attribute_id=pk) & equal & compared)
            yield values.values("interview_id")

    def _speaker_condition(self) -> Subquery:
        """Whether the coding starts in a turn of the chosen speaker(s), as a boolean subquery: one
        backward index probe per coding (see _starting_turn), where EXISTS would walk the
        interview's turns from its first. A bare boolean also gets PostgreSQL's neutral estimate
        (half the rows), so a page of a common code still walks interviews in title order."""
        speakers = Speaker.objects.filter(interview__project=self.project)
        if self.speaker in ROLES:
            speakers = speakers.filter(role=self.speaker)
        else:
            speakers = speakers.filter(Q(label__iexact=self.speaker) | Q(name__iexact=self.speaker))
        # An uncorrelated IN: hashed once per query, then one probe per coding.
        return _starting_turn(Q(speaker_id__in=speakers.values("pk")))

    # --- Links ----------------------------------------------------------------------------------

    def _params(self) -> list[tuple[str, str]]:
        """The valid filters as (key, value) pairs in a fixed order: equal filters, equal links."""
        params = [("code", str(pk)) for pk in self.code_ids]
        if self.code_ids and self.match == "all":
            params.append(("match", "all"))
        if self.code_ids and self.subcodes:
            params.append(("subcodes", "1"))
        params += [("coder", value) for value in dict.fromkeys(self.coder_params)]
        params += [("interview", str(pk)) for pk in self.interviews]
        for condition in self.attributes:
            params += [("attribute", str(condition.attribute.pk)), ("value", condition.raw)]
        if self.speaker:
            params.append(("speaker", self.speaker))
        params += [("status", status) for status in self.statuses]
        if self.date_from:
            params.append(("from", self.date_from.isoformat()))
        if self.date_to:
            params.append(("to", self.date_to.isoformat()))
        return params

    def querystring(self, **overrides) -> str:
        """The filters, urlencoded in a canonical order, then `overrides` (`page=2`, `format="csv"`;
        a list for a repeated key; None or [] drops a key, filters included)."""
        params = [(k, v) for k, v in self._params() if k not in overrides]
        for key, value in overrides.items():
            if value is None:
                continue
            values = value if isinstance(value, list | tuple) else [value]
            params += [(key, str(v)) for v in values]
        return urlencode(params)

    def chips(self) -> list[Chip]:
        """The active filters in words, each with the query string that removes it."""
        params = self._params()
        chips = []

        def without(*removed):
            return urlencode([p for p in params if p not in removed and p[0] != "page"])

        for pk in self.code_ids:
            label = self.paths[pk]
            if self.subcodes:
                label = _("%(code)s and its sub-codes") % {"code": label}
            rest = [p for p in params if p != ("code", str(pk))]
            if len([p for p in rest if p[0] == "code"]) == 0:
                rest = [p for p in rest if p[0] not in ("match", "subcodes")]
            chips.append(Chip(label, urlencode(rest)))
        if self.match == "all" and len(self.code_ids) > 1:
            chips.append(Chip(_("coded with all of these codes"), without(("match", "all"))))
        for value in dict.fromkeys(self.coder_params):
            user = self.coders.get(self.user.pk if value == "me" else int(value))
            name = user.get_full_name() or user.username
            chips.append(Chip(_("Coder: %(name)s") % {"name": name}, without(("coder", value))))
        for pk, title in self.interviews.items():
            chips.append(
                Chip(_("Interview: %(title)s") % {"title": title}, without(("interview", str(pk))))
            )
        for index, condition in enumerate(self.attributes):
            chips.append(Chip(condition.label, urlencode(_without_attribute(params, index))))
        if self.speaker:
            label = _("Speaker: %(speaker)s") % {"speaker": self.speaker_label}
            chips.append(Chip(label, without(("speaker", self.speaker))))
        for status in self.statuses:
            label = _("Review state: %(state)s") % {"state": Coding.Status(status).label}
            chips.append(Chip(label, without(("status", status))))
        if self.date_from:
            label = _("Coded from %(date)s") % {
                "date": formats.date_format(self.date_from, "SHORT_DATE_FORMAT")
            }
            chips.append(Chip(label, without(("from", self.date_from.isoformat()))))
        if self.date_to:
            label = _("Coded until %(date)s") % {
                "date": formats.date_format(self.date_to, "SHORT_DATE_FORMAT")
            }
            chips.append(Chip(label, without(("to", self.date_to.isoformat()))))
        return chips


def _without_attribute(params: list[tuple[str, str]], index: int) -> list[tuple[str, str]]:
    """`params` without the `index`-th attribute=…&value=… pair (_params writes each pair together)."""
    kept, seen, skip_value = [], -1, False
    for key, value in params:
        if key == "attribute":
            seen += 1
            skip_value = seen == index
            if skip_value:
                continue
        elif key == "value" and skip_value:
            skip_value = False
            continue
        kept.append((key, value))
    return kept


def _short(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _parse_date(value: str) -> date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The annotations: correlated subqueries (see ExcerptFilter.codings) ---------------------------


def add_context(codings: list[Coding]) -> None:
    """Give fetched `codings` (from `codings(context=False)`) the `context_before` and
    `context_after` that `codings()` annotates, reading each of their interviews' text once."""
    interview_ids = {coding.interview_id for coding in codings}
    texts = dict(Interview.objects.filter(pk__in=interview_ids).values_list("pk", "text"))
    for coding in codings:
        text = texts[coding.interview_id]
        coding.context_before = context_before(text, coding.start)
        coding.context_after = context_after(text, coding.end)


def context_before(text: str, start: int) -> str:
    """About 30 words before `start`, without the word the window cuts (as _context_before)."""
    window = text[max(start - CONTEXT_CHARS, 0) : start]
    if start > CONTEXT_CHARS:
        window = re.sub(f"^{NOT_SPACE}*{SPACE}+", "", window, count=1)
    return window


def context_after(text: str, end: int) -> str:
    """About 30 words after `end`, without the word the window cuts (as _context_after)."""
    window = text[end : end + CONTEXT_CHARS]
    if end + CONTEXT_CHARS < len(text):
        window = re.sub(f"{SPACE}+{NOT_SPACE}*\\Z", "", window, count=1)
    return window


def _interview_text(expression) -> Subquery:
    """`expression` evaluated on the coding's interview, alone in its subquery."""
    return Subquery(
        Interview.objects.filter(pk=OuterRef("interview_id"))
        .order_by()
        .annotate(v=expression)
        .values("v"),
        output_field=TextField(),
    )


def _context_before() -> Subquery:
    window_start = Greatest(OuterRef("start") - CONTEXT_CHARS, Value(0))
    window = Substr("text", window_start + 1, OuterRef("start") - window_start)
    # A window that does not begin the text likely starts inside a word: drop that word.
    return _interview_text(
        Case(
            When(
                GreaterThan(OuterRef("start"), CONTEXT_CHARS),
                then=RegexpReplace(window, Value(f"^{NOT_SPACE}*{SPACE}+"), Value("")),
            ),
            default=window,
            output_field=TextField(),
        )
    )


def _context_after() -> Subquery:
    window = Substr("text", OuterRef("end") + 1, Value(CONTEXT_CHARS))
    # A window that does not end the text likely ends inside a word: drop that word.
    return _interview_text(
        Case(
            When(
                LessThan(OuterRef("end") + CONTEXT_CHARS, F("text_length")),
                then=RegexpReplace(window, Value(f"{SPACE}+{NOT_SPACE}*$"), Value("")),
            ),
            default=window,
            output_field=TextField(),
        )
    )


def _starting_turn(value) -> Subquery:
    """`value` (a field name, or a Q for a boolean) of the turn in which the coding starts; NULL when
    it starts between turns.

    The last turn starting at or before the coding (index (interview, start), read backwards) holds
    the coding's start when it ends after it: one index probe, whatever the interview's length."""
    in_turn = Q(end__gt=OuterRef("start"))
    if isinstance(value, Q):
        found, output = When(in_turn & value, then=Value(True)), BooleanField()
    else:
        found, output = When(in_turn, then=F(value)), TextField()
    turns = (
        Turn.objects.filter(interview_id=OuterRef("interview_id"), start__lte=OuterRef("start"))
        .order_by("-start")
        .annotate(value=Case(found, default=None, output_field=output))
        .values("value")[:1]
    )
    return Subquery(turns, output_field=output)


def speaker_name() -> Subquery:
    """The name of the speaker in whose turn a coding starts (None between turns)."""
    return _starting_turn("speaker__name")


def _memo_count():
    memos = (
        Memo.objects.filter(coding_id=OuterRef("pk"))
        .order_by()
        .values("coding_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(memos, output_field=IntegerField()), Value(0))
