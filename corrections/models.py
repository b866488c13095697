from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from interviews.models import Interview


class TextVersion(models.Model):
    """One version of an interview's text: version 1 as imported, then one per correction.

    While a version is the interview's current one its text is `Interview.text`; once a correction
    replaces it, `anchors` keeps where every coding and turn was in it, so that restoring this
    version (a new version with its text) puts them back exactly (corrections/services.py).
    """

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    reason = models.CharField(_("why"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("date"))
    # Restoring: the version it restored, if it is a restoration.
    restores = models.PositiveIntegerField(null=True, blank=True)
    # {"codings": {id: [start, end]}, "turns": [[id, speaker_id, start, end, seconds|null]]},
    # written when a later version replaces this one.
    anchors = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["interview", "number"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "number"], name="text_version_once"),
        ]
        verbose_name = _("text version")
        verbose_name_plural = _("text versions")

    def __str__(self):
        return f"{self.interview} v{self.number}"
