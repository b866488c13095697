"""What the agreement figures are computed on: coders, interviews, codes and settings, checked.

Shared by the agreement pages (read from the query string) and `manage.py agreement` (read from
its options). A selection is a coding round's (coding.models.CodingRound), or any choice of
coders, interviews and codes of one project (imported projects have coders too), or a round
narrowed by explicit choices.

Two kinds of bad input: ids that are not the project's (interviews, codes, rounds: `NotInProject`,
a 404 on the web, exactly like ids that do not exist), and a selection that cannot give a figure
(fewer than two coders, someone who is not a member, nothing to compare: `Invalid`, said in words).
"""

from dataclasses import dataclass, field
from fractions import Fraction

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coding.codebook import code_paths
from coding.models import Code, Coding, CodingRound, ConsensusCoder
from coding.visibility import EVERYTHING, Visibility
from interviews.models import Interview, Membership, Project
from verbatim import people

UNITS = ("paragraph", "turn")  # what Krippendorff's α on presence counts as a unit
DEFAULT_OVERLAP = Fraction(9, 10)  # MAXQDA's default: 90 %
CONSENSUS = "consensus"  # how the command line names the project's consensus coder


class NotInProject(Exception):
    """An interview, code or round id that is not the project's (or does not exist): a 404."""


class Invalid(Exception):
    """A selection that gives no figure; `messages` say why, ready to show."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class InterviewInfo:
    pk: int
    title: str
    length: int  # code points
    offset: int = 0  # where it starts on the continuum (interviews laid end to end)


@dataclass
class Selection:
    project: Project
    coders: list  # users, in the order the figures list them
    interviews: list[InterviewInfo]  # in title order: the continuum
    codes: list[tuple[Code, str]]  # with their paths, in codebook order
    round: CodingRound | None = None
    reference: object = None  # a coder every other is compared with, instead of every pair
    min_overlap: Fraction = DEFAULT_OVERLAP
    unit: str = "paragraph"
    every_code: bool = True  # the codebook's every code (not a choice of them)
    project_interviews: int = 0  # how many interviews the project has (methods paragraph)
    notes: list[str] = field(default_factory=list)  # said beside the figures (coders who left…)
    # The codings the asker may see (coding/visibility.py): the figures never read others.
    seen: Visibility = EVERYTHING

    @property
    def length(self) -> int:
        return sum(interview.length for interview in self.interviews)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Indexes of the coders compared: every pair, or each coder with the reference."""
        n = len(self.coders)
        if self.reference is not None:
            ref = next(i for i, coder in enumerate(self.coders) if coder.pk == self.reference.pk)
            return [(ref, i) for i in range(n) if i != ref]
        return [(i, j) for i in range(n) for j in range(i + 1, n)]

    def as_settings(self) -> dict:
        return {
            "round": self.round.pk if self.round else None,
            "reference_coder": self.reference.username if self.reference else None,
            "pairs": "with the reference coder" if self.reference else "every pair",
            "min_overlap": float(self.min_overlap),
            "unit": self.unit,
            "codes": "all" if self.every_code else "chosen",
        }


def read_selection(
    project: Project,
    *,
    coders: list[str] | None = None,
    interviews: list[str] | None = None,
    codes: list[str] | None = None,
    round_id: str | None = None,
    overlap: str | None = None,
    unit: str | None = None,
    by_username: bool = False,
    seen: Visibility = EVERYTHING,
) -> Selection:
    """The selection these raw values ask for (strings, as a query string or the command line
    gives them); coders by id, or by username with `by_username`. Raises NotInProject or Invalid.

    Without a round and without `interviews`, the interviews every chosen coder coded; without
    `coders`, every member who coded them; without `codes`, the round's or the whole codebook.
    """
    problems: list[str] = []
    chosen_round = _round(project, round_id) if round_id else None
    selection = Selection(project=project, coders=[], interviews=[], codes=[], seen=seen)
    selection.round = chosen_round
    selection.min_overlap = _overlap(overlap, problems)
    selection.unit = _unit(unit, problems)
    selection.project_interviews = Interview.objects.filter(project=project).count()
    interview_ids = _ids(interviews, _("interview"), problems)
    code_ids = _ids(codes, _("code"), problems)
    if problems:
        raise Invalid(problems)

    if coders:
        selection.coders = _coders(project, coders, by_username, problems)
    elif chosen_round:
        selection.coders = _round_coders(chosen_round, selection.notes, problems)
    if interview_ids:
        selection.interviews = _interviews(project, interview_ids)
    elif chosen_round:
        selection.interviews = _interviews(
            project, list(chosen_round.interviews.values_list("pk", flat=True))
        )
    paths = code_paths(project.pk)
    if code_ids:
        known = {code.pk: (code, path) for code, path in paths}
        if missing := [pk for pk in code_ids if pk not in known]:
            raise NotInProject(_("Unknown code %(id)s.") % {"id": missing[0]})
        wanted = set(code_ids)
        selection.codes = [(code, path) for code, path in paths if code.pk in wanted]
        selection.every_code = False
    elif chosen_round and (scoped := set(chosen_round.codes.values_list("pk", flat=True))):
        selection.codes = [(code, path) for code, path in paths if code.pk in scoped]
        selection.every_code = False
    else:
        selection.codes = paths
    if problems:
        raise Invalid(problems)

    if not selection.coders:
        selection.coders = _coders_of(project, [i.pk for i in selection.interviews])
    if not selection.interviews and len(selection.coders) >= 2:
        selection.interviews = _coded_by_all(project, selection.coders)
        if not selection.interviews:
            problems.append(
                _("No interview was coded by each of these coders: choose the interviews.")
            )
    if chosen_round and chosen_round.reference_coder_id:
        selection.reference = next(
            (c for c in selection.coders if c.pk == chosen_round.reference_coder_id), None
        )
    _check(selection, problems)
    if problems:
        raise Invalid(problems)
    offset = 0
    laid = []
    for interview in selection.interviews:
        laid.append(InterviewInfo(interview.pk, interview.title, interview.length, offset))
        offset += interview.length
    selection.interviews = laid
    return selection


def _round(project: Project, raw: str) -> CodingRound:
    if not str(raw).isdigit():
        raise NotInProject(_("Unknown coding round %(id)s.") % {"id": raw})
    found = CodingRound.objects.filter(project=project, pk=int(raw)).first()
    if found is None:
        raise NotInProject(_("Unknown coding round %(id)s.") % {"id": raw})
    return found


def _overlap(raw: str | None, problems: list[str]) -> Fraction:
    """A percentage (90) or a share (0.9) of the two segments' joint extent."""
    if raw in (None, ""):
        return DEFAULT_OVERLAP
    try:
        value = Fraction(str(raw).strip().rstrip("%").replace(",", "."))
    except (ValueError, ZeroDivisionError):
        value = Fraction(-1)
    if value > 1:
        value /= 100
    if not 0 < value <= 1:
        problems.append(
            _("The minimum overlap is a percentage between 1 and 100 (“%(value)s”).")
            % {"value": raw}
        )
        return DEFAULT_OVERLAP
    return value


def _unit(raw: str | None, problems: list[str]) -> str:
    if raw in (None, ""):
        return "paragraph"
    if raw not in UNITS:
        problems.append(
            _("Krippendorff’s α counts paragraphs or turns (“%(value)s”).") % {"value": raw}
        )
        return "paragraph"
    return raw


def _ids(raw: list[str] | None, what: str, problems: list[str]) -> list[int]:
    ids = []
    for value in raw or []:
        value = str(value).strip()
        if value.isascii() and value.isdigit() and len(value) <= 18:
            ids.append(int(value))
        elif value:
            problems.append(
                _("%(what)s: “%(value)s” is not a valid id.") % {"what": what, "value": value}
            )
    return list(dict.fromkeys(ids))


def _coders(project: Project, raw: list[str], by_username: bool, problems: list[str]) -> list:
    """The named coders, in the order given: members of the project, or its consensus coder."""
    values = list(dict.fromkeys(str(v).strip() for v in raw if str(v).strip()))
    consensus = ConsensusCoder.objects.filter(project=project).select_related("user").first()
    members = set(Membership.objects.filter(project=project).values_list("user_id", flat=True))
    if by_username:
        users = get_user_model().objects.filter(username__in=values)
        known = {user.username: user for user in users}
    else:
        ids = [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]
        known = {str(user.pk): user for user in get_user_model().objects.filter(pk__in=ids)}
    found = []
    for value in values:
        user = consensus.user if value == CONSENSUS and consensus else known.get(value)
        allowed = user is not None and (
            user.pk in members or (consensus is not None and user.pk == consensus.user_id)
        )
        if allowed:
            found.append(user)
        else:
            problems.append(
                _("%(coder)s is not a member of this project.") % {"coder": value}
                if user is not None or by_username
                else _("Unknown coder %(id)s.") % {"id": value}
            )
    return found


def _round_coders(chosen: CodingRound, notes: list[str], problems: list[str]) -> list:
    """The round's coders who are still members; those who left are named and left out."""
    members = set(
        Membership.objects.filter(project_id=chosen.project_id).values_list("user_id", flat=True)
    )
    coders = list(chosen.coders.order_by("username"))
    left = [coder for coder in coders if coder.pk not in members]
    if left:
        notes.append(
            ngettext(
                "%(names)s left the project: their codings are not compared.",
                "%(names)s left the project: their codings are not compared.",
                len(left),
            )
            % {"names": ", ".join(people.name(coder) for coder in left)}
        )
    kept = [coder for coder in coders if coder.pk in members]
    if len(kept) < 2 and left:
        problems.append(
            _("Fewer than two of this round’s coders are still members of the project.")
        )
    return kept


def _interviews(project: Project, ids: list[int]) -> list[InterviewInfo]:
    rows = (
        Interview.objects.filter(project=project, pk__in=ids)
        .order_by("title", "pk")
        .values_list("pk", "title", "text_length")
    )
    found = [InterviewInfo(*row) for row in rows]
    if len(found) != len(set(ids)):
        missing = sorted(set(ids) - {i.pk for i in found})[0]
        raise NotInProject(_("Unknown interview %(id)s.") % {"id": missing})
    return found


def _coders_of(project: Project, interview_ids: list[int]) -> list:
    """Every member who coded these interviews (or the project), by username."""
    codings = Coding.objects.filter(interview__project=project)
    if interview_ids:
        codings = codings.filter(interview_id__in=interview_ids)
    return list(
        get_user_model()
        .objects.filter(
            pk__in=codings.values("coder_id"),
            memberships__project=project,
        )
        .order_by("username")
    )


def _coded_by_all(project: Project, coders: list) -> list[InterviewInfo]:
    ids = [coder.pk for coder in coders]
    rows = (
        Interview.objects.filter(project=project)
        .annotate(n=Count("codings__coder", filter=Q(codings__coder__in=ids), distinct=True))
        .filter(n=len(ids))
        .order_by("title", "pk")
        .values_list("pk", "title", "text_length")
    )
    return [InterviewInfo(*row) for row in rows]


def _check(selection: Selection, problems: list[str]) -> None:
    if len(selection.coders) < 2 and not problems:
        problems.append(_("Choose at least two coders to compare."))
    if not selection.interviews:
        if len(selection.coders) >= 2 and not problems:
            problems.append(_("Choose at least one interview."))
    elif selection.length == 0:
        problems.append(_("These interviews have no text to compare."))
    if not selection.codes:
        problems.append(_("The codebook is empty: there is nothing to compare."))
