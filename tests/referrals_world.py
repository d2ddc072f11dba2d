"""Builders for the referrals tests: open weeks, slips one at a time or by the hundred."""

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from meetings.models import Meeting, Visitor
from members.models import Member
from referrals import services
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou, Tier
from tests import factories


def open_week(chapter) -> Meeting:
    """The chapter's next meeting, with its report still a draft: slips logged now count for it."""
    return factories.meeting(chapter)


def complete(meeting: Meeting) -> Meeting:
    meeting.report_status = Meeting.ReportStatus.COMPLETED
    meeting.report_completed_at = timezone.now()
    meeting.save(update_fields=["report_status", "report_completed_at"])
    return meeting


def referral(giver: Member, receiver: Member, **fields) -> Referral:
    fields.setdefault("tier", Tier.OUTSIDE)
    fields.setdefault("temperature", 3)
    fields.setdefault("prospect_name", "Pat Prospect")
    fields.setdefault("prospect_phone", "+44 20 7946 0000")
    slip, _ = services.referral_log(giver=giver, receiver=receiver, token=uuid.uuid4(), **fields)
    return slip


def one_of_each(author: Member, other: Member) -> dict:
    """One slip of every kind by `author`, with `other` of the same chapter where one is needed."""
    meeting = services.meeting_for_slip(author.chapter)
    today = timezone.now().astimezone(author.chapter.zone).date()
    slips = {
        "referral": referral(author, other),
        "thank-you": services.thank_you_log(
            thanked_by=author, credited_to=other, amount=Decimal("120.00"),
            business_type="new", token=uuid.uuid4(),
        )[0],
        "one-to-one": services.one_to_one_log(
            member=author, met_with=other, met_on=today, location="Cafe", token=uuid.uuid4()
        )[0],
        "ceu": services.ceu_log(
            member=author, credits=1, description="Podcast on networking", earned_on=today,
            token=uuid.uuid4(),
        )[0],
        "testimonial": services.testimonial_log(
            giver=author, about=other, text="Great work on our kitchen.", token=uuid.uuid4()
        )[0],
        "visitor": services.visitor_register(
            member=author, meeting=meeting, name="Vera Visitor", company="Vera Ltd",
            email="vera@example.test", token=uuid.uuid4(),
        )[0],
    }
    return slips


def many_slips(author: Member, other: Member, count: int) -> None:
    """`count` slips of every kind between two members, straight into the tables."""
    meeting = services.meeting_for_slip(author.chapter)
    other_meeting = services.meeting_for_slip(other.chapter)
    today = timezone.now().astimezone(author.chapter.zone).date()
    Referral.objects.bulk_create(
        Referral(giver=giver, receiver=receiver, tier=Tier.OUTSIDE, temperature=2,
                 prospect_name=f"Prospect {n}", prospect_email=f"p{n}@example.test",
                 meeting=mine, receiver_meeting=theirs)
        for n in range(count)
        for giver, receiver, mine, theirs in [
            (author, other, meeting, other_meeting), (other, author, other_meeting, meeting)
        ]
    )
    ThankYou.objects.bulk_create(
        ThankYou(thanked_by=thanker, credited_to=credited, amount=Decimal(n), meeting=mine,
                 credited_meeting=theirs)
        for n in range(count)
        for thanker, credited, mine, theirs in [
            (author, other, meeting, other_meeting), (other, author, other_meeting, meeting)
        ]
    )
    OneToOne.objects.bulk_create(
        OneToOne(member=author, met_with=other, met_on=today - datetime.timedelta(days=n % 30),
                 meeting=meeting, met_with_meeting=other_meeting)
        for n in range(count)
    )
    CEU.objects.bulk_create(
        CEU(member=author, description=f"Course {n}", earned_on=today, meeting=meeting)
        for n in range(count)
    )
    if other.chapter_id == author.chapter_id:
        Testimonial.objects.bulk_create(
            Testimonial(giver=author, about=other, text=f"Words {n}", meeting=meeting)
            for n in range(count)
        )
    Visitor.objects.bulk_create(
        Visitor(meeting=meeting, name=f"Visitor {n}", email=f"v{n}@example.test",
                invited_by=author)
        for n in range(count)
    )
