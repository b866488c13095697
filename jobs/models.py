from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """Work a user started that runs in the background worker (an import, a large export): what
    it is, how far it got, and what came of it, kept for the user who started it.

    The task itself is a procrastinate job (`task_id`, the current attempt's); this row is what the
    user sees and what survives it. `jobs.runner` moves `state` along; `done`/`total` are written
    through a connection of their own, so they show while the task's transaction is still open.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    task = models.CharField(max_length=100)  # the procrastinate task's name
    title = models.CharField(max_length=255)
    # Known by name only: jobs sits below interviews (docs/architecture.md) and imports nothing of
    # it; a project's jobs go with it.
    project = models.ForeignKey(
        "interviews.Project", on_delete=models.CASCADE, null=True, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    language = models.CharField(max_length=16, default="fr")  # of the messages it writes
    arguments = models.JSONField(default=dict)  # what the task needs, to run and to run again
    back_url = models.CharField(max_length=500, blank=True)  # where the user came from
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)  # {"summary", "messages", "link", …}
    errors = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to="jobs/", max_length=300, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="job_by_owner")]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self):
        return self.title

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def can_retry(self) -> bool:
        return self.state in (self.State.FAILED, self.State.CANCELLED)

    @property
    def file_available(self) -> bool:
        """A finished job's file, until settings.VERBATIM_JOB_FILE_HOURS after it finished."""
        if not self.file or self.state != self.State.DONE or self.finished_at is None:
            return False
        age = timezone.now() - self.finished_at
        return age.total_seconds() < settings.VERBATIM_JOB_FILE_HOURS * 3600
