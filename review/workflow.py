"""The review of codings: every decision on a coding, in one place.

    pending ──approve──▶ approved ──send_back──▶ needs_change ──resubmit──▶ pending
       └────────────send_back──────────────────────▲  │
                                                      └──approve──▶ approved
    any ──discuss──▶ pending (a disagreement between coders to talk over, with its comment)

Supervisors and admins review (Action.REVIEW), never their own codings. Each transition writes a
ReviewEvent (the history shown on the excerpt) and refuses with a ReviewRefused whose message is
translated for the user. The transitions open their own `coding.audit.recorded_as` action, kept out
of Ctrl+Z. One move is not here: a coding whose code or boundaries change returns to review by
itself, whoever changes it and however (the `coding_back_to_review` trigger, migration coding 0010).
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from coding.audit import lock_interviews, recorded_as
from coding.models import Coding, ReviewEvent
from interviews import permissions
from interviews.models import Membership
from interviews.permissions import Action
from verbatim import people

Status = Coding.Status

# What each decision may start from; anything else is refused (a stale page, a double click…).
APPROVABLE = (Status.PENDING, Status.NEEDS_CHANGE)
SENDABLE_BACK = (Status.PENDING, Status.APPROVED)


class ReviewRefused(Exception):
    """A transition the workflow does not allow; `message` is translated, ready to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(ReviewRefused):
    """The user may not take this decision at all (their role, or their own coding): a 403."""


class StaleState(ReviewRefused):
    """The coding is no longer in a state this decision applies to (someone decided meanwhile)."""


class CommentRequired(ReviewRefused):
    """Sending back needs a comment, so the coder knows what to change."""


# Who may decide


def may_review(membership: Membership, coding: Coding) -> bool:
    """Supervisors and admins review others' codings; nobody reviews their own."""
    return permissions.can(membership, Action.REVIEW) and coding.coder_id != membership.user_id


def _require_review(membership: Membership, coding: Coding) -> None:
    if not permissions.can(membership, Action.REVIEW):
        raise NotAllowed(_("Only supervisors and admins review codings."))
    if coding.coder_id == membership.user_id:
        raise NotAllowed(_("You cannot review your own coding: another reviewer decides on it."))


# Transitions


def approve(coding: Coding, membership: Membership, comment: str = "") -> ReviewEvent:
    """pending or needs_change → approved."""
    _require_review(membership, coding)
    with recorded_as(membership.user, interview_id=coding.interview_id, undoable=False):
        _lock_current(coding)
        if coding.status not in APPROVABLE:
            raise StaleState(_stale_message(coding))
        return _move(coding, Status.APPROVED, membership.user, comment)


def send_back(coding: Coding, membership: Membership, comment: str) -> ReviewEvent:
    """pending or approved → needs_change, with the comment the coder will read."""
    _require_review(membership, coding)
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired(_("Say what should change: a comment is required to send back."))
    with recorded_as(membership.user, interview_id=coding.interview_id, undoable=False):
        _lock_current(coding)
        if coding.status not in SENDABLE_BACK:
            raise StaleState(_stale_message(coding))
        return _move(coding, Status.NEEDS_CHANGE, membership.user, comment)


def resubmit(coding: Coding, membership: Membership, answer: str = "") -> ReviewEvent:
    """needs_change → pending, by whoever may change the coding (its coder, or an admin),
    optionally answering the reviewer's comment."""
    if not permissions.can_change_coding(membership, coding):
        raise NotAllowed(_("Only the coder of this coding can resubmit it."))
    with recorded_as(membership.user, interview_id=coding.interview_id, undoable=False):
        _lock_current(coding)
        if coding.status != Status.NEEDS_CHANGE:
            raise StaleState(_stale_message(coding))
        return _move(coding, Status.PENDING, membership.user, (answer or "").strip())


def _lock_current(coding: Coding) -> None:
    """Read the coding's status again under a row lock: the decision is taken on what is stored now."""
    status = (
        Coding.objects.select_for_update()
        .filter(pk=coding.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        raise StaleState(_("This coding no longer exists: it was removed meanwhile."))
    coding.status = status


def _move(coding: Coding, status: str, actor, comment: str) -> ReviewEvent:
    coding.status = status
    coding.save(update_fields=["status", "updated_at"])
    return ReviewEvent.objects.create(coding=coding, reviewer=actor, status=status, comment=comment)


def _stale_message(coding: Coding) -> str:
    """Why a decision no longer applies, naming who decided last when someone did."""
    last = (
        coding.reviews.filter(status=coding.status)
        .select_related("reviewer")
        .order_by("-created_at", "-id")
        .first()
    )
    who = people.name(last.reviewer) if last else None
    if coding.status == Status.APPROVED:
        if who:
            return _("This coding was already approved by %(name)s.") % {"name": who}
        return _("This coding is already approved.")
    if coding.status == Status.NEEDS_CHANGE:
        if who:
            return _("This coding was already sent back by %(name)s.") % {"name": who}
        return _("This coding was already sent back.")
    return _("This coding is back in review: it is no longer waiting for a revision.")


# Several at once


@dataclass
class BulkResult:
    approved: list[int] = field(default_factory=list)  # coding ids
    skipped: dict[int, str] = field(default_factory=dict)  # coding id → why, translated
    missing: int = 0  # ids that are not codings of the project (any more)


def bulk_approve(membership: Membership, coding_ids) -> BulkResult:
    """Approve the project's codings among `coding_ids` in one transaction; those this user may not
    approve, or no longer can (already approved, removed meanwhile), are skipped and reported."""
    if not permissions.can(membership, Action.REVIEW):
        raise NotAllowed(_("Only supervisors and admins review codings."))
    wanted = set(coding_ids)
    codings = Coding.objects.filter(interview__project_id=membership.project_id, pk__in=wanted)
    result = BulkResult()
    user = membership.user
    with recorded_as(user, undoable=False):
        lock_interviews(codings.values_list("interview_id", flat=True))
        rows = (
            codings.select_for_update()
            .order_by("created_at", "id")
            .values_list("pk", "coder_id", "status")
        )
        for pk, coder_id, status in rows:
            if coder_id == user.pk:
                result.skipped[pk] = _("your own coding")
            elif status not in APPROVABLE:
                result.skipped[pk] = _("already approved")
            else:
                result.approved.append(pk)
        result.missing = len(wanted) - len(result.approved) - len(result.skipped)
        Coding.objects.filter(pk__in=result.approved).update(
            status=Status.APPROVED, updated_at=timezone.now()
        )
        ReviewEvent.objects.bulk_create(
            ReviewEvent(coding_id=pk, reviewer=user, status=Status.APPROVED)
            for pk in result.approved
        )
    return result


@dataclass
class Discussed:
    codings: list[int] = field(default_factory=list)  # sent to the queue
    missing: int = 0  # ids that are not codings of the project (any more)


def discuss(membership: Membership, coding_ids, comment: str) -> Discussed:
    """Put the project's codings among `coding_ids` (the versions of a disagreement between
    coders, agreement/) in the review queue as an item to discuss: each returns to pending, with
    the comment on its history. Reviewers only; their own codings too, since this decides nothing.
    """
    if not permissions.can(membership, Action.REVIEW):
        raise NotAllowed(_("Only supervisors and admins review codings."))
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired(_("Say what to discuss: a comment is required."))
    wanted = set(coding_ids)
    codings = Coding.objects.filter(interview__project_id=membership.project_id, pk__in=wanted)
    result = Discussed()
    user = membership.user
    with recorded_as(user, undoable=False):
        lock_interviews(codings.values_list("interview_id", flat=True))
        result.codings = list(
            codings.select_for_update().order_by("id").values_list("pk", flat=True)
        )
        result.missing = len(wanted) - len(result.codings)
        Coding.objects.filter(pk__in=result.codings).exclude(status=Status.PENDING).update(
            status=Status.PENDING, updated_at=timezone.now()
        )
        ReviewEvent.objects.bulk_create(
            ReviewEvent(coding_id=pk, reviewer=user, status=Status.PENDING, comment=comment)
            for pk in result.codings
        )
    return result


# What the pages show


def revise_count(user, project_id: int) -> int:
    """How many of the user's codings in the project wait for their revision (the nav badge)."""
    return Coding.objects.filter(
        coder=user, interview__project_id=project_id, status=Status.NEEDS_CHANGE
    ).count()
