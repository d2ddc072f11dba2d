"""The outbox: every email the product sends, one row each, and what members want to get.

The tables kept the names they had in the members app (`db_table`), so moving the models here
changed no data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", "Meeting reminder"
    TALLY = "tally", "Weekly tally"
    SUMMARY = "summary", "Chapter summary (leadership team)"
    REFERRAL_NEWS = "giver", "Referral news"
    ABSENCE = "absence", "Absence notice"
    RENEWAL = "renewal", "Renewal reminder"
    INVITATION = "invitation", "Invitation"
    WELCOME = "welcome", "Welcome to the roster"


# The kinds sent for one meeting to its chapter's members, in batches (the dispatcher's).
MEETING_KINDS = ("reminder", "tally", "summary")
# The kinds a member can turn off.
OPTIONAL_KINDS = ("reminder", "tally", "summary", "giver")


class NotificationOptOut(models.Model):
    """A member said no to one kind of email; without a row they get it."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="opt_outs")
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "members_notificationoptout"
        verbose_name = "notification opt-out"
        ordering = ["member", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="one_opt_out_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=OPTIONAL_KINDS),
                name="opt_out_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} does not want {self.get_kind_display()}"


class NotificationBatch(models.Model):
    """The dispatcher handed out one meeting's reminders or tallies; it never does so twice."""

    class Reason(models.TextChoices):
        SCHEDULE = "schedule", "Reminder lead time reached"
        REPORT_COMPLETED = "report_completed", "Weekly report completed"
        TALLY_HOUR = "tally_hour", "Tally hour the day after the meeting"

    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "members_notificationbatch"
        ordering = ["-created_at"]
        verbose_name_plural = "notification batches"
        constraints = [
            models.UniqueConstraint(fields=["kind", "meeting"], name="one_batch_per_kind_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.meeting_id}"


class DeliveryQuerySet(models.QuerySet):
    def for_chapter(self, chapter):
        return self.filter(chapter=chapter)

    def with_people(self):
        return self.select_related("member__user", "meeting", "resent_by")


class Delivery(models.Model):
    """One email in the outbox: of one kind to one member for one meeting (the week, for
    tallies), or announcing one row of its kind's own table (`ref`: an absence notice, a giver
    notice, a renewal reminder, an invitation, the member welcomed).

    The row is written in the transaction of the action that causes the email, before the
    email is sent, and is claimed by a conditional update, so a second worker, a retried task
    or a double beat tick finds it taken and sends nothing.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent"

    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="+")
    # None for an invitation (not a member yet: the address is in `to_email`).
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="deliveries")
    meeting = models.ForeignKey("meetings.Meeting", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    # The id of what the email announces in its kind's own table (kinds other than MEETING_KINDS).
    ref = models.PositiveBigIntegerField(null=True, blank=True)
    # 0 for a meeting's email; 1, 2... for a tally or summary corrected after it was sent.
    edition = models.PositiveSmallIntegerField(default=0)
    # What a tally or summary said of the week (its figures), to tell whether a correction is due.
    figures = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    # Tries of the current send (a resend starts again from 0).
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this moment; a pending row past it that nobody claimed is enqueued again.
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    to_email = models.EmailField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    resends = models.PositiveSmallIntegerField(default=0)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        db_table = "members_delivery"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "meeting", "member", "edition"],
                name="one_delivery_per_kind_meeting_member_edition",
            ),
            models.UniqueConstraint(
                fields=["kind", "ref"], condition=Q(ref__isnull=False),
                name="one_delivery_per_kind_ref",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="delivery_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MEETING_KINDS, meeting__isnull=False, member__isnull=False)
                | (~Q(kind__in=MEETING_KINDS) & Q(ref__isnull=False)),
                name="delivery_names_what_it_announces",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "sent", "failed", "skipped"]),
                name="delivery_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="sent_delivery_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["chapter", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.member_id or self.to_email}"

    @property
    def can_resend(self) -> bool:
        return self.state in (Delivery.State.SENT, Delivery.State.FAILED)
