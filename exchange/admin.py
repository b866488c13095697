from django.contrib import admin

from exchange.models import ImportDraft, Placeholder


@admin.register(Placeholder)
class PlaceholderAdmin(admin.ModelAdmin):
    """Support staff can see which accounts an import made; a project admin hands them over from
    the project's REFI-QDA page (or staff activate one here, through its user, for its person)."""

    list_display = ["name", "user", "project", "file_name", "created_at"]
    list_filter = ["project"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user", "project"]


@admin.register(ImportDraft)
class ImportDraftAdmin(admin.ModelAdmin):
    list_display = ["file_name", "kind", "created_by", "project", "created_at"]
    exclude = ["plan"]
    readonly_fields = ["file_name", "kind", "created_by", "project", "created_at"]
