"""People: accounts, chapter memberships (one per classification), leadership roles, invitations."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from chapters.models import Chapter, Classification


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An account, identified by email. Site admins are `is_staff`."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_admin(self) -> bool:
        return self.is_staff


class MemberQuerySet(models.QuerySet):
    def current(self):
        """Memberships that hold a classification: active or on leave."""
        return self.filter(status__in=Member.Status.holding_values())

    def active(self):
        return self.filter(status=Member.Status.ACTIVE)

    def for_chapter(self, chapter):
        return self.filter(chapter=chapter)

    def with_people(self):
        return self.select_related("user", "classification", "chapter")


class Member(models.Model):
    """One person's membership of one chapter."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        ON_LEAVE = "on_leave", "On leave"
        SUSPENDED = "suspended", "Suspended"
        DROPPED = "dropped", "Dropped"
        EXPIRED = "expired", "Expired"

        @classmethod
        def holding_values(cls) -> list[str]:
            """Statuses that occupy the classification in the chapter."""
            return [cls.ACTIVE, cls.ON_LEAVE]

        @classmethod
        def current_values(cls) -> list[str]:
            """Statuses that can sign in to the chapter and see it."""
            return [cls.ACTIVE, cls.ON_LEAVE, cls.SUSPENDED]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="members")
    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="members"
    )
    business_name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    ideal_referral = models.TextField(blank=True)
    target_market = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(null=True, blank=True)
    renewal_due_on = models.DateField(null=True, blank=True)
    sponsor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sponsored"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name"]
        constraints = [
            # The single most important membership rule.
            models.UniqueConstraint(
                fields=["chapter", "classification"],
                condition=Q(status__in=["active", "on_leave"]),
                name="one_member_per_classification",
                violation_error_message="This classification is already taken in the chapter.",
            ),
            models.UniqueConstraint(
                fields=["chapter", "user"],
                condition=Q(status__in=["applicant", "active", "on_leave", "suspended"]),
                name="one_open_membership_per_person_and_chapter",
                violation_error_message="This person is already a member of the chapter.",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "applicant",
                        "active",
                        "on_leave",
                        "suspended",
                        "dropped",
                        "expired",
                    ]
                ),
                name="member_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["chapter", "status"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.business_name})"

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.email

    @property
    def first_name(self) -> str:
        return self.user.first_name

    @property
    def last_name(self) -> str:
        return self.user.last_name

    @property
    def holds_classification(self) -> bool:
        return self.status in Member.Status.holding_values()


class Role(models.TextChoices):
    PRESIDENT = "president", "President"
    VICE_PRESIDENT = "vice_president", "Vice President"
    SECRETARY_TREASURER = "secretary_treasurer", "Secretary/Treasurer"
    MEMBERSHIP_COMMITTEE = "membership_committee", "Membership Committee"
    VISITOR_HOST = "visitor_host", "Visitor Host"
    EDUCATION_COORDINATOR = "education_coordinator", "Education Coordinator"
    MENTOR_COORDINATOR = "mentor_coordinator", "Mentor Coordinator"
    GROWTH_COORDINATOR = "growth_coordinator", "Growth/Events Coordinator"


# The leadership team: these roles lead the chapter (attendance, reports, invitations).
LEADING_ROLES = frozenset({Role.PRESIDENT, Role.VICE_PRESIDENT, Role.SECRETARY_TREASURER})


class LeadershipRoleQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


class LeadershipRole(models.Model):
    """A member holding a role for a term."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    objects = LeadershipRoleQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="role_term_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["member", "role", "starts_on"], name="one_role_term_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.member.full_name}"


def invitation_token() -> str:
    return secrets.token_urlsafe(32)


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An emailed link that lets one person set a password and join one chapter."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    classification = models.ForeignKey(Classification, on_delete=models.PROTECT)
    business_name = models.CharField(max_length=200)
    token = models.CharField(max_length=64, unique=True, default=invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    member = models.OneToOneField(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email_and_chapter",
                violation_error_message="This address already has an open invitation.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.chapter}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
