"""Reading the excerpt filters of a project from a query string: URL → `Filters`, typed and checked.

`read_filters(project, request.GET, member=…)` checks every value against the project (another
project's ids are "unknown", exactly like ids that do not exist) and names each problem in
`Filters.errors`. `Filters` also writes itself back as a query string and as removable chips.
The excerpts page, the review queue, the exports and the analysis pages share it; excerpts/queries.py
turns valid filters into codings.

Query parameters, all optional, repeatable where it makes sense:

- `code=<id>` (repeatable), `subcodes=1` to include each code's sub-codes, `match=any|all`.
  `any` (default): codings of any of the codes. `all`: passages coded with every listed code: the
  codings of the listed codes that overlap (in the same interview) a coding of each other listed code.
  With `subcodes=1`, a code stands for its whole subtree. With `coder=`, the overlapping codings must
  be by the chosen coders too ("what rita coded A and B"); other filters apply to the codings shown.
- `coder=<user id>` (repeatable; a member of the project, or the project's consensus coder:
  "consensus only"), `coder=me` for the requesting user.
- `interview=<id>` (repeatable).
- `attribute=<id>&value=<v>` pairs (repeatable, zipped in order). Number and date attributes accept an
  operator before the value: `>=5`, `<=5`, `>5`, `<5`, `=5`. Text and choice attributes compare
  without regard to case. Several plain values of one attribute mean "any of them"; comparisons all
  hold ("years ≥ 5 and ≤ 10").
- `speaker=participant|interviewer|<label>`: codings that start in a turn of a speaker with that role,
  or with that label or display name.
- `status=pending|approved|needs_change` (repeatable), `from=YYYY-MM-DD`, `to=YYYY-MM-DD` (the day
  a coding was made, both included, in the site's time zone).

Positions (the queries that combine codes; the rule is excerpts/proximity.py):

- `near=<N>|paragraph|turn`: what "together" means for `match=all`, `without` and `followed_by`:
  within N characters (0 to 5,000: at most N characters between them), in the same paragraph, in
  the same speaker turn. Without it: overlapping.
- `without=<code id>` (repeatable): leave out codings together with a coding of any of these codes
  (A NOT B). With `subcodes=1`, each stands for its subtree too.
- `followed_by=<code id>`: only codings followed by a coding of this code: starting at or after
  the coding's end, within `near` (without `near`: anywhere later in the interview).
- `role=participant|interviewer|other|none`: codings in the words of speakers with that role.
  A coding that covers a participant's words is theirs even when it also covers the question
  (`roles=every` counts it for every role whose turn it covers); `none`: outside every turn.
- `unset=<attribute id>` (repeatable): interviews whose participant has no value for it.

The codings on the other side of a relation (the B of "A with B") pass the same filters as the
codings listed, codes apart: "what rita coded A near what she coded B", "approved with approved".
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from coding.codebook import code_paths, codes_query, paths_of_rows
from coding.models import Code, Coding, ConsensusCoder
from coding.visibility import (
    EVERYTHING,
    Visibility,
    project_for,
    visible_codings,
    visible_codings_for,
)
from excerpts.proximity import OVERLAP, ROLE_RULES, Near, read_near
from interviews.models import Attribute, Interview, Membership, Project, Speaker
from interviews.permissions import Action
from verbatim import people

MAX_VALUES = 200  # per parameter: beyond this a query string is not a researcher's
ID = re.compile(r"[0-9]{1,18}", re.ASCII)
OPERATORS = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt", "=": "exact"}
SHOWN_OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
ROLES = {Speaker.Role.PARTICIPANT, Speaker.Role.INTERVIEWER}
WORD_ROLES = ("participant", "interviewer", "other", "none")  # `role=`: none is outside every turn


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


@dataclass
class Filters:
    """The excerpt filters read from a query string (see the module docstring). Check `is_valid()`
    (and show `errors`) before querying with excerpts.queries."""

    project: Project
    user: object = None  # who asks: `coder=me` is them
    # The codings `user` may see (coding/visibility.py): excerpts.queries never shows others.
    seen: Visibility = EVERYTHING
    # Every code of the project with its path, in codebook order: one query that serves the
    # checks, the sub-code expansion, the chips and the pages' code paths.
    paths: dict[int, str] = field(default_factory=dict)
    codes: dict[int, Code] = field(default_factory=dict)
    code_ids: list[int] = field(default_factory=list)
    match: str = "any"
    subcodes: bool = False
    coders: dict[int, object] = field(default_factory=dict)  # user id → user
    coder_params: list[str] = field(default_factory=list)  # as given ("me" stays "me" in links)
    interviews: dict[int, str] = field(default_factory=dict)  # id → title
    attributes: list[AttributeCondition] = field(default_factory=list)
    speaker: str = ""
    speaker_label: str = ""
    statuses: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    near: Near = OVERLAP
    without_ids: list[int] = field(default_factory=list)
    followed_by: int | None = None
    role: str = ""
    role_rule: str = "participant"  # or "every" (`roles=every`)
    unset: dict[int, Attribute] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # What excerpts.queries computed once for these filters (the interviews passing the attributes).
    cache: dict = field(default_factory=dict, repr=False, compare=False)

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
            or self.without_ids
            or self.followed_by
            or self.role
            or self.unset
        )

    def role_label(self) -> str:
        if self.role == "none":
            return _("outside any speaker turn")
        return str(Speaker.Role(self.role).label)

    def code_groups(self, ids: list[int] | None = None) -> list[set[int]]:
        """One set of code ids per chosen code (or per code of `ids`): the code, and with
        `subcodes` its whole subtree."""
        ids = self.code_ids if ids is None else ids
        if not self.subcodes:
            return [{pk} for pk in ids]
        children: dict[int | None, list[int]] = {}
        for code in self.codes.values():
            children.setdefault(code.parent_id, []).append(code.pk)
        groups = []
        for pk in ids:
            group, pending = set(), [pk]
            while pending:
                current = pending.pop()
                group.add(current)
                pending.extend(children.get(current, []))
            groups.append(group)
        return groups

    def _params(self) -> list[tuple[str, str]]:
        """The valid filters as (key, value) pairs in a fixed order: equal filters, equal links."""
        params = [("code", str(pk)) for pk in self.code_ids]
        if self.code_ids and self.match == "all":
            params.append(("match", "all"))
        if (self.code_ids or self.without_ids or self.followed_by) and self.subcodes:
            params.append(("subcodes", "1"))
        params += [("without", str(pk)) for pk in self.without_ids]
        if self.followed_by:
            params.append(("followed_by", str(self.followed_by)))
        if self.near.param and (
            (self.match == "all" and len(self.code_ids) > 1) or self.without_ids or self.followed_by
        ):
            params.append(("near", self.near.param))
        params += [("coder", value) for value in dict.fromkeys(self.coder_params)]
        params += [("interview", str(pk)) for pk in self.interviews]
        for condition in self.attributes:
            params += [("attribute", str(condition.attribute.pk)), ("value", condition.raw)]
        if self.speaker:
            params.append(("speaker", self.speaker))
        if self.role:
            params.append(("role", self.role))
            if self.role_rule == "every":
                params.append(("roles", "every"))
        params += [("unset", str(pk)) for pk in self.unset]
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
                gone = ("match", "subcodes", "without", "followed_by", "near")
                rest = [p for p in rest if p[0] not in gone]
            chips.append(Chip(label, urlencode(rest)))
        near = self.near.param and ("near", self.near.param)
        if self.match == "all" and len(self.code_ids) > 1:
            label = _("all of these codes, %(near)s") % {"near": self.near.label}
            chips.append(Chip(label, without(("match", "all"), near)))
        for pk in self.without_ids:
            label = _("not %(near)s %(code)s") % {"near": self.near.label, "code": self.paths[pk]}
            chips.append(Chip(label, without(("without", str(pk)))))
        if self.followed_by:
            label = _("followed by %(code)s, %(near)s") % {
                "code": self.paths[self.followed_by],
                "near": self.near.label if self.near.kind != "overlap" else _("anywhere later"),
            }
            chips.append(Chip(label, without(("followed_by", str(self.followed_by)))))
        for value in dict.fromkeys(self.coder_params):
            user = self.coders.get(self.user.pk if value == "me" else int(value))
            name = people.name(user)
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
        if self.role:
            label = _("Words of: %(role)s") % {"role": self.role_label()}
            if self.role_rule == "every":
                label = _("Covers words of: %(role)s") % {"role": self.role_label()}
            chips.append(Chip(label, without(("role", self.role), ("roles", "every"))))
        for pk, attribute in self.unset.items():
            label = _("%(attribute)s: no value") % {"attribute": attribute.name}
            chips.append(Chip(label, without(("unset", str(pk)))))
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


def read_filters(
    project: Project,
    data,
    *,
    user=None,
    member: Membership | None = None,
    seen: Visibility | None = None,
    paths: list[tuple[Code, str]] | None = None,
) -> Filters:
    """The filters that `data` (a QueryDict, or a dict of strings or lists) asks for, on the
    codings `user` may see (all of them without a user: scripts). A view holding the user's
    membership passes it as `member` instead: what a supervisor sees is then known without asking
    the database; with `seen`, its visible_codings, and `paths`, the project's code_paths, when
    the view read them already (coding.visibility.project_for)."""
    if member is not None:
        seen = seen if seen is not None else visible_codings(member)
        filters = Filters(project=project, user=member.user, seen=seen)
    else:
        filters = Filters(project=project, user=user)
        if user is not None and user.is_authenticated:
            filters.seen = visible_codings_for(user, project.pk)
    for code, path in paths if paths is not None else code_paths(project.pk):
        filters.paths[code.pk] = path
        filters.codes[code.pk] = code
    _Reader(filters, data).read()
    return filters


def member_filters(
    user, project_id: int, data, action: Action = Action.VIEW, also: list[tuple[str, list]] = ()
) -> tuple[Membership, Filters, list]:
    """The filters `data` asks for, on the codings the member may see, with all they need read in
    one round trip (coding.visibility.project_for): the membership (404, or 403 without `action`),
    the blind rounds and the codebook, and the statements `also`, whose rows come third."""
    membership, seen, (code_rows, *rows) = project_for(
        user, project_id, action, also=member_statements(project_id, also)
    )
    paths = paths_of_rows(code_rows)
    filters = read_filters(membership.project, data, member=membership, seen=seen, paths=paths)
    return membership, filters, rows


def member_statements(project_id: int, also=()) -> list[tuple[str, list]]:
    """What member_filters reads with the membership: the codebook, then `also`. A view declares
    them for coding.visibility.ReadAhead (`reads_along`)."""
    return [codes_query(project_id), *also]


class _Reader:
    """Fills `filters` from the query dict, one parameter family at a time, naming each problem."""

    def __init__(self, filters: Filters, data):
        self.filters = filters
        self.data = data

    def read(self) -> None:
        self._read_codes()
        self._read_coders()
        self._read_interviews()
        self._read_attributes()
        self._read_speaker()
        self._read_statuses()
        self._read_dates()
        self._read_positions()
        self._read_role()
        self._read_unset()

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
            self.filters.errors.append(_("Too many values for “%(name)s”.") % {"name": key})
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
                self.filters.errors.append(
                    _("%(what)s: “%(value)s” is not a valid id.") % {"what": label, "value": value}
                )
        return list(dict.fromkeys(ids))

    def _read_codes(self) -> None:
        for pk in self._ids("code", _("Code")):
            if pk in self.filters.codes:
                self.filters.code_ids.append(pk)
            else:
                self.filters.errors.append(_("Unknown code %(id)s.") % {"id": pk})
        match = self._one("match") or "any"
        if match in ("any", "all"):
            self.filters.match = match
        else:
            self.filters.errors.append(
                _("“%(value)s” is not a way to combine codes.") % {"value": match}
            )
        self.filters.subcodes = self._one("subcodes") in ("1", "on", "true", "yes")

    def _read_coders(self) -> None:
        ids = []
        for value in self._list("coder"):
            if (
                value == "me"
                and self.filters.user is not None
                and self.filters.user.is_authenticated
            ):
                ids.append(self.filters.user.pk)
                self.filters.coder_params.append("me")
            elif ID.fullmatch(value):
                ids.append(int(value))
                self.filters.coder_params.append(value)
            else:
                self.filters.errors.append(
                    _("%(what)s: “%(value)s” is not a valid id.")
                    % {"what": _("Coder"), "value": value}
                )
        if not ids:
            return
        members = Membership.objects.filter(project=self.filters.project, user_id__in=ids)
        self.filters.coders = {m.user_id: m.user for m in members.select_related("user")}
        consensus = ConsensusCoder.objects.filter(project=self.filters.project, user_id__in=ids)
        self.filters.coders |= {c.user_id: c.user for c in consensus.select_related("user")}
        for pk in dict.fromkeys(ids):
            if pk not in self.filters.coders:
                self.filters.errors.append(_("Unknown coder %(id)s.") % {"id": pk})

    def _read_interviews(self) -> None:
        ids = self._ids("interview", _("Interview"))
        if not ids:
            return
        found = dict(
            Interview.objects.filter(project=self.filters.project, pk__in=ids).values_list(
                "pk", "title"
            )
        )
        for pk in ids:
            if pk in found:
                self.filters.interviews[pk] = found[pk]
            else:
                self.filters.errors.append(_("Unknown interview %(id)s.") % {"id": pk})

    def _read_attributes(self) -> None:
        # Zipped as given, empty ones included: a form sends an empty row as attribute=&value=.
        attribute_params = self._list("attribute", keep_empty=True)
        values = self._list("value", keep_empty=True)
        if len(attribute_params) != len(values):
            self.filters.errors.append(_("Each participant attribute needs exactly one value."))
            return
        pairs = []
        for raw_id, raw_value in zip(attribute_params, values, strict=True):
            if not raw_id and not raw_value:
                continue
            if not raw_id or not raw_value:
                self.filters.errors.append(_("Choose a participant attribute and give it a value."))
            elif ID.fullmatch(raw_id):
                pairs.append((int(raw_id), raw_value))
            else:
                self.filters.errors.append(
                    _("%(what)s: “%(value)s” is not a valid id.")
                    % {"what": _("Participant attribute"), "value": raw_id}
                )
        if not pairs:
            return
        known = Attribute.objects.filter(
            project=self.filters.project, pk__in=[pk for pk, _v in pairs]
        )
        attributes = {attribute.pk: attribute for attribute in known}
        for pk, raw_value in pairs:
            if pk not in attributes:
                self.filters.errors.append(_("Unknown participant attribute %(id)s.") % {"id": pk})
            elif condition := self._condition(attributes[pk], raw_value):
                self.filters.attributes.append(condition)

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
                self.filters.errors.append(
                    _(
                        "%(attribute)s: “%(value)s” is not a number (or an operator and a number, like >=5)."
                    )
                    % {"attribute": attribute.name, "value": raw}
                )
                return None
        else:
            value = _parse_date(given)
            if value is None:
                self.filters.errors.append(
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
            self.filters.speaker, self.filters.speaker_label = speaker, Speaker.Role(speaker).label
            return
        speakers = Speaker.objects.filter(interview__project=self.filters.project).filter(
            Q(label__iexact=speaker) | Q(name__iexact=speaker)
        )
        if speakers.exists():
            self.filters.speaker, self.filters.speaker_label = speaker, speaker
        else:
            self.filters.errors.append(
                _("No speaker is called “%(name)s” in this project.") % {"name": speaker}
            )

    def _read_statuses(self) -> None:
        for status in dict.fromkeys(self._list("status")):
            if status in Coding.Status.values:
                self.filters.statuses.append(status)
            else:
                self.filters.errors.append(
                    _("“%(value)s” is not a review state.") % {"value": status}
                )

    def _read_dates(self) -> None:
        for key in ("from", "to"):
            raw = self._one(key)
            if not raw:
                continue
            day = _parse_date(raw)
            if day is None:
                self.filters.errors.append(
                    _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw}
                )
            elif key == "from":
                self.filters.date_from = day
            else:
                self.filters.date_to = day
        if (
            self.filters.date_from
            and self.filters.date_to
            and self.filters.date_from > self.filters.date_to
        ):
            self.filters.errors.append(_("The start date comes after the end date."))

    def _read_positions(self) -> None:
        self.filters.near, problem = read_near(self._one("near"))
        if problem:
            self.filters.errors.append(problem)
        for pk in self._ids("without", _("Code")):
            if pk in self.filters.codes:
                self.filters.without_ids.append(pk)
            else:
                self.filters.errors.append(_("Unknown code %(id)s.") % {"id": pk})
        followed = self._ids("followed_by", _("Code"))
        if len(followed) > 1:
            self.filters.errors.append(_("A passage can be followed by one code at a time."))
        elif followed and followed[0] not in self.filters.codes:
            self.filters.errors.append(_("Unknown code %(id)s.") % {"id": followed[0]})
        elif followed:
            self.filters.followed_by = followed[0]
        if (self.filters.without_ids or self.filters.followed_by) and not self.filters.code_ids:
            self.filters.errors.append(
                _("Choose the codes whose passages to look at, then what must or must not be near.")
            )

    def _read_role(self) -> None:
        role = self._one("role")
        if not role:
            return
        if role not in WORD_ROLES:
            self.filters.errors.append(_("“%(value)s” is not a speaker role.") % {"value": role})
            return
        self.filters.role = role
        rule = self._one("roles") or "participant"
        if rule not in ROLE_RULES:
            self.filters.errors.append(
                _("“%(value)s” is not a way to count speakers.") % {"value": rule}
            )
        else:
            self.filters.role_rule = rule

    def _read_unset(self) -> None:
        ids = self._ids("unset", _("Participant attribute"))
        if not ids:
            return
        known = {
            a.pk: a for a in Attribute.objects.filter(project=self.filters.project, pk__in=ids)
        }
        for pk in ids:
            if pk in known:
                self.filters.unset[pk] = known[pk]
            else:
                self.filters.errors.append(_("Unknown participant attribute %(id)s.") % {"id": pk})


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


def page_number(value: str | None) -> int:
    """The page a `page` parameter asks for: 1 unless it is a positive number."""
    # Nine digits at most: a billion pages is past any project, and the offset stays a bigint.
    if value and value.isascii() and value.isdigit() and len(value) <= 9 and int(value) > 0:
        return int(value)
    return 1
