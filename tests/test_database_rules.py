"""The rules of the domain that the database itself enforces."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from meetings.models import Attendance, Meeting
from members import invitations
from members.models import Invitation, Member
from referrals.models import CEU, OneToOne, Referral, ThankYou
from referrals.models import Testimonial as SlipTestimonial
from tests import factories

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_a_taken_classification_refuses_a_second_active_member(chapter, member):
    refused(lambda: factories.member(chapter, classification_name=member.classification.name))


def test_on_leave_member_still_holds_the_classification(chapter):
    holder = factories.member(chapter, status=Member.Status.ON_LEAVE)
    refused(lambda: factories.member(chapter, classification_name=holder.classification.name))


@pytest.mark.parametrize("status", ["dropped", "expired", "applicant", "suspended"])
def test_a_classification_is_free_again_when_its_holder_does_not_hold_it(chapter, status):
    holder = factories.member(chapter, status=status)
    factories.member(chapter, classification_name=holder.classification.name)


def test_the_same_classification_is_fine_in_another_chapter(member, other_chapter):
    factories.member(other_chapter, classification_name=member.classification.name)


def test_status_change_into_a_taken_classification_is_refused(chapter, member):
    dropped = factories.member(chapter, status="dropped")
    dropped.classification = member.classification
    dropped.save()
    dropped.status = Member.Status.ACTIVE
    refused(dropped.save)


@pytest.fixture
def meeting(chapter):
    return factories.meeting(chapter)


def test_one_attendance_row_per_member_and_meeting(meeting, member):
    Attendance.objects.create(meeting=meeting, member=member, code="P")
    refused(lambda: Attendance.objects.create(meeting=meeting, member=member, code="L"))


def test_attendance_codes_are_palms_and_a_substitute_is_named(meeting, member):
    refused(lambda: Attendance.objects.create(meeting=meeting, member=member, code="X"))
    refused(lambda: Attendance.objects.create(meeting=meeting, member=member, code="S"))
    Attendance.objects.create(meeting=meeting, member=member, code="S", substitute_name="Sam")


def test_one_meeting_per_chapter_and_day_and_it_ends_after_it_starts(chapter, meeting):
    refused(lambda: factories.meeting(chapter, meeting.local_date))
    later = meeting.local_date + datetime.timedelta(days=7)
    refused(
        lambda: factories.meeting(
            chapter, later, ends_at=meeting.starts_at - datetime.timedelta(hours=1)
        )
    )


def referral(giver, receiver, meeting, **fields):
    fields.setdefault("tier", "inside")
    fields.setdefault("temperature", 3)
    return Referral.objects.create(
        giver=giver, receiver=receiver, meeting=meeting, receiver_meeting=meeting, **fields
    )


def test_referral_rules(meeting, member, president):
    referral(member, president, meeting)
    refused(lambda: referral(member, member, meeting))
    refused(lambda: referral(member, president, meeting, temperature=0))
    refused(lambda: referral(member, president, meeting, temperature=6))
    refused(lambda: referral(member, president, meeting, tier="sideways"))
    refused(lambda: referral(member, president, meeting, tier="outside"))
    refused(lambda: referral(member, president, meeting, tier="outside", prospect_name="Pat"))
    referral(
        member,
        president,
        meeting,
        tier="outside",
        prospect_name="Pat",
        prospect_email="pat@example.test",
    )


def test_a_referral_to_a_member_of_another_chapter_is_possible(meeting, member, other_member):
    theirs = factories.meeting(other_member.chapter)
    slip = Referral.objects.create(
        giver=member,
        receiver=other_member,
        tier="inside",
        temperature=4,
        meeting=meeting,
        receiver_meeting=theirs,
    )
    assert slip.is_cross_chapter


def test_tyfcb_amount_is_never_negative_and_never_to_oneself(meeting, member, president):
    def thanks(amount, credited=president):
        return ThankYou.objects.create(
            thanked_by=member,
            credited_to=credited,
            amount=Decimal(amount),
            meeting=meeting,
            credited_meeting=meeting,
        )

    thanks("0")
    thanks("1250.50")
    refused(lambda: thanks("-0.01"))
    refused(lambda: thanks("10", credited=member))


def test_one_to_ones_testimonials_and_ceus_have_their_rules(meeting, member, president):
    today = timezone.localdate()
    refused(
        lambda: OneToOne.objects.create(
            member=member, met_with=member, met_on=today, meeting=meeting, met_with_meeting=meeting
        )
    )
    refused(
        lambda: SlipTestimonial.objects.create(
            giver=member, about=member, text="Great", meeting=meeting
        )
    )
    refused(
        lambda: CEU.objects.create(
            member=member, credits=0, description="Podcast", earned_on=today, meeting=meeting
        )
    )
    CEU.objects.create(
        member=member, credits=1, description="Podcast", earned_on=today, meeting=meeting
    )


def test_meeting_report_completed_needs_its_time(meeting):
    meeting.report_status = Meeting.ReportStatus.COMPLETED
    refused(meeting.save)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_into_one_classification_exactly_one_wins(chapter):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions on separate connections")
    classification = factories.classification("Residential Real Estate")
    offers = [
        Invitation.objects.create(
            chapter=chapter,
            email=f"agent{n}@example.test",
            first_name="Agent",
            last_name=str(n),
            classification=classification,
            business_name=f"Agent {n} Homes",
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        for n in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(invitation):
        try:
            barrier.wait(timeout=10)
            invitations.invitation_accept(
                invitation=invitation, user=None, password="Pass-word-123"
            )
            outcomes.append("joined")
        except invitations.MembershipError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(inv,)) for inv in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes)[0].startswith("Residential Real Estate has been taken")
    assert outcomes.count("joined") == 1
    assert (
        Member.objects.current().filter(chapter=chapter, classification=classification).count() == 1
    )
