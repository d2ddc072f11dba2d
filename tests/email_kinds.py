"""One email of every kind the outbox sends, built as the send task builds it, with long
names and links (what makes an email too wide for a phone)."""

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from meetings.models import AbsenceNotice, Attendance, Meeting, Visitor
from members import invitations as services
from members.models import Member, RenewalReminder, Role
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationKind
from referrals import services as referrals
from referrals.models import Tier
from tests import factories
from tests.referrals_world import referral


def one_of_each_kind(chapter) -> dict[str, notifications.OutboxEmail]:
    chapter.venue = "The Riverside Conference Centre, Ballroom Two, 1 Quay Street, Riverside"
    chapter.online_link = "https://meet.example.test/riverside-business-builders-weekly-" + "x" * 40
    chapter.save()
    president = factories.member(chapter, first_name="Petronella", last_name="Montgomery-Smythe",
                                 roles=(Role.PRESIDENT,), business_name="Montgomery Consulting")
    alice = factories.member(chapter, first_name="Alexandrina", last_name="Archer-Whitfield",
                             business_name="Archer & Daughters Architecture and Interiors Ltd")
    bob = factories.member(chapter, first_name="Bartholomew", last_name="Baker-Fitzgerald")
    today = timezone.now().astimezone(chapter.zone).date()
    upcoming = factories.meeting(chapter, today + datetime.timedelta(days=2),
                                 feature_presenter=alice, education_moment="Asking for referrals")
    week = factories.meeting(chapter, today - datetime.timedelta(days=1),
                             status=Meeting.Status.HELD,
                             report_status=Meeting.ReportStatus.COMPLETED,
                             report_completed_at=timezone.now())
    for person, code in ((president, "P"), (alice, "L"), (bob, "A")):
        Attendance.objects.create(meeting=week, member=person, code=code)
    Visitor.objects.create(meeting=week, name="Vera Visitor", invited_by=alice)
    rows = {
        kind: Delivery.objects.create(kind=kind, chapter=chapter, meeting=meeting, member=person)
        for kind, meeting, person in (
            (NotificationKind.REMINDER, upcoming, alice),
            (NotificationKind.TALLY, week, alice),
            (NotificationKind.SUMMARY, week, president),
        )
    }
    slip = referral(alice, bob, tier=Tier.OUTSIDE)
    referrals.referral_status_change(referral=slip, by=bob, status="contacted")
    rows["giver-status"] = Delivery.objects.get(kind=NotificationKind.REFERRAL_NEWS)
    referrals.thank_you_log(thanked_by=bob, credited_to=alice, amount=Decimal("12345.67"),
                            business_type="new", token=uuid.uuid4())
    rows["giver-thanks"] = Delivery.objects.filter(
        kind=NotificationKind.REFERRAL_NEWS).latest("pk")
    notice = AbsenceNotice.objects.create(member=bob, meeting=week, absences=3,
                                          level=AbsenceNotice.Level.AT_LIMIT)
    due = today + datetime.timedelta(days=30)
    Member.objects.filter(pk=alice.pk).update(renewal_due_on=due)
    reminder = RenewalReminder.objects.create(member=alice, days_before=30, due_on=due)
    invitation = services.invitation_create(
        chapter=chapter, email="nia.newcomer@example.test", first_name="Nia",
        last_name="Newcomer", classification=factories.classification("Wedding Florist"),
        business_name="Nia's Flowers", invited_by=president.user,
    )
    for kind, ref, person in ((NotificationKind.ABSENCE, notice.pk, bob),
                              (NotificationKind.RENEWAL, reminder.pk, alice),
                              (NotificationKind.WELCOME, bob.pk, bob)):
        notifications.enqueue(kind=kind, ref=ref, chapter_id=chapter.pk, member_id=person.pk)
        rows[kind] = Delivery.objects.get(kind=kind)
    rows[NotificationKind.INVITATION] = Delivery.objects.get(ref=invitation.pk,
                                                             kind=NotificationKind.INVITATION)
    return {
        name: notifications.build_message(notifications._for_sending().get(pk=row.pk),
                                          now=timezone.now())
        for name, row in rows.items()
    }
