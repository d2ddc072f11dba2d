"""The fixture chapter of the report tests, and its PALMS summary worked out by hand.

Riverside meets on Wednesdays. January 2026:
- 7th (completed), 14th (completed): the counted weeks;
- 21st: a holiday; an attendance row and a referral logged against it count for nothing;
- 28th: held, weekly report still a draft (provisional).
Hilltop (the other chapter) meets the same days; Olly Other is a member there.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from meetings.models import Attendance, Meeting, Visitor
from members.models import Member
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou, Tier
from tests import factories

JAN = [datetime.date(2026, 1, day) for day in (7, 14, 21, 28)]
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)

# Hand-computed from the slips below: completed weeks only (7th and 14th).
#            P  A  L  M  S RGI RGO RRI RRO V 121 TYFCB      CEU T
EXPECTED = {
    "Alice": [2, 0, 0, 0, 0, 2, 1, 1, 1, 2, 1, Decimal("1500.50"), 1, 0],
    "Ben": [1, 0, 1, 0, 0, 2, 0, 1, 1, 1, 1, Decimal("99.99"), 0, 1],
    "Cara": [0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1, Decimal("200.00"), 2, 0],
    "Dan": [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, Decimal("0.00"), 0, 0],
}
EXPECTED_TOTAL = [3, 2, 1, 1, 1, 4, 2, 3, 3, 3, 3, Decimal("1800.49"), 3, 1]
# The draft week of the 28th adds these when provisional weeks are included.
PROVISIONAL_EXTRA = {
    "Alice": {"A": 1, "RGI": 1, "T": 1},
    "Ben": {"P": 1, "RRI": 1, "CEU": 1},
    "Cara": {"P": 1, "V": 1},
    "Dan": {},
}


@dataclass
class Fixture:
    chapter: object
    other_chapter: object
    alice: Member
    ben: Member
    cara: Member
    dan: Member
    olly: Member
    weeks: list[Meeting]
    other_weeks: list[Meeting]


def completed(chapter, day, **fields):
    return factories.meeting(
        chapter, day, status=Meeting.Status.HELD,
        report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=timezone.now(), **fields
    )


def referral(giver, receiver, meeting, receiver_meeting=None, tier=Tier.INSIDE, **fields):
    if tier == Tier.OUTSIDE:
        fields.setdefault("prospect_name", "Pat Prospect")
        fields.setdefault("prospect_phone", "01234 567890")
    return Referral.objects.create(
        giver=giver, receiver=receiver, tier=tier, temperature=3, meeting=meeting,
        receiver_meeting=receiver_meeting or meeting, **fields
    )


def build(chapter, other_chapter) -> Fixture:
    alice = factories.member(chapter, first_name="Alice", last_name="Archer")
    ben = factories.member(chapter, first_name="Ben", last_name="Baker")
    cara = factories.member(chapter, first_name="Cara", last_name="Cole")
    dan = factories.member(chapter, first_name="Dan", last_name="Dyer",
                           status=Member.Status.DROPPED)
    olly = factories.member(other_chapter, first_name="Olly", last_name="Other")
    w1, w2 = completed(chapter, JAN[0]), completed(chapter, JAN[1])
    w3 = factories.meeting(chapter, JAN[2], status=Meeting.Status.HOLIDAY)
    w4 = factories.meeting(chapter, JAN[3], status=Meeting.Status.HELD)
    o1, o2 = completed(other_chapter, JAN[0]), completed(other_chapter, JAN[1])

    def mark(meeting, **codes):
        for person, code in codes.items():
            Attendance.objects.create(
                meeting=meeting, member=locals_[person], code=code,
                substitute_name="Sam Stand-in" if code == "S" else "",
            )

    locals_ = {"alice": alice, "ben": ben, "cara": cara, "dan": dan}
    # Week 1: a substitute, a late, inside/outside and cross-chapter referrals both ways.
    mark(w1, alice="P", ben="L", cara="S", dan="A")
    referral(alice, ben, w1)
    referral(alice, cara, w1, tier=Tier.OUTSIDE)
    referral(ben, alice, w1)
    referral(alice, olly, w1, receiver_meeting=o1)
    referral(olly, ben, o1, receiver_meeting=w1, tier=Tier.OUTSIDE)
    Visitor.objects.create(meeting=w1, name="Vera Visitor", invited_by=alice)
    Visitor.objects.create(meeting=w1, name="Walk In")
    OneToOne.objects.create(member=alice, met_with=ben, met_on=JAN[0], meeting=w1,
                            met_with_meeting=w1)
    OneToOne.objects.create(member=cara, met_with=olly, met_on=JAN[0], meeting=w1,
                            met_with_meeting=o1)
    ThankYou.objects.create(thanked_by=ben, credited_to=alice, amount=Decimal("1500.50"),
                            meeting=w1, credited_meeting=w1)
    ThankYou.objects.create(thanked_by=olly, credited_to=cara, amount=Decimal("200"),
                            meeting=o1, credited_meeting=w1)
    CEU.objects.create(member=cara, credits=2, description="Podcast", earned_on=JAN[0],
                       meeting=w1)
    Testimonial.objects.create(giver=ben, about=alice, text="Great work", meeting=w1)
    # Week 2.
    mark(w2, alice="P", ben="P", cara="M", dan="A")
    referral(cara, alice, w2, tier=Tier.OUTSIDE)
    referral(ben, cara, w2)
    Visitor.objects.create(meeting=w2, name="Victor Visitor", invited_by=alice)
    Visitor.objects.create(meeting=w2, name="Wendy Visitor", invited_by=ben)
    CEU.objects.create(member=alice, credits=1, description="Workshop", earned_on=JAN[1],
                       meeting=w2)
    ThankYou.objects.create(thanked_by=alice, credited_to=ben, amount=Decimal("99.99"),
                            meeting=w2, credited_meeting=w2)
    # Week 3, a holiday: nothing here counts.
    mark(w3, alice="P", ben="A")
    referral(alice, ben, w3)
    # Week 4, provisional.
    mark(w4, alice="A", ben="P", cara="P")
    referral(alice, ben, w4)
    Visitor.objects.create(meeting=w4, name="Xena Visitor", invited_by=cara)
    CEU.objects.create(member=ben, credits=1, description="Book", earned_on=JAN[3], meeting=w4)
    Testimonial.objects.create(giver=alice, about=cara, text="Reliable", meeting=w4)
    return Fixture(chapter, other_chapter, alice, ben, cara, dan, olly, [w1, w2, w3, w4],
                   [o1, o2])


def cells(row) -> list:
    """A PalmsRow's figures (no names) in column order."""
    return row.cells()[2:]
