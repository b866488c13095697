from django.contrib import admin

from interviews.models import (
    Attribute,
    AttributeValue,
    ImportBatch,
    Interview,
    Membership,
    Project,
    Pseudonym,
    Speaker,
    Turn,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "description"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name"]
    list_select_related = ["user", "project"]


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "project", "position"]
    list_filter = ["type", "project"]
    search_fields = ["name"]


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 0


class SpeakerInline(admin.TabularInline):
    model = Speaker
    extra = 0


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["title", "participant", "project", "language", "word_count", "created_at"]
    list_filter = ["project", "language", "source_format"]
    search_fields = ["title", "participant", "source_name"]
    list_select_related = ["project"]
    # The text is immutable once stored (codings point into it): shown, never edited here.
    readonly_fields = ["text", "text_length", "word_count", "checksum", "created_at"]
    inlines = [SpeakerInline, AttributeValueInline]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["text_length", "word_count", "checksum"]


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = ["interview", "speaker", "start", "end", "timestamp"]
    list_select_related = ["interview", "speaker"]
    search_fields = ["interview__title", "speaker__name"]


@admin.register(Pseudonym)
class PseudonymAdmin(admin.ModelAdmin):
    list_display = ["real_name", "pseudonym", "project"]
    list_filter = ["project"]
    search_fields = ["real_name", "pseudonym"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Imports waiting for confirmation, for support: they can be deleted, never edited here."""

    list_display = ["project", "created_by", "created_at"]
    list_select_related = ["project", "created_by"]
    readonly_fields = ["project", "created_by", "created_at", "sheet"]

    def has_add_permission(self, request):
        return False
