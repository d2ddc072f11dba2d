"""The slips members log: referrals, thank-yous for closed business (TYFCB), one-to-ones, CEUs,
testimonials.

Every slip counts for a meeting of its author's chapter (`meeting`). Slips between members of
two chapters also count in the other chapter, for the other side's meeting of that week.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from meetings.models import Meeting
from members.models import Member


class Tier(models.TextChoices):
    INSIDE = "inside", "Tier 1 (inside)"
    OUTSIDE = "outside", "Tier 2 (outside)"


TEMPERATURE_LABELS = {
    1: "Name and number only",
    2: "They know you'll call",
    3: "They're expecting your call",
    4: "Warm: I've talked you up",
    5: "Hot: introduced in person",
}


class SlipQuerySet(models.QuerySet):
    def in_meetings(self, meetings):
        return self.filter(meeting__in=meetings)

    def authored_in(self, chapter):
        """Slips logged by members of the chapter (their `meeting` is the chapter's)."""
        return self.filter(meeting__chapter=chapter)


# The people on a slip are shown with these, so lists cost one query whatever their length.
_PERSON = ("user", "classification", "chapter")


def _people(*fields: str) -> list[str]:
    return [f"{name}__{part}" for name in fields for part in _PERSON]


class ReferralQuerySet(SlipQuerySet):
    def for_chapter(self, chapter):
        return self.filter(Q(meeting__chapter=chapter) | Q(receiver_meeting__chapter=chapter))

    def open(self):
        return self.filter(status__in=Referral.Status.open_values())

    def given_by(self, member):
        return self.filter(giver=member)

    def received_by(self, member):
        return self.filter(receiver=member)

    def involving(self, member):
        return self.filter(Q(giver=member) | Q(receiver=member))

    def with_people(self):
        return self.select_related(
            *_people("giver", "receiver"), "meeting", "receiver_meeting"
        )


class Referral(models.Model):
    class Status(models.TextChoices):
        GIVEN = "given", "New"
        CONTACTED = "contacted", "Contacted"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        CLOSED_WON = "closed_won", "Closed: won"
        NOT_CLOSED = "not_closed", "Not closed"

        @classmethod
        def open_values(cls) -> list[str]:
            return [cls.GIVEN, cls.CONTACTED, cls.MEETING_BOOKED]

        @classmethod
        def closed_values(cls) -> list[str]:
            return [cls.CLOSED_WON, cls.NOT_CLOSED]

    # How far along the pipeline each status is: a referral only moves forward.
    STEPS = {
        Status.GIVEN: 0,
        Status.CONTACTED: 1,
        Status.MEETING_BOOKED: 2,
        Status.CLOSED_WON: 3,
        Status.NOT_CLOSED: 3,
    }

    giver = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="referrals_given")
    receiver = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="referrals_received"
    )
    tier = models.CharField(max_length=8, choices=Tier.choices)
    prospect_name = models.CharField(max_length=150, blank=True)
    prospect_phone = models.CharField(max_length=40, blank=True)
    prospect_email = models.EmailField(blank=True)
    temperature = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.GIVEN)
    status_reason = models.CharField(max_length=255, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="referrals")
    receiver_meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="referrals_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["receiver", "status"], name="referral_inbox"),
            models.Index(fields=["giver", "-created_at"], name="referral_given"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(giver=F("receiver")), name="referral_giver_is_not_receiver"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["given", "contacted", "meeting_booked", "closed_won", "not_closed"]
                ),
                name="referral_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(temperature__gte=1, temperature__lte=5),
                name="referral_temperature_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["inside", "outside"]), name="referral_tier_valid"
            ),
            models.CheckConstraint(
                condition=Q(tier="inside")
                | (~Q(prospect_name="") & (~Q(prospect_phone="") | ~Q(prospect_email=""))),
                name="outside_referral_names_prospect",
                violation_error_message="An outside referral needs the prospect's name and a "
                "phone number or email.",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.giver.full_name} -> {self.receiver.full_name}"

    @property
    def temperature_label(self) -> str:
        return TEMPERATURE_LABELS.get(self.temperature, "")

    @property
    def is_cross_chapter(self) -> bool:
        return self.meeting.chapter_id != self.receiver_meeting.chapter_id

    @property
    def is_open(self) -> bool:
        return self.status in Referral.Status.open_values()

    @property
    def is_locked(self) -> bool:
        """Locked once either chapter completed the week it counts for (see services)."""
        return self.meeting.slips_locked or self.receiver_meeting.slips_locked

    def can_move_to(self, status: str) -> bool:
        return self.is_open and Referral.STEPS.get(status, -1) > Referral.STEPS[self.status]

    def next_statuses(self) -> list[tuple[str, str]]:
        choices = Referral.Status.choices
        return [(value, label) for value, label in choices if self.can_move_to(value)]


class ThankYouQuerySet(SlipQuerySet):
    def for_chapter(self, chapter):
        return self.filter(Q(meeting__chapter=chapter) | Q(credited_meeting__chapter=chapter))

    def involving(self, member):
        return self.filter(Q(thanked_by=member) | Q(credited_to=member))

    def with_people(self):
        return self.select_related(
            *_people("thanked_by", "credited_to"),
            "meeting__chapter",
            "credited_meeting",
            "referral",
        )


class ThankYou(models.Model):
    """TYFCB: thanks for closed business, credited to the member who passed it."""

    class BusinessType(models.TextChoices):
        NEW = "new", "New business"
        REPEAT = "repeat", "Repeat business"

    thanked_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="thanks_given")
    credited_to = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="thanks_received"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    business_type = models.CharField(
        max_length=8, choices=BusinessType.choices, default=BusinessType.NEW
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="thank_yous"
    )
    notes = models.TextField(blank=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="thank_yous")
    credited_meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="thank_yous_credited"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = ThankYouQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "thank-you for closed business"
        verbose_name_plural = "thank-yous for closed business"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="tyfcb_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(thanked_by=F("credited_to")), name="tyfcb_not_to_self"
            ),
            models.CheckConstraint(
                condition=Q(business_type__in=["new", "repeat"]), name="tyfcb_business_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"TYFCB {self.amount} to {self.credited_to.full_name}"

    @property
    def is_locked(self) -> bool:
        return self.meeting.slips_locked or self.credited_meeting.slips_locked

    @property
    def names_thanker(self) -> bool:
        """Whether the member credited may learn who thanked them: the thanker's chapter says."""
        return self.meeting.chapter.thank_you_names_thanker


class OneToOneQuerySet(SlipQuerySet):
    def involving(self, member):
        return self.filter(Q(member=member) | Q(met_with=member))

    def with_people(self):
        return self.select_related(*_people("member", "met_with"), "meeting", "met_with_meeting")


class OneToOne(models.Model):
    """Two members met outside the meeting to learn each other's business."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="one_to_ones")
    met_with = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    met_on = models.DateField()
    location = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="one_to_ones")
    met_with_meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = OneToOneQuerySet.as_manager()

    class Meta:
        ordering = ["-met_on"]
        verbose_name = "one-to-one"
        constraints = [
            models.CheckConstraint(
                condition=~Q(member=F("met_with")), name="one_to_one_with_someone_else"
            )
        ]

    def __str__(self) -> str:
        return f"1-2-1 {self.member.full_name} & {self.met_with.full_name}"

    @property
    def is_locked(self) -> bool:
        return self.meeting.slips_locked or self.met_with_meeting.slips_locked


# The credits one CEU slip may carry.
CEU_MIN_CREDITS, CEU_MAX_CREDITS = 1, 20


class CEU(models.Model):
    """A chapter education unit: a learning credit a member earned."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ceus")
    credits = models.PositiveSmallIntegerField(
        default=CEU_MIN_CREDITS,
        validators=[MinValueValidator(CEU_MIN_CREDITS), MaxValueValidator(CEU_MAX_CREDITS)],
    )
    description = models.CharField(max_length=255)
    earned_on = models.DateField()
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="ceus")
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = SlipQuerySet.as_manager()

    class Meta:
        ordering = ["-earned_on"]
        verbose_name = "CEU"
        constraints = [
            models.CheckConstraint(
                condition=Q(credits__gte=CEU_MIN_CREDITS, credits__lte=CEU_MAX_CREDITS),
                name="ceu_credits_1_to_20",
            )
        ]

    def __str__(self) -> str:
        return f"CEU {self.member.full_name}: {self.description}"

    @property
    def is_locked(self) -> bool:
        return self.meeting.slips_locked


class Testimonial(models.Model):
    """A member speaks for another member's work at the meeting."""

    giver = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="testimonials_given")
    about = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="testimonials_received"
    )
    text = models.TextField()
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="testimonials")
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = SlipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(giver=F("about")), name="testimonial_about_someone_else"
            )
        ]

    def __str__(self) -> str:
        return f"Testimonial {self.giver.full_name} for {self.about.full_name}"

    @property
    def is_locked(self) -> bool:
        return self.meeting.slips_locked


class SlipCorrection(models.Model):
    """A recorded change to a slip of a completed week: who, when, what changed, why."""

    class Action(models.TextChoices):
        EDITED = "edited", "Edited"
        DELETED = "deleted", "Deleted"
        MOVED = "moved", "Moved to the next meeting held"

    slip_type = models.CharField(max_length=20)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.EDITED)
    slip_id = models.PositiveBigIntegerField()
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="corrections")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["slip_type", "slip_id"])]

    def __str__(self) -> str:
        return f"Correction of {self.slip_type} {self.slip_id}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field the correction changed."""
        names = list(self.before) + [name for name in self.after if name not in self.before]
        return [
            (name, self.before.get(name), self.after.get(name))
            for name in names
            if self.before.get(name) != self.after.get(name)
        ]


class GiverNotice(models.Model):
    """An email owed to a giver: what became of their referral, or that they were thanked.

    The row is written with the change it announces, with its email: the outbox row of kind
    "giver" that names it; `sent_at` says when the mail server accepted it.
    """

    class Kind(models.TextChoices):
        STATUS = "status", "Referral status changed"
        THANKS = "thanks", "Thanked for closed business"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    status = models.CharField(max_length=16, blank=True)
    thank_you = models.ForeignKey(
        ThankYou, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "status"],
                condition=Q(kind="status"),
                name="one_notice_per_referral_status",
            ),
            models.UniqueConstraint(
                fields=["thank_you"], condition=Q(kind="thanks"), name="one_notice_per_thank_you"
            ),
            models.CheckConstraint(
                condition=(Q(kind="status") & Q(referral__isnull=False) & ~Q(status=""))
                | (Q(kind="thanks") & Q(thank_you__isnull=False)),
                name="notice_names_what_it_announces",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.member_id}"
