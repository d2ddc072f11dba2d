"""Back office for meetings, PALMS attendance, visitors and absence notices."""

from django.contrib import admin

from chapters.admin_autocomplete import ModelAdmin
from meetings.models import AbsenceNotice, Attendance, Meeting, Visitor
from members.admin import MemberColumns


@admin.register(Meeting)
class MeetingAdmin(ModelAdmin):
    list_display = (
        "local_date", "chapter", "starts_at", "status", "report_status",
        "presenters", "report_completed_at",
    )
    list_filter = ("status", "report_status", "chapter")
    search_fields = ("chapter__name", "note", "education_moment")
    list_select_related = (
        "chapter", "feature_presenter__user", "second_feature_presenter__user",
    )
    autocomplete_fields = (
        "chapter", "feature_presenter", "second_feature_presenter", "report_completed_by",
    )
    date_hierarchy = "local_date"
    ordering = ("-starts_at",)

    @admin.display(description="Feature presenters", ordering="feature_presenter__user__last_name")
    def presenters(self, meeting) -> str:
        return meeting.feature_presenter_names


@admin.register(Attendance)
class AttendanceAdmin(MemberColumns, ModelAdmin):
    list_display = (
        "meeting", "member_name", "code", "substitute_name", "self_checked_in", "marked_by",
        "marked_at",
    )
    list_filter = ("code", "self_checked_in", "meeting__chapter")
    search_fields = (
        "member__user__first_name", "member__user__last_name", "member__user__email",
        "substitute_name", "meeting__chapter__name",
    )
    list_select_related = ("meeting__chapter", "member__user", "marked_by")
    autocomplete_fields = ("member", "marked_by")
    raw_id_fields = ("meeting",)


@admin.register(Visitor)
class VisitorAdmin(ModelAdmin):
    list_display = (
        "name", "company", "classification_label", "meeting", "sponsor", "follow_up", "attended",
        "created_at",
    )
    list_filter = ("follow_up", "attended", "meeting__chapter")
    search_fields = ("name", "company", "email", "phone", "classification_text",
                     "classification__name", "meeting__chapter__name")
    list_select_related = ("classification", "meeting__chapter", "invited_by__user")
    autocomplete_fields = ("classification", "invited_by", "created_by")
    raw_id_fields = ("meeting",)
    readonly_fields = ("created_at",)

    @admin.display(description="Classification")
    def classification_label(self, visitor) -> str:
        return visitor.classification_label

    @admin.display(description="Invited by", ordering="invited_by__user__last_name")
    def sponsor(self, visitor) -> str:
        return visitor.invited_by.full_name if visitor.invited_by else ""


@admin.register(AbsenceNotice)
class AbsenceNoticeAdmin(ModelAdmin):
    list_display = ("member_name", "meeting", "level", "absences", "created_at", "sent_at")
    list_filter = ("level", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("member__user__first_name", "member__user__last_name", "member__user__email")
    list_select_related = ("member__user", "meeting__chapter")
    autocomplete_fields = ("member",)
    raw_id_fields = ("meeting",)

    @admin.display(description="Member", ordering="member__user__last_name")
    def member_name(self, notice) -> str:
        return notice.member.full_name
