from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from interviews.models import Project


class SavedQuery(models.Model):
    """A query of the query page (analysis/views.py), kept by name to run again: its parameters as
    the page's query string, read again by excerpts.filters each time, so it follows the codebook
    (a code deleted since is named as unknown)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_queries")
    name = models.CharField(_("name"), max_length=200)
    query = models.TextField(_("query"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "project", name="saved_query_unique_name"),
        ]
        verbose_name = _("saved query")
        verbose_name_plural = _("saved queries")

    def __str__(self):
        return self.name


class CacheEntry(models.Model):
    """A row of the "analysis" cache (settings.CACHES), which Django's DatabaseCache reads and
    writes itself. The model is there so that a migration creates the table (rather than
    `createcachetable` wherever a database is set up) and a test database's flush empties it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "analysis_cache"

    def __str__(self):
        return self.cache_key
