"""Chapters, their schedule and policies; industries and classifications; traffic-light rules."""

import datetime
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class TrafficLightRuleSetQuerySet(models.QuerySet):
    def shipped(self):
        """The published variants every chapter can choose (not a chapter's own copy)."""
        return self.filter(owner__isnull=True)


class TrafficLightRuleSet(models.Model):
    """A member-scoring variant (e.g. "UK 100-point"); the rules are data, not code.

    A chapter that adjusts thresholds gets its own copy (`owner` set, `based_on` the variant),
    so the shipped variants stay as published for everyone else.
    """

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    rules = models.JSONField(default=dict)
    owner = models.ForeignKey(
        "Chapter", null=True, blank=True, on_delete=models.CASCADE, related_name="own_rule_sets"
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )

    objects = TrafficLightRuleSetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(owner__isnull=True), name="shipped_rule_set_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Chapter(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    region = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    meeting_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.WEDNESDAY
    )
    meeting_time = models.TimeField(default=datetime.time(7, 0), help_text="Local start time.")
    meeting_duration_minutes = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    # Regions differ: some chapters hear two 10-minute feature presentations a meeting.
    feature_presentations = models.PositiveSmallIntegerField(
        "feature presentations per meeting",
        choices=[(1, "One"), (2, "Two")],
        default=1,
        help_text="Leaders choose this many feature presenters for each meeting.",
    )
    venue = models.CharField(max_length=255, blank=True)
    online_link = models.URLField(blank=True)
    currency = models.CharField(
        max_length=3,
        default="GBP",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO code, e.g. GBP.")],
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MaxValueValidator(24 * 7)]
    )
    # Attendance policy.
    absence_limit = models.PositiveSmallIntegerField(default=3)
    absence_window_meetings = models.PositiveSmallIntegerField(
        default=26, validators=[MinValueValidator(1)]
    )
    lates_per_absence = models.PositiveSmallIntegerField(
        default=0, help_text="How many lates count as one absence; 0 means lates never do."
    )
    substitute_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most substitutes allowed in the window; empty for none."
    )
    checkin_cutoff_minutes = models.PositiveSmallIntegerField(
        default=10, help_text="Self check-in after this many minutes past the start counts as L."
    )
    visitor_visit_limit = models.PositiveSmallIntegerField(default=2)
    approval_window_days = models.PositiveSmallIntegerField(default=7)
    tally_hour = models.PositiveSmallIntegerField(
        default=9,
        validators=[MaxValueValidator(23)],
        help_text="Local hour on the day after the meeting when tallies go out if no one "
        "completed the report.",
    )
    # The official rule: a slip passed after the close of the meeting counts the following
    # week. Some chapters keep a week open for slips until its report is completed.
    slips_until_report_completed = models.BooleanField(
        default=False,
        help_text="Slips logged after the meeting count for it until its report is completed "
        "(otherwise they count for the following meeting).",
    )
    # TYFCB is anonymous to the giver, as in the official reports, unless the chapter chooses.
    thank_you_names_thanker = models.BooleanField(
        default=False, help_text="Whether the giver is told who thanked them for closed business."
    )
    decimal_comma = models.BooleanField(
        default=False,
        help_text="Amounts are written 1.234,56 (a comma before the cents), as in Germany.",
    )
    tyfcb_confirm_above = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(1)],
        help_text="A TYFCB above this asks the member to confirm the amount. Empty: ten times "
        "the chapter's largest TYFCB of the last 12 months.",
    )
    traffic_light_rule_set = models.ForeignKey(
        TrafficLightRuleSet, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting_weekday__gte=0, meeting_weekday__lte=6),
                name="chapter_weekday_valid",
            ),
            models.CheckConstraint(
                condition=Q(tally_hour__gte=0, tally_hour__lte=23), name="chapter_tally_hour_valid"
            ),
            models.CheckConstraint(
                condition=Q(feature_presentations__in=[1, 2]),
                name="chapter_feature_presentations_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local(self, moment: datetime.datetime) -> datetime.datetime:
        return moment.astimezone(self.zone)

    def today(self) -> datetime.date:
        """The date on the chapter's own calendar: role terms, renewals and lapses use it."""
        return timezone.now().astimezone(self.zone).date()


class Industry(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "industries"

    def __str__(self) -> str:
        return self.name


class Classification(models.Model):
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="classifications")
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
