"""Back office for chapters, industries, classifications and rule sets.

Every list names its related rows through list_select_related (or an annotation), so a page
costs the same few queries however many rows it shows.
"""

from django.contrib import admin
from django.db.models import Count, Q

from chapters.admin_autocomplete import ModelAdmin
from chapters.models import (
    Chapter,
    Classification,
    Industry,
    TrafficLightRuleSet,
)


@admin.register(TrafficLightRuleSet)
class TrafficLightRuleSetAdmin(ModelAdmin):
    list_display = ("name", "slug", "owner", "based_on")
    list_filter = (("owner", admin.EmptyFieldListFilter),)
    search_fields = ("name", "slug", "owner__name")
    list_select_related = ("owner", "based_on")
    autocomplete_fields = ("owner", "based_on")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Chapter)
class ChapterAdmin(ModelAdmin):
    list_display = (
        "name", "region", "meeting_weekday", "meeting_time", "time_zone", "currency",
        "traffic_light_rule_set", "current_members",
    )
    list_filter = ("currency", "meeting_weekday", "time_zone", "traffic_light_rule_set")
    search_fields = ("name", "slug", "region")
    list_select_related = ("traffic_light_rule_set",)
    autocomplete_fields = ("traffic_light_rule_set",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "region", "created_at")}),
        ("Weekly meeting", {"fields": (
            "time_zone", "meeting_weekday", "meeting_time", "meeting_duration_minutes",
            "feature_presentations", "venue", "online_link", "reminder_lead_hours", "tally_hour",
        )}),
        ("Attendance policy", {"fields": (
            "absence_limit", "absence_window_meetings", "lates_per_absence", "substitute_cap",
            "checkin_cutoff_minutes",
        )}),
        ("Visitors and membership", {"fields": ("visitor_visit_limit", "approval_window_days")}),
        ("Slips and scoring", {"fields": (
            "currency", "thank_you_names_thanker", "traffic_light_rule_set",
        )}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            current_member_count=Count(
                "members", filter=Q(members__status__in=["active", "on_leave"])
            )
        )

    @admin.display(description="Members", ordering="current_member_count")
    def current_members(self, chapter) -> int:
        return chapter.current_member_count


class ClassificationInline(admin.TabularInline):
    model = Classification
    extra = 0
    show_change_link = True


@admin.register(Industry)
class IndustryAdmin(ModelAdmin):
    list_display = ("name", "classification_count")
    search_fields = ("name",)
    inlines = (ClassificationInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            classification_total=Count("classifications")
        )

    @admin.display(description="Classifications", ordering="classification_total")
    def classification_count(self, industry) -> int:
        return industry.classification_total


@admin.register(Classification)
class ClassificationAdmin(ModelAdmin):
    list_display = ("name", "industry")
    list_filter = ("industry",)
    search_fields = ("name", "industry__name")
    list_select_related = ("industry",)
    autocomplete_fields = ("industry",)
