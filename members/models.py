"""People: accounts, chapter memberships (one per classification), leadership roles, invitations."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat
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

    def belonging_at(self, *, local_date: datetime.date, starts_at: datetime.datetime):
        """Memberships that had begun when a meeting started and had not ended by its day
        (`Member.belonged_at` for one member)."""
        joined = (
            Q(joined_on__isnull=True)
            | Q(joined_on__lt=local_date)
            | Q(joined_on=local_date, created_at__lte=starts_at)
        )
        return self.filter(joined, Q(left_on__isnull=True) | Q(left_on__gte=local_date))


class Member(models.Model):
    """One person's membership of one chapter."""

    # What a search for a member looks in: the person's name, the business, the classification.
    NAMED_BY = ("user__first_name", "user__last_name", "business_name", "classification__name")

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

        @classmethod
        def leading_values(cls) -> list[str]:
            """Statuses whose role terms are in force: a leave pauses them (the term is kept and
            counts again on return), a suspension ends them."""
            return [cls.ACTIVE]

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
    # Both on the chapter's own calendar.
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(
        null=True, blank=True, help_text="When the membership ended (dropped, expired, moved)."
    )
    renewal_due_on = models.DateField(null=True, blank=True)
    sponsor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sponsored"
    )
    # The secret in the member's private calendar feed URL; empty when they have none.
    calendar_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
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

    def belonged_at(self, *, local_date: datetime.date, starts_at: datetime.datetime) -> bool:
        """Whether the membership had begun when a meeting started (a member who joined on
        the day after it started owes it no mark) and had not ended by the meeting's day."""
        if self.joined_on is not None and (
            self.joined_on > local_date
            or (self.joined_on == local_date and self.created_at > starts_at)
        ):
            return False
        return self.left_on is None or self.left_on >= local_date

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
    def current(self, on: datetime.date):
        """Terms running on `on`, a date of the chapter's own calendar (`Chapter.today()`):
        a term that ended yesterday there is over, whatever the server's date."""
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))

    def in_force(self, on: datetime.date):
        """Current terms whose holder's status lets them lead: what grants a leader's powers."""
        return self.current(on).filter(member__status__in=Member.Status.leading_values())


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


# Membership management (members/membership.py): applications, leave, transfers, renewal
# reminders, roster imports and the audit trail.


class ApplicationQuerySet(models.QuerySet):
    def for_chapter(self, chapter):
        return self.filter(chapter=chapter)

    def pending(self):
        return self.filter(status=Application.Status.PENDING)

    def with_conflicts(self):
        """Annotate who stands in the way of the application's classification.

        `holder_name`: the member holding it; `reserved_by`: another applicant approved for it
        and not yet joined (the approval keeps the classification for them).
        """
        holder = Member.objects.filter(
            chapter=models.OuterRef("chapter"),
            classification=models.OuterRef("classification"),
            status__in=Member.Status.holding_values(),
        ).annotate(whole_name=Concat("user__first_name", models.Value(" "), "user__last_name"))
        reserved = Application.objects.filter(
            chapter=models.OuterRef("chapter"),
            classification=models.OuterRef("classification"),
            status=Application.Status.APPROVED,
        ).exclude(pk=models.OuterRef("pk"))
        return self.annotate(
            holder_name=models.Subquery(holder.values("whole_name")[:1]),
            classification_taken=models.Exists(holder),
            reserved_by=models.Subquery(
                reserved.annotate(
                    whole_name=Concat("first_name", models.Value(" "), "last_name")
                ).values("whole_name")[:1]
            ),
            classification_reserved=models.Exists(reserved),
        )


class Application(models.Model):
    """Someone applying to join a chapter in a classification; the Membership Committee
    approves (which emails an invitation) or declines with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved: invitation sent"
        DECLINED = "declined", "Declined"
        LAPSED = "lapsed", "Lapsed: approval not taken up"
        JOINED = "joined", "Joined"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="applications")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    business_name = models.CharField(max_length=200)
    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="applications"
    )
    note = models.TextField(blank=True)
    sponsor = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor = models.ForeignKey(
        "meetings.Visitor", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="applications",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time token: a double submit records one application.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "declined", "lapsed", "joined"]),
                name="application_status_valid",
            ),
            # An approval keeps the classification for the applicant until they join or it
            # lapses: two approvals racing for one classification cannot both be saved.
            models.UniqueConstraint(
                fields=["chapter", "classification"],
                condition=Q(status="approved"),
                name="one_approval_per_classification",
                violation_error_message="Another applicant was approved for this "
                "classification.",
            ),
            models.UniqueConstraint(
                fields=["chapter", "email"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_open_application_per_email_and_chapter",
                violation_error_message="This person already has an open application.",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="decided_application_has_time",
            ),
        ]
        indexes = [models.Index(fields=["chapter", "status"])]

    def __str__(self) -> str:
        return f"{self.full_name} for {self.classification}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeaveOfAbsenceQuerySet(models.QuerySet):
    def open(self):
        return self.filter(ended_at__isnull=True)


class LeaveOfAbsence(models.Model):
    """A (medical) leave: the member keeps their classification and is back on `ends_on`."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="leaves")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The member is back at meetings from this date.")
    reason = models.CharField(max_length=255, blank=True)
    began_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LeaveOfAbsenceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name_plural = "leaves of absence"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="leave_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["member"], condition=Q(ended_at__isnull=True),
                name="one_open_leave_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"Leave {self.member_id} {self.starts_on} to {self.ends_on}"

    @property
    def state(self) -> str:
        if self.ended_at:
            return "ended"
        return "current" if self.began_at else "scheduled"


class MembershipTransfer(models.Model):
    """A member moved to another chapter: the old membership closes, a new one opens, and
    each chapter keeps its own history."""

    from_member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="transferred_to"
    )
    to_member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="transferred_from"
    )
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transferred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-transferred_at"]

    def __str__(self) -> str:
        return f"Transfer {self.from_member_id} -> {self.to_member_id}"


class RenewalReminder(models.Model):
    """One renewal reminder (60, 30 or 7 days before the due date), once each; its email is
    the outbox row of kind "renewal" that names it, and `sent_at` says when the mail server
    accepted it (`claimed_at` was set before the outbox and is no longer)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="renewal_reminders")
    days_before = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "days_before", "due_on"], name="one_renewal_reminder_each"
            )
        ]

    def __str__(self) -> str:
        return f"Renewal reminder {self.days_before}d to {self.member_id} ({self.due_on})"


class RosterImport(models.Model):
    """One uploaded roster file: parsed on upload (the preview), imported on confirmation."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="roster_imports")
    filename = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    # The rows as parsed from the file, so the import does not need the file again.
    rows = models.JSONField(default=list)
    send_emails = models.BooleanField(default=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Each row's outcome once imported: [{"line": 2, "verdict": "created", "message": ""}].
    results = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["preview", "importing", "imported"]),
                name="roster_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Roster import {self.filename} ({self.chapter_id})"

    @property
    def percent(self) -> int:
        return round(self.processed * 100 / self.total) if self.total else 100


class AuditEntryQuerySet(models.QuerySet):
    def for_chapter(self, chapter):
        return self.filter(chapter=chapter)

    def for_member(self, member):
        return self.filter(member=member)

    def with_people(self):
        return self.select_related("actor", "member__user", "application")


class AuditEntry(models.Model):
    """Who changed what and when: every membership, role and chapter settings change.

    `before` and `after` hold the changed fields only, never contact details, so anonymising
    a member leaves nothing personal here.
    """

    class Action(models.TextChoices):
        CHAPTER_CREATED = "chapter_created", "Chapter created"
        SETTINGS_CHANGED = "settings_changed", "Chapter settings changed"
        APPLICATION_RECEIVED = "application_received", "Application received"
        APPLICATION_CHANGED = "application_changed", "Application changed"
        APPLICATION_APPROVED = "application_approved", "Application approved"
        APPLICATION_DECLINED = "application_declined", "Application declined"
        APPLICATION_LAPSED = "application_lapsed", "Approval lapsed"
        JOINED = "joined", "Joined"
        IMPORTED = "imported", "Added by roster import"
        RENEWED = "renewed", "Renewed"
        EXPIRED = "expired", "Expired"
        LEAVE_SCHEDULED = "leave_scheduled", "Leave of absence arranged"
        LEAVE_STARTED = "leave_started", "Leave of absence started"
        LEAVE_ENDED = "leave_ended", "Back from leave"
        SUSPENDED = "suspended", "Suspended"
        DROPPED = "dropped", "Dropped"
        REINSTATED = "reinstated", "Reinstated"
        TRANSFERRED_OUT = "transferred_out", "Transferred to another chapter"
        TRANSFERRED_IN = "transferred_in", "Transferred from another chapter"
        ANONYMISED = "anonymised", "Personal data anonymised"
        ROLE_ASSIGNED = "role_assigned", "Role assigned"
        ROLE_ENDED = "role_ended", "Role ended"
        ROSTER_IMPORTED = "roster_imported", "Roster imported"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="audit_entries")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Empty for the system's own changes (sweeps on a schedule).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24, choices=Action.choices)
    summary = models.CharField(max_length=255, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["chapter", "-at"]),
            models.Index(fields=["member", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field either side mentions, in words: "Role",
        "Education Coordinator", "2 Dec 2026" rather than `role`, `education_coordinator`."""
        keys = list(dict.fromkeys([*self.before, *self.after]))
        return [
            (key.replace("_", " ").capitalize(), audit_words(key, self.before.get(key, "")),
             audit_words(key, self.after.get(key, "")))
            for key in keys
        ]

    @property
    def subject(self) -> str:
        """Whom the entry is about: the member, else the applicant, else the chapter."""
        if self.member is not None:
            return self.member.full_name
        if self.application is not None:
            return self.application.full_name
        return ""

    def sentence(self) -> str:
        """What happened, in one sentence without the actor ("Ana Lima became Education
        Coordinator from 2 Dec 2026")."""
        who = self.subject
        if self.action == self.Action.ROLE_ASSIGNED and self.after.get("role") and who:
            until = self.after.get("ends_on")
            return (f"{who} became {audit_words('role', self.after['role'])} from "
                    f"{audit_words('starts_on', self.after.get('starts_on'))}"
                    + (f" until {audit_words('ends_on', until)}" if until else ""))
        if self.action == self.Action.ROLE_ENDED and self.before.get("role") and who:
            reason = self.summary.partition(": ")[2]
            return (f"{who}'s term as {audit_words('role', self.before['role'])} ended"
                    + (f": {reason}" if reason else ""))
        summary = self.summary or self.get_action_display()
        return f"{who}: {summary}" if who else summary


# Stored values shown in words: codes by their label, dates as "2 Dec 2026".
AUDIT_LABELS = {
    "role": dict(Role.choices),
    "status": {**dict(Application.Status.choices), **dict(Member.Status.choices)},
}


def audit_words(key: str, value) -> str:
    """One stored before/after value of the audit trail, as a person reads it."""
    if value in ("", None):
        return ""
    if key in AUDIT_LABELS:
        return AUDIT_LABELS[key].get(value, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and (key.endswith("_on") or key.endswith("_at")):
        try:
            day = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
        return f"{day.day} {day:%b %Y}"
    return str(value)
