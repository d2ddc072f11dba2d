from django.contrib import admin

from chapters.admin_autocomplete import ModelAdmin
from notifications.models import Delivery, NotificationBatch, NotificationOptOut


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(ModelAdmin):
    list_display = ("member_name", "kind", "chapter", "created_at")
    list_filter = ("kind",)
    search_fields = ("member__user__email", "member__user__first_name", "member__user__last_name")
    list_select_related = ("member__user", "member__chapter")
    autocomplete_fields = ("member",)

    @admin.display(description="Member", ordering="member__user__last_name")
    def member_name(self, opt_out) -> str:
        return opt_out.member.full_name

    @admin.display(description="Chapter", ordering="member__chapter__name")
    def chapter(self, opt_out):
        return opt_out.member.chapter


@admin.register(NotificationBatch)
class NotificationBatchAdmin(ModelAdmin):
    list_display = ("kind", "meeting", "reason", "created_at")
    list_filter = ("kind", "reason")
    search_fields = ("meeting__chapter__name",)
    list_select_related = ("meeting__chapter",)
    raw_id_fields = ("meeting",)
    date_hierarchy = "created_at"


@admin.register(Delivery)
class DeliveryAdmin(ModelAdmin):
    list_display = (
        "kind", "member_name", "to_email", "meeting", "state", "attempts", "due_at", "sent_at",
        "resends",
    )
    list_filter = ("state", "kind")
    search_fields = (
        "to_email", "message_id", "member__user__email", "member__user__last_name",
        "chapter__name",
    )
    list_select_related = ("member__user", "meeting__chapter")
    autocomplete_fields = ("chapter", "member", "resent_by")
    raw_id_fields = ("meeting",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"

    @admin.display(description="Member", ordering="member__user__last_name")
    def member_name(self, delivery) -> str:
        return delivery.member.full_name if delivery.member else ""

