"""Back office for report imports.

Every list names its related rows through list_select_related, so a page costs the same few
queries however many rows it shows.
"""

from django.contrib import admin

from chapters.admin_autocomplete import ModelAdmin
from reports.models import ImportBatch, ImportedRow, ImportedSlip


@admin.register(ImportBatch)
class ImportBatchAdmin(ModelAdmin):
    list_display = (
        "filename", "chapter", "kind", "status", "created_by", "created_at", "imported_count",
        "already_count", "skipped_count",
    )
    list_filter = ("kind", "status")
    search_fields = ("filename", "file_sha256", "chapter__name")
    list_select_related = ("chapter", "created_by")
    autocomplete_fields = ("chapter", "created_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"


@admin.register(ImportedRow)
class ImportedRowAdmin(ModelAdmin):
    list_display = ("fingerprint", "chapter", "kind", "batch")
    list_filter = ("kind",)
    search_fields = ("fingerprint", "chapter__name", "batch__filename")
    list_select_related = ("chapter", "batch")
    autocomplete_fields = ("chapter",)
    raw_id_fields = ("batch",)


@admin.register(ImportedSlip)
class ImportedSlipAdmin(ModelAdmin):
    list_display = (
        "member_name", "kind", "tier", "amount", "counterpart_name", "meeting", "chapter",
    )
    list_filter = ("kind", "tier")
    search_fields = (
        "counterpart_name", "detail", "member__user__first_name", "member__user__last_name",
        "member__user__email", "chapter__name",
    )
    list_select_related = ("member__user", "meeting__chapter", "chapter")
    autocomplete_fields = ("chapter", "member")
    raw_id_fields = ("meeting", "batch")

    @admin.display(description="Member", ordering="member__user__last_name")
    def member_name(self, slip) -> str:
        return slip.member.full_name
