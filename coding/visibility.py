"""Which codings a member may see: the one rule every page, fragment and download obeys.

While a blind coding round (coding.models.CodingRound) is open, a researcher who codes in it sees
only their own codings on its interviews: not the other coders', nor the consensus, nor anyone
else's. Supervisors and admins see everything; so does everyone on interviews outside their open
rounds, and on every interview once the round closes.

`visible_codings(membership)` states it for one member as a `Visibility`, read once per request.
Callers apply it as a Q (`seen.q()`, or `seen.q("coding__")` through a relation), as a condition
for the plain SQL of the workspace's hot paths (`seen.sql("alias")`), or per row (`seen.shows`).
Whatever reads codings for display goes through it: coding/workspace.py and views.py (spans,
counts, changes, coders, inspector), memo_views.py (memos on codings), codebook.py (counts),
excerpts (list, overview, matrix, and through its filters the review queue and the exports),
review/views.py, exports/, and the agreement pages above them. tests/agreement/test_visibility.py
tries every URL.
"""

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.http import Http404

from coding.models import CodingRound
from interviews import permissions
from interviews.models import Interview, Membership
from interviews.permissions import Action
from verbatim import plain_sql


@dataclass(frozen=True)
class Visibility:
    """Codings a member may see: all, except others' codings on the `blind` interviews."""

    user_id: int | None = None
    blind: frozenset[int] = frozenset()  # interviews where only the member's own codings show

    @property
    def everything(self) -> bool:
        return not self.blind

    def shows(self, interview_id: int, coder_id: int) -> bool:
        return interview_id not in self.blind or coder_id == self.user_id

    def q(self, prefix: str = "") -> Q:
        """The rule as a filter on codings, or on rows reaching a coding through `prefix`
        ("coding__", "codings__"); an empty Q when nothing is hidden."""
        if self.everything:
            return Q()
        return ~Q(**{f"{prefix}interview_id__in": sorted(self.blind)}) | Q(
            **{f"{prefix}coder_id": self.user_id}
        )

    def sql(self, alias: str) -> tuple[str, list]:
        """The rule as an SQL condition on the codings table aliased `alias`, with its parameters;
        `TRUE` when nothing is hidden."""
        if self.everything:
            return "TRUE", []
        return (
            f"({alias}.interview_id <> ALL(%s) OR {alias}.coder_id = %s)",
            [sorted(self.blind), self.user_id],
        )


EVERYTHING = Visibility()


def visible_codings(membership: Membership, blind: frozenset[int] | None = None) -> Visibility:
    """What `membership`'s user may see of the project's codings (one small query for a
    researcher, none for supervisors and admins). `blind`: the interviews of the user's open
    rounds in the project, when the caller has read them already (interview_for)."""
    if permissions.can(membership, Action.REVIEW):
        return EVERYTHING
    if blind is None:
        blind = _blind(membership.project_id, membership.user_id)
    return Visibility(membership.user_id, blind)


def interview_for(
    user, project_id: int, interview_id: int, action: Action = Action.VIEW
) -> tuple[Membership, Interview, Visibility]:
    """permissions.interview_for, and visible_codings of its membership, in one round trip: every
    page and action of the coding workspace starts here. The blind rounds are read alongside
    whatever the role (a supervisor's are not used): asking for them costs less than a second trip."""
    membership, interview, seen, _ = interview_with(user, project_id, interview_id, action)
    return membership, interview, seen


def interview_with(
    user, project_id: int, interview_id: int, action: Action, also: list[tuple[str, list]] = ()
) -> tuple[Membership, Interview, Visibility, list]:
    """interview_for, with the statements `also` in the same round trip (as project_for's): their
    rows come fourth, and nothing of them leaves when the answer is 404 or 403."""
    if not user.is_authenticated:
        raise Http404
    found, blind, *rows = permissions.read_ahead(
        user, project_id, interview_id, also
    ) or plain_sql.batch(*_interview_statements(user.pk, project_id, interview_id), *also)
    membership, interview = permissions.interview_from(user, found[0] if found else None, action)
    seen = visible_codings(membership, frozenset(row[0] for row in blind))
    return membership, interview, seen, rows


def project_for(
    user, project_id: int, action: Action = Action.VIEW, also: list[tuple[str, list]] = ()
) -> tuple[Membership, Visibility, list]:
    """permissions.project_for and visible_codings of its membership in one round trip, with the
    statements `also`, which a page reads whatever the answer (its codebook, its form's lists):
    their rows come third, and nothing of them leaves when the answer is 404 or 403."""
    if not user.is_authenticated:
        raise Http404
    found, blind, *rows = permissions.read_ahead(user, project_id, None, also) or plain_sql.batch(
        *_project_statements(user.pk, project_id), *also
    )
    membership = permissions.membership_from(user, found[0] if found else None)
    permissions.require(membership, action)
    return membership, visible_codings(membership, frozenset(row[0] for row in blind)), rows


def _interview_statements(user_id: int, project_id: int, interview_id: int) -> list:
    """What interview_with decides from: the member's role with the interview, the blind rounds."""
    return [
        permissions.interview_query(user_id, project_id, interview_id),
        (BLIND, [project_id, user_id]),
    ]


def _project_statements(user_id: int, project_id: int) -> list:
    """What project_for decides from: the membership, the blind rounds."""
    return [permissions.membership_query(user_id, project_id), (BLIND, [project_id, user_id])]


class ReadAhead:
    """Middleware: a project's page reads the member's role with the session, in one round trip.

    Every page and action of a project reads the session (who is signed in), then the member's
    role and blind rounds (interview_with, project_for): two round trips, the second waiting on
    the first. When the URL names the project (and the interview), the session's statement takes
    the second along for the user this process saw the session sign in (verbatim.sessions' hint),
    with the statements the view declared it reads beside them (`reads_along`). The rows are kept
    on that user's row, which serves only if the session does name that user, and are taken once,
    for that same project, interview and statements; otherwise the view reads them itself. The
    rule deciding from them is the same either way. Before LoginRequiredMiddleware, whose look at
    the user loads the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        project_id, interview_id = view_kwargs.get("project_id"), view_kwargs.get("interview_id")
        session = getattr(request, "session", None)
        if not isinstance(project_id, int) or session is None:
            return
        declared = getattr(view_func, "read_along", None)
        also = declared(request, **view_kwargs) if declared else []
        if not isinstance(interview_id, int):
            interview_id = None
        session.read_along = functools.partial(_along, project_id, interview_id, also)


def reads_along(statements):
    """A view's decorator: `statements(request, **url_arguments)` are the statements `also` the
    view passes to project_for or interview_with, for ReadAhead to send with the session's. Rows
    read for other statements than the view then asks for serve nothing."""

    def decorate(view):
        view.read_along = statements
        return view

    return decorate


def _along(project_id: int, interview_id: int | None, also, user_id: int) -> tuple[tuple, list]:
    """The key and statements of permissions.read_ahead."""
    if interview_id is None:
        first = _project_statements(user_id, project_id)
    else:
        first = _interview_statements(user_id, project_id, interview_id)
    return permissions.ahead_key(project_id, interview_id, also), [*first, *also]


def visible_codings_for(user, project_id: int) -> Visibility:
    """`visible_codings` for a member whose membership the caller does not hold: one small query,
    and the membership's only when the user codes in an open round (404 for an outsider then)."""
    blind = _blind(project_id, user.pk)
    if not blind:
        return EVERYTHING
    return visible_codings(permissions.membership_for(user, project_id))


# The interviews of a user's open rounds in a project. Plain SQL: every coding action of a
# researcher reads it, and building the ORM's three-table join cost more than running it.
BLIND = plain_sql.Prepared(f"""
    SELECT ri.interview_id
      FROM {CodingRound.interviews.through._meta.db_table} ri
      JOIN {CodingRound._meta.db_table} r ON r.id = ri.codinground_id
      JOIN {CodingRound.coders.through._meta.db_table} rc ON rc.codinground_id = r.id
     WHERE r.project_id = %s AND r.closed_at IS NULL AND rc.user_id = %s""")


def _blind(project_id: int, user_id: int) -> frozenset[int]:
    """The interviews of the user's open rounds in the project."""
    with connection.cursor() as cursor:
        cursor.execute(BLIND, [project_id, user_id])
        return frozenset(row[0] for row in cursor.fetchall())
