"""What the REFI-QDA exchange keeps between requests: an upload read and waiting for confirmation,
and the accounts an import created for people no member stood for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from interviews.models import Project


class ImportDraft(models.Model):
    """A .qdpx or .qdc read and waiting for its importer's confirmation: one per person and target
    project (none: a new project), deleted once confirmed or discarded, or after
    settings.VERBATIM_IMPORT_DRAFT_HOURS. The uploaded file itself is never kept: `plan` holds what
    was read from it (exchange.plans.dump), compressed."""

    class Kind(models.TextChoices):
        PROJECT = "project", _("Project (.qdpx)")
        CODEBOOK = "codebook", _("Codebook (.qdc)")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    plan = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "project"],
                nulls_distinct=False,
                name="exchange_draft_one_per_target",
            ),
        ]
        verbose_name = _("REFI-QDA import in progress")
        verbose_name_plural = _("REFI-QDA imports in progress")

    def __str__(self):
        return f"{self.file_name} · {self.created_by}"


class Placeholder(models.Model):
    """An inactive account an import created for a user of the file that no member stood for. Its
    codings, memos and reviews are kept under it until a project admin hands them to a member
    (exchange.placeholders.hand_over), which deletes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refi_placeholder"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="placeholders")
    name = models.CharField(_("name in the file"), max_length=200, blank=True)
    file_name = models.CharField(_("imported from"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("imported account")
        verbose_name_plural = _("imported accounts")

    def __str__(self):
        return self.name or str(self.user)
