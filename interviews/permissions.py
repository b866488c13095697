"""Who may do what in a project. The only module that reads membership roles.

Two kinds of functions, used by every view:
- predicates (`can(membership, action)`), cheap and pure, passed to templates as booleans;
- fetchers (`project_for`, `interview_for`, …): a scoped query, then 404 when the user is not a member
  (so nothing about another project leaks, not even that an id exists), then 403 when the member's role
  does not allow the action.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from interviews import texts
from interviews.models import Interview, Membership, Project
from verbatim import sessions
from verbatim.plain_sql import Prepared

Role = Membership.Role


class Action(StrEnum):
    VIEW = "view"  # read transcripts, codebook, codings, memos
    CODE = "code"  # create and change own codings, codes and memos
    REVIEW = "review"  # approve or send back codings, compare coders
    EXPORT = "export"  # download excerpts and reports
    IMPORT = "import"  # bring in interviews and attributes
    MANAGE = "manage"  # members, roles, project settings
    EXCHANGE = "exchange"  # download the whole project (REFI-QDA .qdpx, .qdc)


ALLOWED: dict[str, frozenset[Action]] = {
    Role.RESEARCHER: frozenset({Action.VIEW, Action.CODE, Action.EXPORT}),
    Role.SUPERVISOR: frozenset(
        {Action.VIEW, Action.CODE, Action.REVIEW, Action.EXPORT, Action.EXCHANGE}
    ),
    Role.ADMIN: frozenset(Action),
}


def can(membership: Membership | None, action: Action) -> bool:
    return membership is not None and action in ALLOWED[membership.role]


def abilities(membership: Membership) -> dict[str, bool]:
    """`{"can_code": True, …}` for templates, which never look at roles themselves."""
    return {f"can_{action}": can(membership, action) for action in Action}


def visible_projects(user) -> QuerySet[Project]:
    return Project.objects.filter(memberships__user=user)


def membership_for(user, project_id: int) -> Membership:
    """The user's membership of the project, or 404 when they are not a member (or it doesn't exist).

    In one plain statement (_MEMBERSHIP_FOR), as interview_for: every project page starts here,
    and the ORM took longer to build the join than PostgreSQL to run it.
    """
    if not user.is_authenticated:
        raise Http404
    ahead = read_ahead(user, project_id)
    if ahead is not None:
        return membership_from(user, ahead[0][0] if ahead[0] else None)
    with connection.cursor() as cursor:
        cursor.execute(*membership_query(user.pk, project_id))
        return membership_from(user, cursor.fetchone())


def read_ahead(user, project_id: int, interview_id: int | None = None, also=()) -> list | None:
    """The rows this request's session statement read along for the project (and the interview)
    for this very user (coding.visibility.ReadAhead): those of `membership_query` (or of
    `interview_query`), the blind rounds', then those of the statements `also`, when the view
    declared these very ones. None when it did not: read them then. Taken once."""
    return sessions.read_along(user, ahead_key(project_id, interview_id, also))


def ahead_key(project_id: int, interview_id: int | None, also) -> tuple:
    """What names the rows read along: the project, the interview, the other statements' texts
    and values (rows read for other statements serve nothing)."""
    return project_id, interview_id, tuple((str(sql), repr(params)) for sql, params in also)


def membership_query(user_id: int, project_id: int) -> tuple[str, list]:
    """membership_for's statement, for a caller sending it with others in one round trip
    (coding.visibility.project_for); `membership_from` reads its row."""
    return _MEMBERSHIP_FOR, [project_id, user_id]


def membership_from(user, row: tuple | None) -> Membership:
    """membership_for's answer from the row of `membership_query` (None: 404)."""
    if row is None:
        raise Http404
    split = len(_MEMBERSHIP_FIELDS)
    membership = Membership.from_db(connection.alias, _MEMBERSHIP_FIELDS, row[:split])
    membership.project = Project.from_db(connection.alias, _PROJECT_FIELDS, row[split:])
    membership.user = user
    return membership


def require(membership: Membership, action: Action) -> None:
    if not can(membership, action):
        raise PermissionDenied


def project_for(user, project_id: int, action: Action = Action.VIEW) -> Membership:
    """The membership (with its project) allowing `action`; 404 for outsiders, 403 for the wrong role."""
    membership = membership_for(user, project_id)
    require(membership, action)
    return membership


def _columns(model, alias: str, leave_out: tuple[str, ...] = ()) -> tuple[list[str], str]:
    fields = [f for f in model._meta.concrete_fields if f.attname not in leave_out]
    return [f.attname for f in fields], ", ".join(f'{alias}."{f.column}"' for f in fields)


# The text comes from interviews.texts, by the row's checksum: most actions find it kept.
_INTERVIEW_FIELDS, _interview_columns = _columns(Interview, "i", leave_out=("text",))
_PROJECT_FIELDS, _project_columns = _columns(Project, "p")
_MEMBERSHIP_FIELDS, _membership_columns = _columns(Membership, "m")

_MEMBERSHIP_FOR = Prepared(f"""
    SELECT {_membership_columns}, {_project_columns}
      FROM interviews_membership m
      JOIN interviews_project p ON p.id = m.project_id
     WHERE m.project_id = %s AND m.user_id = %s
""")

# Hand-written because every action of the coding workspace starts here: compiling the equivalent
# queryset (a join, two annotations) took longer than PostgreSQL takes to run it.
_INTERVIEW_FOR = Prepared(f"""
    SELECT {_interview_columns}, {_project_columns}, m.id, m.role
      FROM interviews_interview i
      JOIN interviews_project p ON p.id = i.project_id
      JOIN interviews_membership m ON m.project_id = i.project_id AND m.user_id = %s
     WHERE i.id = %s AND i.project_id = %s
""")


def interview_for(
    user, project_id: int, interview_id: int, action: Action = Action.VIEW
) -> tuple[Membership, Interview]:
    """The membership and the interview, in one query (and its text from interviews.texts, a
    second only when this process has not kept it): every coding action starts here."""
    if not user.is_authenticated:
        raise Http404
    ahead = read_ahead(user, project_id, interview_id)
    if ahead is not None:
        return interview_from(user, ahead[0][0] if ahead[0] else None, action)
    with connection.cursor() as cursor:
        cursor.execute(*interview_query(user.pk, project_id, interview_id))
        row = cursor.fetchone()
    return interview_from(user, row, action)


def interview_query(user_id: int, project_id: int, interview_id: int) -> tuple[str, list]:
    """interview_for's statement, for a caller sending it with others in one round trip
    (coding.visibility.interview_for); `interview_from` reads its row."""
    return _INTERVIEW_FOR, [user_id, interview_id, project_id]


def interview_from(user, row: tuple | None, action: Action) -> tuple[Membership, Interview]:
    """interview_for's answer from the row of `interview_query` (None: 404), or 403."""
    if row is None:
        raise Http404
    split = len(_INTERVIEW_FIELDS)
    interview = Interview.from_db(connection.alias, _INTERVIEW_FIELDS, row[:split])
    project_row = row[split : split + len(_PROJECT_FIELDS)]
    project = Project.from_db(connection.alias, _PROJECT_FIELDS, project_row)
    interview.project = project
    membership_id, role = row[-2:]
    membership = Membership(pk=membership_id, project=project, user=user, role=role)
    require(membership, action)
    interview.text = texts.text(interview.pk, interview.checksum)
    return membership, interview


def can_edit_memo(membership: Membership | None, memo) -> bool:
    """A memo is changed or deleted by its author (while they may code) or by a project admin."""
    return can(membership, Action.MANAGE) or (
        can(membership, Action.CODE) and memo.author_id == membership.user_id
    )


def can_change_coding(membership: Membership | None, coding) -> bool:
    """A coding is its coder's to change or remove; an admin may correct anyone's."""
    if not can(membership, Action.CODE):
        return False
    return coding.coder_id == membership.user_id or can(membership, Action.MANAGE)


def require_coding_change(membership: Membership, coding) -> None:
    if not can_change_coding(membership, coding):
        raise PermissionDenied


def can_delete_code(membership: Membership | None, *, others_work: bool) -> bool:
    """Deleting a code deletes every coding and memo under it, whoever made them (they go to the
    trash, coding.trash): a researcher may delete a code only while nobody else's work hangs on it;
    supervisors and admins may delete any."""
    return can(membership, Action.CODE) and (not others_work or can(membership, Action.REVIEW))


def sees_whole_trash(membership: Membership | None) -> bool:
    """Supervisors and admins see every deleted or merged code of the project; researchers, their
    own deletions and merges."""
    return can(membership, Action.REVIEW)


def can_restore_code(membership: Membership | None, deleted_by_id: int | None) -> bool:
    """Restoring from the trash: whoever may see the entry (sees_whole_trash, or their own) and code."""
    return can(membership, Action.CODE) and (
        sees_whole_trash(membership) or deleted_by_id == membership.user_id
    )
