"""Weekly meetings, their PALMS attendance, visitors and the weekly report."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from chapters.models import Chapter, Classification
from members.models import Member

# Members arrive for open networking before the start; self check-in opens then.
CHECKIN_OPENS_BEFORE = datetime.timedelta(minutes=45)


class MeetingQuerySet(models.QuerySet):
    def for_chapter(self, chapter):
        return self.filter(chapter=chapter)

    def upcoming(self, now: datetime.datetime | None = None):
        now = now or timezone.now()
        return self.filter(ends_at__gt=now).order_by("starts_at")

    def past(self, now: datetime.datetime | None = None):
        now = now or timezone.now()
        return self.filter(starts_at__lte=now).order_by("-starts_at")

    def counted(self):
        """Meetings that count for attendance: neither cancelled nor a holiday."""
        return self.exclude(status__in=[Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY])

    def completed(self):
        return self.filter(report_status=Meeting.ReportStatus.COMPLETED)


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"
        HOLIDAY = "holiday", "Holiday"

    class ReportStatus(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPLETED = "completed", "Completed"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="meetings")
    local_date = models.DateField(help_text="The meeting's date in the chapter's time zone.")
    # The regular weekly slot this meeting fills; a moved meeting keeps its slot, so the
    # schedule generator does not put a second meeting there.
    slot_date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    venue = models.CharField(max_length=255, blank=True, help_text="Empty: the chapter's venue.")
    online_link = models.URLField(blank=True, help_text="Empty: the chapter's link.")
    note = models.CharField(max_length=255, blank=True)
    feature_presenter = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Only in chapters with two feature presentations a meeting (Chapter.feature_presentations).
    second_feature_presenter = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    education_moment = models.CharField(max_length=255, blank=True)
    report_status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    report_completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_completed_at = models.DateTimeField(null=True, blank=True)
    # Set when a leader moved the meeting: the schedule generator then leaves its time alone.
    is_custom = models.BooleanField(default=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "local_date"], name="one_meeting_per_day"),
            models.UniqueConstraint(fields=["chapter", "slot_date"], name="one_meeting_per_slot"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(report_status="draft")
                | Q(report_completed_at__isnull=False),
                name="completed_report_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(second_feature_presenter=models.F("feature_presenter")),
                name="feature_presenters_differ",
                violation_error_message="Choose two different members for the two feature "
                "presentations.",
            ),
        ]
        indexes = [
            models.Index(fields=["chapter", "starts_at"]),
            # A week or a range across every chapter: the region's tallies and reports.
            models.Index(fields=["local_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.chapter} {self.local_date:%Y-%m-%d}"

    @property
    def local_start(self) -> datetime.datetime:
        return self.starts_at.astimezone(self.chapter.zone)

    @property
    def local_end(self) -> datetime.datetime:
        return self.ends_at.astimezone(self.chapter.zone)

    @property
    def where(self) -> str:
        return self.venue or self.chapter.venue

    @property
    def link(self) -> str:
        return self.online_link or self.chapter.online_link

    @property
    def feature_presenters(self) -> list[Member]:
        """Who gives this meeting's feature presentations, first slot first."""
        presenters = []
        if self.feature_presenter_id:
            presenters.append(self.feature_presenter)
        if self.second_feature_presenter_id:
            presenters.append(self.second_feature_presenter)
        return presenters

    @property
    def feature_presenter_names(self) -> str:
        """The presenters' names as a line says them: "Ann Able and Bob Baker"."""
        return " and ".join(presenter.full_name for presenter in self.feature_presenters)

    @property
    def feature_slots(self) -> list[Member | None]:
        """One entry per feature presentation on the agenda: its presenter, or None while
        unconfirmed. A presenter set before the chapter went down to one still shows."""
        presenters = self.feature_presenters
        return presenters + [None] * (self.chapter.feature_presentations - len(presenters))

    @property
    def is_completed(self) -> bool:
        return self.report_status == Meeting.ReportStatus.COMPLETED

    @property
    def slips_locked(self) -> bool:
        """Whether this week's slips are locked: once its report is completed, or, for a week
        that stays cancelled or a holiday, once the next meeting held is completed."""
        if self.is_completed:
            return True
        if self.counts_for_attendance:
            return False
        following = (
            Meeting.objects.for_chapter(self.chapter_id)
            .counted()
            .filter(local_date__gt=self.local_date)
            .order_by("local_date")
            .values_list("report_status", flat=True)
            .first()
        )
        return following == Meeting.ReportStatus.COMPLETED

    @property
    def counts_for_attendance(self) -> bool:
        return self.status not in (Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY)

    @property
    def is_moved(self) -> bool:
        return self.local_date != self.slot_date or self.is_custom

    @property
    def checkin_token(self) -> str:
        """The secret in this meeting's self check-in link (QR code on the leaders' screen).

        Derived from SECRET_KEY, so it cannot be guessed from the meeting's id and differs
        every week: a link from last week checks no one in today.
        """
        return salted_hmac(
            "meetings.checkin", f"{self.chapter_id}:{self.pk}", algorithm="sha256"
        ).hexdigest()[:32]

    def checkin_token_matches(self, token: str) -> bool:
        return constant_time_compare(self.checkin_token, token or "")

    def checkin_opens_at(self) -> datetime.datetime:
        return self.starts_at - CHECKIN_OPENS_BEFORE

    def checkin_late_after(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(minutes=self.chapter.checkin_cutoff_minutes)

    def checkin_is_open(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.checkin_opens_at() <= now <= self.ends_at


class Palms(models.TextChoices):
    PRESENT = "P", "Present"
    ABSENT = "A", "Absent"
    LATE = "L", "Late"
    MEDICAL = "M", "Medical / excused"
    SUBSTITUTE = "S", "Sent a substitute"


class Attendance(models.Model):
    """One PALMS code per member per meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="attendance")
    code = models.CharField(max_length=1, choices=Palms.choices)
    substitute_name = models.CharField(max_length=150, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)
    self_checked_in = models.BooleanField(default=False)

    class Meta:
        verbose_name = "attendance mark"
        ordering = ["meeting", "member"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member"),
            models.CheckConstraint(
                condition=Q(code__in=["P", "A", "L", "M", "S"]), name="attendance_code_valid"
            ),
            models.CheckConstraint(
                condition=~Q(code="S") | ~Q(substitute_name=""),
                name="substitute_is_named",
                violation_error_message="Name the substitute.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.meeting}: {self.code}"


class VisitorQuerySet(models.QuerySet):
    def for_chapter(self, chapter):
        return self.filter(meeting__chapter=chapter)

    def with_visits(self):
        """Annotate `visits`: how often this person came to the chapter's meetings.

        The same person is recognised by email, or by name when no email was taken.
        """
        same_chapter = Visitor.objects.filter(
            meeting__chapter=OuterRef("meeting__chapter"), attended=True
        ).order_by()
        by_email = (
            same_chapter.filter(email__iexact=OuterRef("email"))
            .values("meeting__chapter")
            .annotate(n=Count("pk"))
            .values("n")
        )
        by_name = (
            same_chapter.filter(email="", name__iexact=OuterRef("name"))
            .values("meeting__chapter")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            visits=models.Case(
                models.When(~Q(email=""), then=Coalesce(Subquery(by_email), 0)),
                default=Coalesce(Subquery(by_name), 0),
            )
        )

    def with_classification_holder(self):
        """Annotate `holder_name`: the member who already holds the visitor's classification."""
        holder = Member.objects.filter(
            chapter=OuterRef("meeting__chapter"),
            classification=OuterRef("classification"),
            status__in=Member.Status.holding_values(),
        ).annotate(
            whole_name=Concat("user__first_name", Value(" "), "user__last_name")
        )
        return self.annotate(
            holder_name=Subquery(holder.values("whole_name")[:1]),
            classification_taken=Exists(holder),
        )


class Visitor(models.Model):
    """A guest at a meeting, brought by a member (the sponsor)."""

    class FollowUp(models.TextChoices):
        NEW = "new", "To follow up"
        CONTACTED = "contacted", "Contacted"
        INVITED_TO_APPLY = "invited", "Invited to apply"
        APPLIED = "applied", "Applied"
        NOT_INTERESTED = "not_interested", "Not interested"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="visitors")
    name = models.CharField(max_length=150)
    company = models.CharField(max_length=200, blank=True)
    classification = models.ForeignKey(
        Classification, null=True, blank=True, on_delete=models.SET_NULL
    )
    classification_text = models.CharField(
        max_length=120, blank=True, help_text="What they do, when it is no known classification."
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    invited_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="visitors_brought"
    )
    follow_up = models.CharField(max_length=16, choices=FollowUp.choices, default=FollowUp.NEW)
    notes = models.TextField(blank=True)
    attended = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = VisitorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def classification_label(self) -> str:
        return str(self.classification) if self.classification_id else self.classification_text


class AbsenceNotice(models.Model):
    """The chapter's absence notice to one member, once a week at most; its email is the outbox
    row of kind "absence" that names it, and `sent_at` says when the mail server accepted it."""

    class Level(models.TextChoices):
        AT_LIMIT = "at_limit", "Reached the absence limit"
        OVER_LIMIT = "over_limit", "Over the absence limit"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="absence_notices")
    # The completed week in which the member crossed the threshold.
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="absence_notices")
    level = models.CharField(max_length=10, choices=Level.choices)
    absences = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "meeting"], name="one_absence_notice_per_member_and_week"
            )
        ]

    def __str__(self) -> str:
        return f"Absence notice to {self.member} ({self.meeting})"
