from django.contrib import admin

from coding.models import Code, Coding, CodingEvent, Memo, ReviewEvent


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "project", "color", "position"]
    list_filter = ["project"]
    search_fields = ["name", "description"]
    list_select_related = ["parent", "project"]


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    extra = 0


@admin.register(Coding)
class CodingAdmin(admin.ModelAdmin):
    list_display = ["code", "interview", "coder", "start", "end", "status", "updated_at"]
    list_filter = ["status", "interview__project", "coder"]
    search_fields = ["text", "code__name", "interview__title", "coder__username"]
    list_select_related = ["code", "interview", "coder"]
    readonly_fields = ["text", "created_at", "updated_at"]
    raw_id_fields = ["interview", "code"]
    inlines = [ReviewEventInline]


@admin.register(Memo)
class MemoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "author", "interview", "code", "updated_at"]
    list_filter = ["project"]
    search_fields = ["body"]
    list_select_related = ["project", "author", "interview", "code"]
    raw_id_fields = ["interview", "code", "coding"]


@admin.register(CodingEvent)
class CodingEventAdmin(admin.ModelAdmin):
    """The audit trail: written by the database, read-only here."""

    list_display = ["at", "action", "coding_id", "project_id", "actor"]
    list_filter = ["action"]
    search_fields = ["coding_id"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
