"""Settling a disagreement into the consensus, and taking it back.

A supervisor (Action.REVIEW) settles one region of one code in one interview (agreement/
comparison.py): keep one coder's version, every version, a new passage, or nothing. The result is
written as codings of the project's consensus coder (coding.models.ConsensusCoder) by
`coding.actions.apply`, that is by the SQL rule `coding_apply` (migration coding 0010/0011): the
same merging as every other caller, inside one `coding.audit.recorded_as` action of the supervisor,
so the audit trail names them and undo (here, or their Ctrl+Z in the interview) reverts it. The
decision itself, with its comment, is a `ConsensusDecision`.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreement import comparison, metrics
from agreement.models import ConsensusDecision
from coding import actions
from coding.audit import recorded_as, undo_group
from coding.models import Code, CodingEvent, ConsensusCoder
from coding.visibility import EVERYTHING
from interviews import permissions
from interviews.models import Interview, Membership
from interviews.permissions import Action

Choice = ConsensusDecision.Choice


class Refused(Exception):
    """A decision that cannot be taken; `message` says why, ready to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Request:
    """What the supervisor chose for the region [start, end) of the code in the interview."""

    start: int
    end: int
    choice: str
    kept: int | None = None  # a coder's id, for Choice.CODER
    span: tuple[int, int] | None = None  # for Choice.SPAN
    comment: str = ""


def settle(
    membership: Membership,
    interview: Interview,
    code: Code,
    coders: list,
    asked: Request,
    *,
    round=None,
) -> ConsensusDecision:
    """Write the consensus for one region as the supervisor decided; Refused when the region is
    not (or no longer) one of the comparison's, or already settled."""
    if not permissions.can(membership, Action.REVIEW):
        raise Refused(_("Only supervisors and admins settle disagreements."))
    user = membership.user
    coder_ids = [coder.pk for coder in coders]
    consensus = ConsensusCoder.user_for(membership.project)
    if consensus.pk in coder_ids:
        raise Refused(_("The consensus is one of the compared coders: compare the coders alone."))
    # Read under the interview's writer lock, which recorded_as takes: what is settled is what is
    # stored now, not what the page showed.
    with recorded_as(user, interview_id=interview.pk) as group:
        # Supervisors see every coding (coding/visibility.py).
        by_coder = comparison.codings(interview.pk, code.pk, coder_ids, EVERYTHING)
        region = next(
            (
                r
                for r in comparison.regions(by_coder, coder_ids, interview.text_length)
                if (r.start, r.end) == (asked.start, asked.end)
            ),
            None,
        )
        if region is None:
            raise Refused(
                _("These codings changed meanwhile: the page shows them again as they are.")
            )
        overlapping = ConsensusDecision.objects.live().filter(
            interview=interview, code=code, start__lt=region.end, end__gt=region.start
        )
        if overlapping.exists():
            raise Refused(_("This disagreement is already settled: undo that decision first."))
        passages = _passages(region, asked, interview)
        for start, end in passages:
            actions.apply(interview, code.pk, consensus, start, end, group=group, actor=user)
        return ConsensusDecision.objects.create(
            project=membership.project,
            round=round,
            interview=interview,
            code=code,
            start=region.start,
            end=region.end,
            compared=coder_ids,
            choice=asked.choice,
            kept_id=asked.kept if asked.choice == Choice.CODER else None,
            written=[list(p) for p in passages],
            comment=asked.comment.strip(),
            decided_by=user,
            group=group,
        )


def _passages(region: comparison.Region, asked: Request, interview: Interview) -> list:
    if asked.choice == Choice.CODER:
        if asked.kept not in region.passages:
            raise Refused(_("Choose one of the compared coders."))
        return region.passages[asked.kept]
    if asked.choice == Choice.ALL:  # their union: coding_apply would merge them anyway
        everyone = [p for passages in region.passages.values() for p in passages]
        return metrics.union(everyone, interview.text_length)
    if asked.choice == Choice.SPAN:
        if asked.span is None:
            raise Refused(_("Give the new passage’s start and end."))
        start, end = asked.span
        if not 0 <= start < end <= interview.text_length:
            raise Refused(_("The new passage must lie inside the transcript."))
        if not interview.text[start:end].strip():
            raise Refused(_("The new passage holds only spaces."))
        return [(start, end)]
    if asked.choice == Choice.NONE:
        return []
    raise Refused(_("Unknown decision."))


def undo(membership: Membership, decision: ConsensusDecision) -> None:
    """Take a decision back: its consensus codings are undone as one action (coding.audit)."""
    if not permissions.can(membership, Action.REVIEW):
        raise Refused(_("Only supervisors and admins settle disagreements."))
    if decision.undone_at is not None:
        raise Refused(_("This decision was already undone."))
    with transaction.atomic():
        already = CodingEvent.objects.filter(undo_of=decision.group).exists()
        if decision.group is not None and not already:
            result = undo_group(membership.user, decision.group, decision.interview_id)
            if result.conflicts:
                raise Refused(
                    _(
                        "The consensus codings of this decision changed since: undo them in the interview."
                    )
                )
        decision.undone_at = timezone.now()
        decision.undone_by = membership.user
        decision.save(update_fields=["undone_at", "undone_by"])
