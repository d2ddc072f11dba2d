"""Back office for accounts, memberships, leadership roles, invitations, applications, leave,
transfers, roster imports, the audit trail and notification emails."""

from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm

from chapters.admin_autocomplete import ModelAdmin
from members.models import (
    Application,
    AuditEntry,
    Invitation,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    MembershipTransfer,
    RenewalReminder,
    RosterImport,
    User,
)


class MemberColumns:
    """The member's name and chapter as admin columns, for rows that belong to a member."""

    @admin.display(description="Member", ordering="member__user__last_name")
    def member_name(self, row) -> str:
        return row.member.full_name if row.member_id else ""

    @admin.display(description="Chapter", ordering="member__chapter__name")
    def chapter(self, row):
        return row.member.chapter if row.member_id else None


class _LowerCaseEmail:
    """Accounts are found by email, always stored lower-case (as UserManager does)."""

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class UserCreationForm(_LowerCaseEmail, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserChangeForm(_LowerCaseEmail, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class EmailAddressInline(admin.TabularInline):
    """The addresses allauth signs people in with: one must be verified and primary."""

    model = EmailAddress
    extra = 0
    fields = ("email", "verified", "primary")


class MembershipInline(admin.TabularInline):
    model = Member
    fk_name = "user"
    extra = 0
    fields = ("chapter", "classification", "business_name", "status")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # memberships are added on the member page, with their business details

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("chapter", "classification")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": (
            "is_active", "is_staff", "is_superuser", "groups", "user_permissions",
        )}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": (
                "email", "first_name", "last_name", "usable_password", "password1", "password2",
            ),
        }),
    )
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    inlines = (EmailAddressInline, MembershipInline)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()


@admin.register(Member)
class MemberAdmin(ModelAdmin):
    list_display = (
        "name", "business_name", "chapter", "classification", "status", "joined_on",
        "renewal_due_on",
    )
    list_filter = ("status", "chapter")
    search_fields = (
        "user__email", "user__first_name", "user__last_name", "business_name",
        "classification__name", "chapter__name",
    )
    list_select_related = ("user", "chapter", "classification")
    autocomplete_fields = ("user", "chapter", "classification", "sponsor")
    readonly_fields = ("created_at",)

    @admin.display(description="Name", ordering="user__last_name")
    def name(self, member) -> str:
        return member.full_name


@admin.register(LeadershipRole)
class LeadershipRoleAdmin(MemberColumns, ModelAdmin):
    list_display = ("member_name", "role", "chapter", "starts_on", "ends_on")
    list_filter = ("role", "member__chapter")
    search_fields = (
        "member__user__email", "member__user__first_name", "member__user__last_name",
        "member__chapter__name",
    )
    list_select_related = ("member__user", "member__chapter")
    autocomplete_fields = ("member",)
    date_hierarchy = "starts_on"


@admin.register(Invitation)
class InvitationAdmin(ModelAdmin):
    list_display = (
        "email", "first_name", "last_name", "chapter", "classification", "invited_by",
        "created_at", "expires_at", "accepted_at", "revoked_at",
    )
    list_filter = (
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
        "chapter",
    )
    search_fields = ("email", "first_name", "last_name", "business_name", "chapter__name")
    list_select_related = ("chapter", "classification", "invited_by")
    autocomplete_fields = ("chapter", "classification", "invited_by")
    raw_id_fields = ("member",)
    readonly_fields = ("created_at",)


@admin.register(Application)
class ApplicationAdmin(ModelAdmin):
    list_display = (
        "full_name", "business_name", "classification", "chapter", "status", "created_at",
        "decided_at",
    )
    list_filter = ("status", "chapter")
    search_fields = ("first_name", "last_name", "email", "business_name", "chapter__name",
                     "classification__name")
    list_select_related = ("chapter", "classification")
    autocomplete_fields = (
        "chapter", "classification", "sponsor", "visitor", "decided_by", "member", "created_by",
    )
    raw_id_fields = ("invitation",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, application) -> str:
        return application.full_name


@admin.register(LeaveOfAbsence)
class LeaveOfAbsenceAdmin(MemberColumns, ModelAdmin):
    list_display = (
        "member_name", "chapter", "starts_on", "ends_on", "reason", "began_at", "ended_at",
    )
    list_filter = (("ended_at", admin.EmptyFieldListFilter), "member__chapter")
    search_fields = ("member__user__email", "member__user__first_name", "member__user__last_name",
                     "reason")
    list_select_related = ("member__user", "member__chapter")
    autocomplete_fields = ("member", "created_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "starts_on"


@admin.register(MembershipTransfer)
class MembershipTransferAdmin(ModelAdmin):
    list_display = ("member_name", "from_chapter", "to_chapter", "transferred_by",
                    "transferred_at")
    search_fields = ("from_member__user__email", "from_member__user__first_name",
                     "from_member__user__last_name")
    list_select_related = (
        "from_member__user", "from_member__chapter", "to_member__chapter", "transferred_by",
    )
    autocomplete_fields = ("from_member", "to_member", "transferred_by")
    date_hierarchy = "transferred_at"

    @admin.display(description="Member", ordering="from_member__user__last_name")
    def member_name(self, transfer) -> str:
        return transfer.from_member.full_name

    @admin.display(description="From", ordering="from_member__chapter__name")
    def from_chapter(self, transfer):
        return transfer.from_member.chapter

    @admin.display(description="To", ordering="to_member__chapter__name")
    def to_chapter(self, transfer):
        return transfer.to_member.chapter


@admin.register(RenewalReminder)
class RenewalReminderAdmin(MemberColumns, ModelAdmin):
    list_display = ("member_name", "days_before", "due_on", "created_at", "claimed_at",
                    "sent_at")
    list_filter = ("days_before", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("member__user__email", "member__user__first_name", "member__user__last_name")
    list_select_related = ("member__user",)
    autocomplete_fields = ("member",)
    readonly_fields = ("created_at",)


@admin.register(RosterImport)
class RosterImportAdmin(ModelAdmin):
    list_display = (
        "filename", "chapter", "status", "total", "processed", "created_count",
        "unchanged_count", "rejected_count", "created_by", "created_at",
    )
    list_filter = ("status",)
    search_fields = ("filename", "file_sha256", "chapter__name")
    list_select_related = ("chapter", "created_by")
    autocomplete_fields = ("chapter", "created_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"


@admin.register(AuditEntry)
class AuditEntryAdmin(MemberColumns, ModelAdmin):
    list_display = ("at", "action", "chapter", "member_name", "actor", "summary")
    list_filter = ("action", "chapter")
    search_fields = ("summary", "chapter__name", "member__user__email",
                     "member__user__last_name", "actor__email")
    list_select_related = ("chapter", "member__user", "actor")
    autocomplete_fields = ("chapter", "member", "application", "actor")
    date_hierarchy = "at"
