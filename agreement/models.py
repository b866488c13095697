from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from coding.models import Code, CodingEvent, CodingRound
from interviews.models import Interview, Project


class DecisionQuerySet(models.QuerySet):
    def live(self):
        """Decisions that stand: neither undone on the agreement page nor by their supervisor's
        Ctrl+Z in the interview (an undo event of their action group)."""
        undone = CodingEvent.objects.filter(undo_of=OuterRef("group"))
        return self.filter(undone_at=None).exclude(Exists(undone))


class ConsensusDecision(models.Model):
    """How a supervisor settled one disagreement of a code in an interview, and why.

    The consensus codings it wrote are codings of the project's consensus coder
    (coding.models.ConsensusCoder), applied by `coding_apply` as one audited action (`group`,
    coding.audit): undoing the decision undoes that action (agreement/consensus.py).
    """

    class Choice(models.TextChoices):
        CODER = "coder", _("one coder’s version")
        ALL = "all", _("every version")
        SPAN = "span", _("a new passage")
        NONE = "none", _("not coded")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(
        CodingRound, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="+")
    # The disagreement: where the compared coders' codings of the code ran, as one passage.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    compared = models.JSONField(default=list)  # the compared coders' ids
    choice = models.CharField(_("decision"), max_length=10, choices=Choice.choices)
    kept = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    written = models.JSONField(default=list)  # the [start, end) passages given to the consensus
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    group = models.BigIntegerField(null=True)  # coding.models.CodingEvent.group of its codings
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["interview", "code"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="decision_range_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_choice_display()} [{self.start}, {self.end})"
