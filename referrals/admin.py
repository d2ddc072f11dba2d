"""Back office for slips: referrals, TYFCB, one-to-ones, CEUs, testimonials, corrections and
the notices owed to givers."""

from django.contrib import admin
from django.utils.text import Truncator

from chapters.admin_autocomplete import ModelAdmin
from referrals.models import (
    CEU,
    GiverNotice,
    OneToOne,
    Referral,
    SlipCorrection,
    Testimonial,
    ThankYou,
)

_MEMBER_SEARCH = ("user__first_name", "user__last_name", "user__email")


def _search(*members: str) -> tuple[str, ...]:
    return tuple(f"{member}__{field}" for member in members for field in _MEMBER_SEARCH)


def _person(field: str, description: str):
    """A list column naming the member in `field` (select its user in list_select_related)."""

    @admin.display(description=description, ordering=f"{field}__user__last_name")
    def column(self, slip) -> str:
        return getattr(slip, field).full_name

    column.__name__ = f"{field}_name"
    return column


@admin.register(Referral)
class ReferralAdmin(ModelAdmin):
    list_display = (
        "pk", "giver_name", "receiver_name", "tier", "temperature", "status", "prospect_name",
        "meeting", "receiver_meeting", "created_at",
    )
    list_display_links = ("pk", "giver_name")
    list_filter = ("status", "tier", "temperature", "meeting__chapter")
    search_fields = (*_search("giver", "receiver"), "prospect_name", "prospect_email",
                     "prospect_phone", "notes")
    list_select_related = (
        "giver__user", "receiver__user", "meeting__chapter", "receiver_meeting__chapter",
    )
    autocomplete_fields = ("giver", "receiver")
    raw_id_fields = ("meeting", "receiver_meeting")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"

    giver_name = _person("giver", "Giver")
    receiver_name = _person("receiver", "Receiver")


@admin.register(ThankYou)
class ThankYouAdmin(ModelAdmin):
    list_display = (
        "pk", "thanked_by_name", "credited_to_name", "amount", "business_type", "referral_id",
        "meeting", "credited_meeting", "created_at",
    )
    list_display_links = ("pk", "thanked_by_name")
    list_filter = ("business_type", "meeting__chapter")
    search_fields = (*_search("thanked_by", "credited_to"), "notes")
    list_select_related = (
        "thanked_by__user", "credited_to__user", "meeting__chapter", "credited_meeting__chapter",
    )
    autocomplete_fields = ("thanked_by", "credited_to")
    raw_id_fields = ("referral", "meeting", "credited_meeting")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"

    thanked_by_name = _person("thanked_by", "Thanked by")
    credited_to_name = _person("credited_to", "Credited to")


@admin.register(OneToOne)
class OneToOneAdmin(ModelAdmin):
    list_display = ("pk", "member_name", "met_with_name", "met_on", "location", "meeting")
    list_display_links = ("pk", "member_name")
    list_filter = ("meeting__chapter",)
    search_fields = (*_search("member", "met_with"), "location", "notes")
    list_select_related = ("member__user", "met_with__user", "meeting__chapter")
    autocomplete_fields = ("member", "met_with")
    raw_id_fields = ("meeting", "met_with_meeting")
    readonly_fields = ("created_at",)
    date_hierarchy = "met_on"

    member_name = _person("member", "Member")
    met_with_name = _person("met_with", "Met with")


@admin.register(CEU)
class CEUAdmin(ModelAdmin):
    list_display = ("pk", "member_name", "description", "credits", "earned_on", "meeting")
    list_display_links = ("pk", "member_name")
    list_filter = ("credits", "meeting__chapter")
    search_fields = (*_search("member"), "description")
    list_select_related = ("member__user", "meeting__chapter")
    autocomplete_fields = ("member",)
    raw_id_fields = ("meeting",)
    readonly_fields = ("created_at",)
    date_hierarchy = "earned_on"

    member_name = _person("member", "Member")


@admin.register(Testimonial)
class TestimonialAdmin(ModelAdmin):
    list_display = ("pk", "giver_name", "about_name", "excerpt", "meeting", "created_at")
    list_display_links = ("pk", "giver_name")
    list_filter = ("meeting__chapter",)
    search_fields = (*_search("giver", "about"), "text")
    list_select_related = ("giver__user", "about__user", "meeting__chapter")
    autocomplete_fields = ("giver", "about")
    raw_id_fields = ("meeting",)
    readonly_fields = ("created_at",)

    giver_name = _person("giver", "Giver")
    about_name = _person("about", "About")

    @admin.display(description="Text")
    def excerpt(self, testimonial) -> str:
        return Truncator(testimonial.text).chars(80)


@admin.register(SlipCorrection)
class SlipCorrectionAdmin(ModelAdmin):
    list_display = ("slip_type", "slip_id", "action", "meeting", "changed_by", "changed_at")
    list_filter = ("slip_type", "action")
    search_fields = ("slip_type", "slip_id", "reason", "changed_by__email")
    list_select_related = ("meeting__chapter", "changed_by")
    autocomplete_fields = ("changed_by",)
    raw_id_fields = ("meeting",)
    readonly_fields = ("changed_at",)
    date_hierarchy = "changed_at"


@admin.register(GiverNotice)
class GiverNoticeAdmin(ModelAdmin):
    list_display = (
        "pk", "kind", "member_name", "referral_id", "status", "thank_you_id", "created_at",
        "sent_at",
    )
    list_display_links = ("pk", "kind")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = _search("member")
    list_select_related = ("member__user",)
    autocomplete_fields = ("member",)
    raw_id_fields = ("referral", "thank_you")
    readonly_fields = ("created_at",)

    member_name = _person("member", "Member")
